// Hashing files and shards for signatures on every core: Node's hash updates run on the calling thread, so
// parallel streams in one thread would still use one core. A small pool of worker threads (one per core,
// at most 8) takes tasks largest first. The worker is an inline script, so the same code runs from the
// bundled CLI, Electron main and the tests without a separate file to locate.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { HallmarkError } from '../errors';

export interface HashTask {
  /** Absolute path to read. */
  path: string;
  /** Node hash name (sha256, blake2b512). */
  algorithm: string;
  /** Byte range; end null = to the end of the file. */
  start: number;
  end: number | null;
  /** Bytes this task will read, for scheduling the largest first. */
  weight: number;
}

export interface HashResult {
  digest: string;
  /** Bytes hashed. */
  bytes: number;
  /** The file's size when it was opened. */
  size: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const CHUNK = 8 * 1024 * 1024;
const buf = Buffer.allocUnsafe(CHUNK);
parentPort.on('message', (t) => {
  let fd = -1;
  try {
    // O_NONBLOCK: a path swapped for a FIFO must not hang the worker.
    fd = fs.openSync(t.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    const h = crypto.createHash(t.algorithm);
    const end = t.end === null ? st.size : t.end;
    let pos = t.start;
    let unreported = 0;
    while (pos < end) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, end - pos), pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
      unreported += n;
      if (unreported >= 64 * 1024 * 1024) { parentPort.postMessage({ id: t.id, progress: unreported }); unreported = 0; }
    }
    parentPort.postMessage({ id: t.id, progress: unreported, digest: h.digest('hex'), bytes: pos - t.start, size: st.size });
  } catch (e) {
    parentPort.postMessage({ id: t.id, error: (e && e.code ? e.code + ': ' : '') + String(e && e.message || e) });
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
});`;

type Reply = { id: number; progress?: number; digest?: string; bytes?: number; size?: number; error?: string };

export function hashWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

/**
 * Hashes every task; the result array follows the task order. A task that cannot be read resolves to an
 * Error (the caller reports the file); cancelling stops the workers and rejects.
 */
export async function hashTasks(tasks: HashTask[], opts: { signal?: AbortSignal; onProgress?: (bytes: number) => void; workers?: number } = {}): Promise<Array<HashResult | Error>> {
  const results: Array<HashResult | Error> = new Array(tasks.length);
  if (!tasks.length) return results;
  const order = tasks.map((_, i) => i).sort((a, b) => tasks[b]!.weight - tasks[a]!.weight);
  const n = Math.min(opts.workers ?? hashWorkers(), tasks.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let pending = tasks.length;
      const onAbort = () => reject(new HallmarkError('cancelled', 'signature check cancelled'));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (w: Worker) => {
        if (next >= order.length) return;
        const id = order[next++]!;
        const t = tasks[id]!;
        w.postMessage({ id, path: t.path, algorithm: t.algorithm, start: t.start, end: t.end });
      };
      for (let k = 0; k < n; k++) {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(w);
        w.on('error', (e) => reject(e));
        w.on('message', (m: Reply) => {
          if (m.progress) opts.onProgress?.(m.progress);
          if (m.error !== undefined) results[m.id] = new Error(m.error);
          else if (m.digest !== undefined) results[m.id] = { digest: m.digest, bytes: m.bytes!, size: m.size! };
          else return;
          if (--pending === 0) {
            opts.signal?.removeEventListener('abort', onAbort);
            resolve();
          } else feed(w);
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
