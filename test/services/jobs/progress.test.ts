// One import, one progress that never goes back: hashing is the first half of `fraction`, the
// post-import scan (which restarts its byte count at 0) the second; finished jobs read 1.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../electron/contract/jobs';
import { importPath } from '../../../electron/services/registry/Importer';
import { safetensors } from '../../e2e/files';
import { tempHome, writeAt } from '../../helpers/tempHome';

const t = tempHome('hallmark-progress-');
afterAll(() => t.cleanup());

describe('job fraction', () => {
  it('rises monotonically through the phases of a job, bytes may restart', async () => {
    const seen: Job[] = [];
    const off = (j: Job) => seen.push(j);
    t.ctx.jobs.on('job', off);
    const { id, promise } = t.ctx.jobs.start({ kind: 'test', title: 'phases' }, async (job) => {
      job.phase?.(0, 0.5);
      for (let i = 0; i <= 10; i++) {
        job.progress(i * 10, 100);
        await new Promise((r) => setTimeout(r, 25));
      }
      job.phase?.(0.5, 1);
      for (let i = 0; i <= 10; i++) {
        job.progress(i * 5, 50, 'second pass');
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    await promise;
    t.ctx.jobs.off('job', off);
    const fractions = seen.filter((j) => j.id === id).map((j) => j.fraction ?? 0);
    expect(fractions.length).toBeGreaterThan(4);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.some((f) => f > 0.3 && f < 0.7)).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    const all = seen.filter((j) => j.id === id);
    // The second pass's speed is its own, never negative.
    for (const j of all) if (j.bytesPerSec !== null) expect(j.bytesPerSec).toBeGreaterThanOrEqual(0);
    expect(t.ctx.jobs.get(id).fraction).toBe(1);
  });

  it('an import (hash, then scan) reports a fraction that never goes back', async () => {
    const seen: Job[] = [];
    const off = (j: Job) => seen.push(j);
    t.ctx.jobs.on('job', off);
    const f = writeAt(t.dir, 'src/net.safetensors', safetensors(400_000, 3));
    const { id, promise } = t.ctx.jobs.start({ kind: 'import', title: 'Import net' }, (job) => importPath(t.ctx, { path: f }, job));
    await promise;
    t.ctx.jobs.off('job', off);
    const fractions = seen.filter((j) => j.id === id).map((j) => j.fraction ?? 0);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!, `event ${i}`).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)).toBe(1);
    expect(path.basename(f)).toBe('net.safetensors');
  });
});
