// Detailed health of this Hallmark home (seed 002 "Health Checks"): each part is checked on its own and
// a failing probe becomes a "fail" entry with its reason, never an exception, so the panel always renders.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckState, HealthReport } from '../../contract/health';
import type { AppContext } from '../AppContext';
import { getMode } from '../mode/Mode';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Free space under which the disk is a warning (imports copy whole models): $HALLMARK_DISK_WARN_BYTES or 5 GiB. */
export function diskWarnBytes(): number {
  const v = Number(process.env.HALLMARK_DISK_WARN_BYTES);
  return Number.isFinite(v) && v >= 0 ? v : 5 * GiB;
}
/** Below this an import or a WAL checkpoint can fail outright. */
const DISK_FAIL_BYTES = 512 * MiB;

const fmt = (n: number) => (n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : n >= MiB ? `${Math.round(n / MiB)} MiB` : `${Math.max(1, Math.round(n / 1024))} KiB`);

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function database(ctx: AppContext): HealthReport['database'] {
  const file = path.join(ctx.home, 'hallmark.db');
  try {
    const journal = String(ctx.db.pragma('journal_mode', { simple: true }));
    const quick = (ctx.db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>).map((r) => r.quick_check);
    const ok = quick.length === 1 && quick[0] === 'ok';
    const wal = journal.toLowerCase() === 'wal';
    const status: CheckState = !ok ? 'fail' : wal ? 'ok' : 'warn';
    return {
      status, open: true, journal_mode: journal, quick_check: quick.slice(0, 5).join('; '), size_bytes: fileSize(file), wal_bytes: fileSize(file + '-wal'),
      message: !ok ? `the database failed its integrity check (${quick[0]}): close Hallmark, back up ${file} and restore from a backup`
        : wal ? `open, WAL journal, integrity ok (${fmt(fileSize(file))})` : `journal mode is ${journal}, not WAL: a crash may lose the last writes; restart Hallmark to reopen it in WAL mode`,
    };
  } catch (e) {
    return { status: 'fail', open: false, journal_mode: 'unknown', quick_check: 'not run', size_bytes: fileSize(file), wal_bytes: fileSize(file + '-wal'), message: `the database cannot be read: ${(e as Error).message}; restart Hallmark` };
  }
}

function disk(ctx: AppContext): HealthReport['disk'] {
  const warnBelow = diskWarnBytes();
  try {
    const s = fs.statfsSync(ctx.home);
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    const status: CheckState = free < DISK_FAIL_BYTES ? 'fail' : free < warnBelow ? 'warn' : 'ok';
    return {
      status, path: ctx.home, free_bytes: free, total_bytes: total, warn_below_bytes: warnBelow,
      message: status === 'ok' ? `${fmt(free)} free of ${fmt(total)}` : `only ${fmt(free)} free on the disk of ${ctx.home}: delete unused versions (\`hallmark gc\`) or free space before importing more models`,
    };
  } catch (e) {
    return { status: 'warn', path: ctx.home, free_bytes: 0, total_bytes: 0, warn_below_bytes: warnBelow, message: `free space could not be read: ${(e as Error).message}` };
  }
}

function memory(): HealthReport['memory'] {
  const m = process.memoryUsage();
  const free = os.freemem();
  const total = os.totalmem();
  const status: CheckState = free < Math.min(512 * MiB, total * 0.05) ? 'fail' : free < total * 0.1 ? 'warn' : 'ok';
  return {
    status, rss_bytes: m.rss, heap_used_bytes: m.heapUsed, system_free_bytes: free, system_total_bytes: total,
    message: status === 'ok' ? `this process uses ${fmt(m.rss)}; ${fmt(free)} of ${fmt(total)} free` : `the system is low on memory (${fmt(free)} free of ${fmt(total)}): unload models or close other programs before loading a large model`,
  };
}

function jobs(ctx: AppContext): HealthReport['jobs'] {
  try {
    const count = (sql: string, ...args: unknown[]) => (ctx.db.prepare(sql).get(...args) as { n: number }).n;
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const running = count(`SELECT count(*) AS n FROM jobs WHERE state = 'running'`);
    const queued = count(`SELECT count(*) AS n FROM jobs WHERE state = 'queued'`);
    const failed = count(`SELECT count(*) AS n FROM jobs WHERE state = 'failed' AND created_at >= ?`, since);
    const interrupted = count(`SELECT count(*) AS n FROM jobs WHERE state = 'interrupted' AND created_at >= ?`, since);
    const last = ctx.db.prepare(`SELECT title, error FROM jobs WHERE state = 'failed' AND created_at >= ? ORDER BY created_at DESC LIMIT 1`).get(since) as { title: string; error: string | null } | undefined;
    const status: CheckState = failed + interrupted > 0 ? 'warn' : 'ok';
    return {
      status, running, queued, failed_24h: failed, interrupted_24h: interrupted, last_failure: last ? `${last.title}: ${last.error ?? 'failed'}` : null,
      message: status === 'ok' ? `${running} running, ${queued} queued, no failures in 24 h`
        : `${failed} failed and ${interrupted} interrupted job(s) in the last 24 h: open the Jobs drawer to see why and retry them`,
    };
  } catch (e) {
    return { status: 'fail', running: 0, queued: 0, failed_24h: 0, interrupted_24h: 0, last_failure: null, message: `jobs could not be read: ${(e as Error).message}` };
  }
}

async function gpu(ctx: AppContext): Promise<HealthReport['gpu']> {
  try {
    const { runServices } = await import('../inference/RunServices');
    let timer: NodeJS.Timeout | undefined;
    const info = await Promise.race([
      runServices(ctx).gpu(),
      new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error('detection took over 15 s')), 15_000).unref())),
    ]).finally(() => clearTimeout(timer));
    const devices = info.devices.map((d) => ({ name: d.name, vram_bytes: d.vram_bytes }));
    return {
      status: 'ok', backend: info.backend, devices,
      message: info.backend === 'cpu'
        ? `CPU only: ${info.forced_cpu ? 'the GPU is switched off in the run settings' : 'no GPU backend was found on this machine'}; models run on the CPU (slower, but everything works)`
        : `${info.backend}: ${devices.map((d) => `${d.name} (${fmt(d.vram_bytes)})`).join(', ') || 'GPU backend available'}`,
    };
  } catch (e) {
    return { status: 'warn', backend: 'unknown', devices: [], message: `hardware detection failed (${(e as Error).message}); models will try the CPU` };
  }
}

export async function detailedHealth(ctx: AppContext): Promise<HealthReport> {
  const parts = { database: database(ctx), disk: disk(ctx), memory: memory(), jobs: jobs(ctx), gpu: await gpu(ctx) };
  const states = Object.values(parts).map((p) => p.status);
  const status = states.includes('fail') ? 'unhealthy' : states.includes('warn') ? 'degraded' : 'healthy';
  return { status, checked_at: new Date().toISOString(), home: ctx.home, mode: getMode(ctx.db).mode, ...parts };
}

export function healthText(r: HealthReport): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return [
    `health: ${r.status} (mode: ${r.mode})`,
    ...(['database', 'disk', 'memory', 'jobs', 'gpu'] as const).map((k) => `  ${mark[r[k].status]} ${k.padEnd(9)} ${r[k].message}`),
  ].join('\n');
}
