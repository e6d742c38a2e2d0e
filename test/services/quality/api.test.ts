// The quality.* calls through the contract dispatcher (as the renderer and the bridge make them): they run
// as jobs, store the baseline and the last check per version, and are refused in maintenance mode.
import { afterAll, describe, expect, it } from 'vitest';
import { QualityBaseline, QualityReport } from '../../../electron/contract/quality';
import { dispatch } from '../../../electron/services/api/index';
import { checkInput, saveBaseline } from '../../../electron/services/quality/QualityService';
import { importInto, tempHome, writeAt } from '../../helpers/tempHome';
import { rows, toCsv } from './synthetic';

const t = tempHome('hallmark-quality-api-');
afterAll(() => t.cleanup());

describe('quality API', () => {
  it('baseline, check and last check per version; jobs listed; refused in maintenance; deleted with the version', async () => {
    await importInto(t.ctx, { path: writeAt(t.dir, 'm.onnx', 'onnx-m') });
    const ref = { name: 'm', version: 1 };
    expect(await dispatch(t.ctx, 'quality.getBaseline', ref)).toBeNull();
    expect(await dispatch(t.ctx, 'quality.lastCheck', ref)).toBeNull();
    await expect(dispatch(t.ctx, 'quality.check', { ...ref, input: writeAt(t.dir, 'x.csv', 'a\n1\n') })).rejects.toMatchObject({ code: 'no_baseline' });

    const train = writeAt(t.dir, 'train.csv', toCsv(rows(2000, 1)));
    const b = QualityBaseline.parse(await dispatch(t.ctx, 'quality.baseline', { ...ref, input: train }));
    expect(b).toMatchObject({ model: 'm', version: 1, rows: 2000, columns: 5, source: train });
    expect(await dispatch(t.ctx, 'quality.getBaseline', ref)).toMatchObject({ id: b.id });

    const report = QualityReport.parse(await dispatch(t.ctx, 'quality.check', { ...ref, input: writeAt(t.dir, 'new.csv', toCsv(rows(800, 5, { incomeMissing: 0.3 }))) }));
    expect(report.findings.map((f) => `${f.kind}:${f.column}`)).toEqual(['missingness:income']);
    expect(await dispatch(t.ctx, 'quality.lastCheck', ref)).toEqual(report);
    expect(t.ctx.jobs.list().map((j) => j.kind)).toEqual(expect.arrayContaining(['quality-baseline', 'quality-check']));

    await dispatch(t.ctx, 'mode.set', { mode: 'maintenance' });
    await expect(dispatch(t.ctx, 'quality.check', { ...ref, input: train })).rejects.toMatchObject({ code: 'maintenance_mode' });
    expect(await dispatch(t.ctx, 'quality.lastCheck', ref)).toEqual(report); // reads still work
    await dispatch(t.ctx, 'mode.set', { mode: 'inference' });

    await expect(dispatch(t.ctx, 'quality.check', { ...ref, input: '' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(dispatch(t.ctx, 'quality.check', { ...ref, input: writeAt(t.dir, 'empty.csv', '') })).rejects.toMatchObject({ code: 'unreadable_input' });

    // Baselines and checks belong to the version (ON DELETE CASCADE).
    const vid = (t.ctx.db.prepare(`SELECT id FROM versions`).get() as { id: number }).id;
    t.ctx.db.prepare(`DELETE FROM versions WHERE id = ?`).run(vid);
    expect((t.ctx.db.prepare(`SELECT count(*) AS n FROM quality_baselines`).get() as { n: number }).n).toBe(0);
    expect((t.ctx.db.prepare(`SELECT count(*) AS n FROM quality_checks`).get() as { n: number }).n).toBe(0);
  }, 30_000);

  it('a check is a cancellable job: cancelling it mid-file stops the stream and stores nothing', async () => {
    await importInto(t.ctx, { path: writeAt(t.dir, 'c.onnx', 'onnx-c') });
    await saveBaseline(t.ctx, 'c', 1, writeAt(t.dir, 'c-train.csv', toCsv(rows(1000, 1))));
    const big = writeAt(t.dir, 'big.csv', toCsv(rows(300_000, 2)));
    const { id, promise } = t.ctx.jobs.start({ kind: 'quality-check', title: 'check big' }, (job) => checkInput(t.ctx, 'c', 1, big, { job }));
    setTimeout(() => t.ctx.jobs.cancel(id), 150);
    await expect(promise).rejects.toMatchObject({ code: 'cancelled' });
    expect(t.ctx.jobs.get(id).state).toBe('cancelled');
    expect(await dispatch(t.ctx, 'quality.lastCheck', { name: 'c', version: 1 })).toBeNull();
  }, 60_000);
});
