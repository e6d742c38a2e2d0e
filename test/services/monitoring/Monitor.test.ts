import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnnx } from '../../../electron/services/inference/InferenceService';
import type { ResolvedModel } from '../../../electron/services/inference/modelRef';
import { recordPrediction } from '../../../electron/services/inference/PredictionLog';
import { runServices } from '../../../electron/services/inference/RunServices';
import { captureBaseline, detectDrift, monitorSeries, monitorStats } from '../../../electron/services/monitoring/Monitor';
import { mean, percentile, std, summarize, zScore } from '../../../electron/services/monitoring/stats';
import { writeLinearOnnx } from '../../fixtures/onnx/writeOnnx';
import { tempHome } from '../../helpers/tempHome';

const t = tempHome('hm-monitor-');
const { ctx, dir } = t;
afterAll(() => t.cleanup());

const model = (name: string): ResolvedModel => ({ path: `/models/${name}.gguf`, format: 'gguf', versionId: null, key: `path:/models/${name}.gguf`, label: name, adapters: [] });
const log = (m: ResolvedModel, latencyMs: number, extra: { tokensPerSec?: number; error?: string; at?: Date } = {}) =>
  recordPrediction(ctx.db, { model: m, method: 'complete', latencyMs, inputsHash: 'h', tokens: 10, ...extra });

describe('statistics (numpy conventions, as the seed monitor)', () => {
  it('matches numpy for mean, population std and linear percentiles', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(mean(xs)).toBe(5.5);
    expect(std(xs)).toBeCloseTo(2.8722813232690143, 12); // np.std
    expect(percentile(xs, 95)).toBeCloseTo(9.55, 12); // np.percentile(xs, 95)
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(summarize([])).toBeNull();
    expect(summarize([4])).toEqual({ count: 1, mean: 4, std: 0, min: 4, max: 4, p50: 4, p95: 4 });
  });

  it('scores drift like the seed: |current − baseline| / baseline std', () => {
    expect(zScore(0.75, 0.9, 0.05)).toBeCloseTo(3, 12); // the seed's example
    expect(zScore(100, 100, 0)).toBe(0);
    expect(zScore(101, 100, 0)).toBeCloseTo(1, 12); // std floored at 1% of the mean
  });
});

describe('monitor over the prediction log', () => {
  const m = model('llm');
  const latencies = [100, 110, 90, 105, 95, 100, 102, 98, 101, 99];

  beforeAll(() => {
    latencies.forEach((l, i) => log(m, l, { tokensPerSec: 50 + (i % 3) }));
    log(m, 5, { error: 'model crashed' });
  });

  it('computes mean/std/p95 latency over successful calls and the error rate over all', () => {
    const s = monitorStats(ctx.db, m.key);
    expect(s).toMatchObject({ total_predictions: 11, sample_count: 11, error_count: 1, baseline: null });
    expect(s.error_rate).toBeCloseTo(1 / 11, 12);
    expect(s.latency_ms!.mean).toBeCloseTo(mean(latencies), 12);
    expect(s.latency_ms!.std).toBeCloseTo(std(latencies), 12);
    expect(s.latency_ms!.p95).toBeCloseTo(percentile(latencies, 95), 12);
    expect(s.tokens_per_sec!.count).toBe(10);
    expect(monitorStats(ctx.db, m.key, 3).sample_count).toBe(3);
  });

  it('captures a baseline, then flags drift only when the mean moves more than 2 baseline stds', () => {
    expect(detectDrift(ctx.db, m.key).note).toBe('no baseline captured yet');
    const b = captureBaseline(ctx.db, m.key, null);
    expect(b).toMatchObject({ sample_count: 11, error_rate: 1 / 11 });
    expect(b.latency_mean).toBeCloseTo(100, 12);
    expect(detectDrift(ctx.db, m.key)).toMatchObject({ drift_detected: false, drift_score: null, note: expect.stringMatching(/0 successful prediction\(s\) since the baseline/) });

    for (const l of [101, 99, 103, 97, 100]) log(m, l, { tokensPerSec: 51 });
    const calm = detectDrift(ctx.db, m.key);
    expect(calm).toMatchObject({ drift_detected: false, threshold: 2, sample_count: 5, note: null });
    expect(calm.drift_score!).toBeLessThan(2);

    for (const l of [130, 135, 128, 140, 132]) log(m, l, { tokensPerSec: 51 });
    const drift = detectDrift(ctx.db, m.key);
    expect(drift.drift_detected).toBe(true);
    const lat = drift.metrics.find((x) => x.metric === 'latency_ms')!;
    expect(lat.drift_score).toBeCloseTo(zScore(mean([101, 99, 103, 97, 100, 130, 135, 128, 140, 132]), b.latency_mean, b.latency_std), 9);
    expect(lat.drift_score).toBeGreaterThan(2);
    expect(drift.baseline_mean).toBeCloseTo(b.latency_mean, 12);
    // A stricter threshold would not call it.
    expect(detectDrift(ctx.db, m.key, { threshold: 100 }).drift_detected).toBe(false);
  });

  it('detects throughput drift on its own', () => {
    const g = model('tps');
    for (let i = 0; i < 10; i++) log(g, 100 + (i % 2), { tokensPerSec: 50 + (i % 2) });
    captureBaseline(ctx.db, g.key, null);
    for (let i = 0; i < 10; i++) log(g, 100 + (i % 2), { tokensPerSec: 20 });
    const d = detectDrift(ctx.db, g.key);
    expect(d.drift_detected).toBe(true);
    expect(d.metrics.map((x) => [x.metric, x.drift_detected])).toEqual([['latency_ms', false], ['tokens_per_sec', true]]);
  });

  it('refuses a baseline without data and buckets predictions over time for plotting', () => {
    expect(() => captureBaseline(ctx.db, 'path:/nothing', null)).toThrow(/no successful predictions/);
    const s = model('series');
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    for (let i = 0; i < 20; i++) log(s, i < 10 ? 10 : 20, { at: new Date(t0 + i * 60_000), ...(i === 15 ? { error: 'x' } : {}) });
    const pts = monitorSeries(ctx.db, s.key, { buckets: 2 });
    expect(pts).toHaveLength(2);
    expect(pts[0]).toMatchObject({ count: 10, errors: 0, latency_mean: 10, t: '2025-01-01T00:00:00.000Z' });
    expect(pts[1]).toMatchObject({ count: 10, errors: 1, latency_mean: 20 });
  });
});

describe('monitor fed by real ONNX runs', () => {
  it('sees every call, its latency and its errors', async () => {
    await runServices(ctx).setSettings({ gpu: false, threads: 1 });
    const onnx = writeLinearOnnx(path.join(dir, 'lin.onnx'), { weight: [[1], [2]], bias: [0] });
    for (let i = 0; i < 8; i++) await runOnnx(ctx, { path: onnx }, { inputs: [[i, 1]] });
    await runOnnx(ctx, { path: onnx }, { inputs: [[1, 2, 3]] }).catch(() => undefined);
    const s = monitorStats(ctx.db, `path:${onnx}`);
    expect(s).toMatchObject({ total_predictions: 9, error_count: 1 });
    expect(s.latency_ms!.count).toBe(8);
    expect(s.latency_ms!.mean).toBeGreaterThan(0);
    expect(s.tokens_per_sec).toBeNull();
  });
});
