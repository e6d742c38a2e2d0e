// Operating modes: maintenance refuses imports and new jobs with `maintenance_mode` (one gate, JobManager),
// training refuses model runs; switching back allows them again. Through the API, the CLI and a second
// process's context (the mode is stored in the home, not in memory).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/services/api/index';
import { openContext, tempHome, writeAt } from '../../helpers/tempHome';
import { cliRunner } from '../../helpers/cli';

let t: ReturnType<typeof tempHome>;
beforeAll(() => {
  t = tempHome('hallmark-mode-');
});
afterAll(async () => {
  await t.cleanup();
});

describe('operating modes', () => {
  it('maintenance refuses an import and a job with a clear message; inference allows them again', async () => {
    const f = writeAt(t.dir, 'a.onnx', 'onnx-a');
    expect(await dispatch(t.ctx, 'mode.get', {})).toEqual({ mode: 'inference', changed_at: null });
    expect(await dispatch(t.ctx, 'mode.set', { mode: 'maintenance' })).toMatchObject({ mode: 'maintenance', changed_at: expect.any(String) });

    await expect(dispatch(t.ctx, 'registry.import', { path: f, allowUnknown: true })).rejects.toMatchObject({ code: 'maintenance_mode', message: expect.stringMatching(/maintenance mode.*hallmark mode inference/) });
    expect(() => t.ctx.jobs.start({ kind: 'scan', title: 'x' }, async () => 1)).toThrow(/maintenance mode/);
    expect(t.ctx.jobs.list().filter((j) => j.kind === 'import')).toEqual([]); // nothing was queued

    // Another process on the same home sees the mode (it lives in the database).
    const other = openContext({ home: t.home });
    try {
      expect(() => other.jobs.start({ kind: 'verify', title: 'y' }, async () => 1)).toThrow(/maintenance/);
    } finally {
      await other.dispose();
    }

    await dispatch(t.ctx, 'mode.set', { mode: 'inference' });
    const started = (await dispatch(t.ctx, 'registry.import', { path: f, allowUnknown: true })) as { jobId: string };
    const job = await t.ctx.jobs.wait(started.jobId);
    expect(job.state).toBe('done');
  });

  it('training refuses model runs but not jobs; maintenance refuses runs too', async () => {
    const m = writeAt(t.dir, 'b.onnx', 'not really onnx');
    await dispatch(t.ctx, 'mode.set', { mode: 'training' });
    await expect(dispatch(t.ctx, 'run.onnx', { model: { path: m }, inputs: {} })).rejects.toMatchObject({ code: 'training_mode' });
    expect(await t.ctx.jobs.run({ kind: 'scan', title: 'ok in training' }, async () => 7)).toBe(7);
    expect(() => t.ctx.jobs.start({ kind: 'model-load', title: 'load' }, async () => 1)).toThrow(/training mode/);
    expect(() => t.ctx.jobs.start({ kind: 'batch-predict', title: 'batch' }, async () => 1)).toThrow(/training mode/);
    await dispatch(t.ctx, 'mode.set', { mode: 'maintenance' });
    await expect(dispatch(t.ctx, 'run.onnx', { model: { path: m }, inputs: {} })).rejects.toMatchObject({ code: 'maintenance_mode' });
    await dispatch(t.ctx, 'mode.set', { mode: 'inference' });
    // Allowed again: it now fails for its own reason (not a model), not because of the mode.
    await expect(dispatch(t.ctx, 'run.onnx', { model: { path: m }, inputs: {} })).rejects.not.toMatchObject({ code: expect.stringMatching(/_mode$/) });
  });

  it('rejects an unknown mode', async () => {
    await expect(dispatch(t.ctx, 'mode.set', { mode: 'party' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('the CLI shows and sets the mode; an import in maintenance exits 2 with the reason, and works after', async () => {
    const home = path.join(t.dir, 'cli-home');
    const hallmark = cliRunner(home);
    const f = writeAt(t.dir, 'c.onnx', 'onnx-c');
    expect((await hallmark('--json', 'mode')).json).toMatchObject({ mode: 'inference' });
    const set = await hallmark('--json', 'mode', 'maintenance');
    expect(set.code).toBe(0);
    expect(set.json).toMatchObject({ mode: 'maintenance' });
    expect((await hallmark('mode')).stdout).toMatch(/mode: maintenance — new jobs, imports and model runs are refused/);
    const imp = await hallmark('--json', 'import', f, '--allow-unknown');
    expect(imp.code).toBe(2);
    expect(imp.stderr).toMatch(/maintenance mode: new jobs and imports are paused.*hallmark mode inference/);
    expect((await hallmark('--json', 'mode', 'bogus')).code).toBe(2);
    expect((await hallmark('--json', 'mode', 'inference')).code).toBe(0);
    expect((await hallmark('--json', 'import', f, '--allow-unknown')).code).toBe(0);
    expect(fs.existsSync(path.join(home, 'hallmark.db'))).toBe(true);
  });
});
