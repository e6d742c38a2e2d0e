// Monitoring over time: hourly latency percentiles, error rate and output drift (class-frequency PSI for
// classifiers, value-histogram PSI for regressors, tokens/s for generation) on synthetic prediction logs
// with known shifts; unshifted hours are not flagged.
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/services/api/index';
import type { ResolvedModel } from '../../../electron/services/inference/modelRef';
import { recordPrediction } from '../../../electron/services/inference/PredictionLog';
import { captureBaseline, monitorHourly } from '../../../electron/services/monitoring/Monitor';
import { predictionOutput } from '../../../electron/services/monitoring/outputs';
import { percentile } from '../../../electron/services/monitoring/stats';
import { prng } from '../../../electron/services/quality/profile';
import { tempHome } from '../../helpers/tempHome';
import { gaussian } from '../quality/synthetic';

const t = tempHome('hm-hourly-');
const { ctx } = t;
afterAll(() => t.cleanup());

const model = (name: string): ResolvedModel => ({ path: `/models/${name}.onnx`, format: 'onnx', versionId: null, key: `path:/models/${name}.onnx`, label: name, adapters: [] });
const T0 = Date.parse('2026-11-30T08:00:00Z');
const H = 3600_000;

function fill(m: ResolvedModel, hour: number, n: number, gen: (i: number, rand: () => number) => { latency: number; label?: string; value?: number; error?: boolean }, seed: number): number[] {
  const rand = prng(seed);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = gen(i, rand);
    if (!p.error) lat.push(p.latency);
    recordPrediction(ctx.db, {
      model: m, method: 'onnx', latencyMs: p.latency, inputsHash: 'h', at: new Date(T0 + hour * H + Math.floor((i / n) * H)),
      outputLabel: p.label ?? null, outputValue: p.value ?? null, error: p.error ? 'failed' : null,
    });
  }
  return lat;
}

const pick = (rand: () => number, probs: Record<string, number>) => {
  const u = rand();
  let acc = 0;
  for (const [k, p] of Object.entries(probs)) if (u < (acc += p)) return k;
  return Object.keys(probs).at(-1)!;
};

