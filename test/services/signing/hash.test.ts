// The worker-thread hashing behind signature checks: the digests Node computes in one thread, by range,
// with unreadable files reported per task and cancellation stopping the workers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashTasks } from '../../../electron/services/signing/hash';
import { bytes } from '../../helpers/tempHome';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-sighash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hashTasks', () => {
  it('hashes whole files and ranges with sha256 and blake2b on several workers, in task order', async () => {
    const files = [0, 1, 2, 3, 4].map((i) => {
      const p = path.join(dir, `f${i}`);
      fs.writeFileSync(p, bytes(10_000 * (i + 1) + i, i + 1));
      return p;
    });
    const tasks = [
      ...files.map((p) => ({ path: p, algorithm: 'sha256', start: 0, end: null, weight: 1 })),
      { path: files[4]!, algorithm: 'sha256', start: 100, end: 5000, weight: 4900 },
      { path: files[2]!, algorithm: 'blake2b512', start: 0, end: null, weight: 1 },
      { path: path.join(dir, 'missing'), algorithm: 'sha256', start: 0, end: null, weight: 1 },
    ];
    const r = await hashTasks(tasks, { workers: 2 });
    files.forEach((p, i) => expect(r[i]).toMatchObject({ digest: crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') }));
    expect(r[5]).toMatchObject({ digest: crypto.createHash('sha256').update(fs.readFileSync(files[4]!).subarray(100, 5000)).digest('hex'), bytes: 4900 });
    expect(r[6]).toMatchObject({ digest: crypto.createHash('blake2b512').update(fs.readFileSync(files[2]!)).digest('hex') });
    expect(r[7]).toBeInstanceOf(Error);
    expect((r[7] as Error).message).toMatch(/ENOENT/);
  });

  it('rejects when cancelled', async () => {
    const p = path.join(dir, 'big');
    fs.writeFileSync(p, Buffer.alloc(64 * 1024 * 1024));
    const ac = new AbortController();
    const run = hashTasks(Array.from({ length: 8 }, () => ({ path: p, algorithm: 'sha256', start: 0, end: null, weight: 1 })), { signal: ac.signal, workers: 2 });
    ac.abort();
    await expect(run).rejects.toThrow(/cancelled/);
  });
});
