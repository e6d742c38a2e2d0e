// Who owns a job, a temp file or a claimed piece of work: one identity per process, so that a second
// process opening the same home (the CLI while the app runs) reclaims only what DEAD processes left.
// The identity is PID + the process start time: a PID alone is reused after a crash or a reboot.
import fs from 'node:fs';

/** `<pid>_<start>`: digits and one underscore, safe inside file names and splittable on '-'. */
export type OwnerTag = string;

const TAG = /^(\d+)_(\d+)$/;

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); null where /proc is absent. */
export function procStartTime(pid: number): string | null | 'dead' {
  let raw: string;
  try {
    raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return fs.existsSync('/proc/self/stat') ? 'dead' : null;
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const start = rest[19];
  return start && /^\d+$/.test(start) ? start : null;
}

let self: OwnerTag | null = null;

export function selfOwner(): OwnerTag {
  if (self) return self;
  const start = procStartTime(process.pid);
  // Portable fallback: our own start in ms; other processes are then checked by PID alone (kill 0).
  const s = typeof start === 'string' ? start : String(Math.round(Date.now() - process.uptime() * 1000));
  self = `${process.pid}_${s}`;
  return self;
}

/** True unless the owner is certainly gone: an unparsable tag counts as dead (it cannot be ours). */
export function ownerAlive(tag: string | null | undefined): boolean {
  if (!tag) return false;
  if (tag === selfOwner()) return true;
  const m = TAG.exec(tag);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false; // our PID with another start time: a previous process
  const start = procStartTime(pid);
  if (start === 'dead') return false;
  if (typeof start === 'string') return start === m[2];
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The owner encoded in a temp or trash name `<label>-<owner>-<12 hex>` (as BlobStore writes them); null
 * for names of another shape, such as the bridge's `upload-<batch>` folders, whose batch is client-chosen.
 */
export function ownerOfName(name: string): OwnerTag | null {
  const m = /^([a-z0-9]+)-(\d+_\d+)-[0-9a-f]{12}$/.exec(name);
  return m && m[1] !== 'upload' ? m[2]! : null;
}