describe('hourly monitoring', () => {
  it('classifier: percentiles and error rate per hour; a class-mix shift is flagged, stable hours are not; empty hours are gaps', () => {
    const m = model('clf');
    const lats: number[][] = [];
    const stable = { cat: 0.6, dog: 0.3, bird: 0.1 };
    for (const h of [0, 1, 2, 3]) lats[h] = fill(m, h, 300, (_i, r) => ({ latency: 10 + 5 * r(), label: pick(r, stable) }), 10 + h);
    // hour 4: nothing; hour 5: the mix flips and 10 % errors.
    lats[5] = fill(m, 5, 300, (_i, r) => ({ latency: 20 + 10 * r(), label: pick(r, { cat: 0.2, dog: 0.5, bird: 0.1, fish: 0.2 }), error: r() < 0.1 }), 99);
    const res = monitorHourly(ctx.db, m.key, { hours: 48 });
    expect(res.drift_metric).toBe('class');
    expect(res.reference).toBe('first_hour');
    expect(res.points.map((p) => p.t)).toEqual([0, 1, 2, 3, 4, 5].map((h) => new Date(T0 + h * H).toISOString()));
    for (const h of [0, 1, 2, 3]) {
      const p = res.points[h]!;
      expect(p.count).toBe(300);
      expect(p.error_rate).toBe(0);
      expect(p.latency_p50).toBeCloseTo(percentile(lats[h]!, 50), 9);
      expect(p.latency_p95).toBeCloseTo(percentile(lats[h]!, 95), 9);
      expect(p.latency_p99).toBeCloseTo(percentile(lats[h]!, 99), 9);
      expect(p.drift_status).toBe('ok');
      expect(p.drift_psi!).toBeLessThan(0.05);
    }
    expect(res.points[4]).toMatchObject({ count: 0, latency_p50: null, error_rate: null, drift_psi: null });
    const last = res.points[5]!;
    expect(last.error_rate!).toBeGreaterThan(0.05);
    expect(last.error_rate!).toBeLessThan(0.15);
    expect(last.latency_p50!).toBeGreaterThan(20);
    expect(last.drift_status).toBe('alert');
    expect(last.drift_psi!).toBeGreaterThan(0.25);
  });

  it('regressor against a captured baseline: a shifted hour is flagged, same-distribution hours with other seeds are not', () => {
    const m = model('reg');
    const norm = (seed: number) => gaussian(prng(seed));
    const g0 = norm(1);
    fill(m, 0, 400, () => ({ latency: 5, value: 100 + 15 * g0() }), 1);
    captureBaseline(ctx.db, m.key, null);
    for (const h of [1, 2, 3]) {
      const g = norm(50 + h);
      fill(m, h, 400, () => ({ latency: 5, value: 100 + 15 * g() }), 50 + h);
    }
    const gs = norm(7);
    fill(m, 4, 400, () => ({ latency: 5, value: 115 + 15 * gs() }), 7); // +1 std
    const res = monitorHourly(ctx.db, m.key);
    expect(res).toMatchObject({ drift_metric: 'value', reference: 'baseline', reference_count: 400 });
    expect(res.points.slice(1, 4).map((p) => p.drift_status)).toEqual(['ok', 'ok', 'ok']);
    expect(res.points[4]!.drift_status).toBe('alert');
  });

  it('generation (no outputs recorded): tokens/s histogram drift; too few predictions in an hour give no verdict', () => {
    const m = model('llm');
    for (const [h, tps, n] of [[0, 40, 100], [1, 40, 100], [2, 20, 100], [3, 40, 3]] as const) {
      const r = prng(h + 300);
      for (let i = 0; i < n; i++) recordPrediction(ctx.db, { model: m, method: 'complete', latencyMs: 100, inputsHash: 'h', tokensPerSec: tps + 4 * r(), at: new Date(T0 + h * H + i * 1000) });
    }
    const res = monitorHourly(ctx.db, m.key);
    expect(res.drift_metric).toBe('tokens_per_sec');
    expect(res.points.map((p) => p.drift_status)).toEqual(['ok', 'ok', 'alert', null]);
  });

  it('through the API; an unknown model has no points; the ONNX output rule records labels and scalars only when unambiguous', async () => {
    const res = await dispatch(ctx, 'monitor.hourly', { model: { path: '/models/clf.onnx' }, hours: 3 }).catch((e: unknown) => e);
    // A path that does not exist is refused by the model resolver, as the other monitor calls do.
    expect(res).toMatchObject({ code: 'not_found' });
    expect(monitorHourly(ctx.db, 'path:/nope').points).toEqual([]);
    expect(monitorHourly(ctx.db, model('clf').key, { hours: 1 }).points).toHaveLength(1);
    expect(predictionOutput([{ name: 'output_label', type: 'int64', dims: [1], data: [2] }, { name: 'output_probability', type: 'float32', dims: [1, 3], data: [0.1, 0.2, 0.7] }])).toEqual({ outputLabel: '2', outputValue: null });
    expect(predictionOutput([{ name: 'y', type: 'float32', dims: [1, 1], data: [3.5] }])).toEqual({ outputLabel: null, outputValue: 3.5 });
    expect(predictionOutput([{ name: 'y', type: 'float32', dims: [1, 2], data: [3.5, 1] }])).toEqual({ outputLabel: null, outputValue: null });
  });
});

describe('series with history recorded out of id order', () => {
  it('buckets by time even when later ids carry earlier times (no crash)', async () => {
    const { monitorSeries } = await import('../../../electron/services/monitoring/Monitor');
    const m = model('late');
    recordPrediction(ctx.db, { model: m, method: 'onnx', latencyMs: 3, inputsHash: 'h', at: new Date(T0 + 10 * H) });
    for (let i = 0; i < 5; i++) recordPrediction(ctx.db, { model: m, method: 'onnx', latencyMs: 5, inputsHash: 'h', at: new Date(T0 + i * H) });
    const s = monitorSeries(ctx.db, m.key, { buckets: 11 });
    expect(s.reduce((a, p) => a + p.count, 0)).toBe(6);
    expect(s[0]!.t).toBe(new Date(T0).toISOString());
  });
});
