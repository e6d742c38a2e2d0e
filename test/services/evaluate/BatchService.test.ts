// Batch predictions on real models trained in the tabular venv: streamed input, column checks, row errors
// with line numbers, materialization with TTL and max age, a worker SIGKILLed mid-batch (restarted, no row
// lost or duplicated), an app killed mid-batch (resumed from its last chunk), a model that raises, and
// flat memory over a file much larger than what the batch may hold.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../electron/services/AppContext';
import type { JobHandle } from '../../../electron/services/jobs/JobManager';
import { batchResults, getMaterialized, planColumns, routeOf, runBatch, setDatasetCheck, startBatch } from '../../../electron/services/evaluate/BatchService';
import { tabularWorker } from '../../../electron/services/evaluate/tabularRuntime';
import { importPath } from '../../../electron/services/registry/Importer';
import { saveBaseline } from '../../../electron/services/quality/QualityService';
import { cliRunner } from '../../helpers/cli';
import { makeTabularModels, REPO, tabularPython } from '../../helpers/tabularVenv';
import { openContext, tempHome } from '../../helpers/tempHome';

describe('planColumns (pure)', () => {
  it('named features: missing is an error before anything runs, extra is a warning', () => {
    const named = { features: ['a', 'b', 'c'], nFeatures: 3 };
    expect(() => planColumns(['id', 'a', 'c'], named, {})).toThrow(/lacks 1 column\(s\) the model needs: "b"/);
    const p = planColumns(['id', 'c', 'zz', 'a', 'b'], named, {});
    expect(p.features).toEqual(['a', 'b', 'c']);
    expect(p.idColumn).toBe('id');
    expect(p.warnings.join()).toMatch(/ignoring 1 column\(s\).*zz/);
  });
  it('positional features skip the id and label columns; too few is an error', () => {
    const pos = { features: null, nFeatures: 2 };
    expect(planColumns(['x', 'id', 'y', 'z'], pos, { labelColumn: 'y' }).features).toEqual(['x', 'z']);
    expect(() => planColumns(['id', 'x'], pos, {})).toThrow(/takes 2 features; the input has 1/);
    expect(() => planColumns(['a', 'b'], pos, { idColumn: 'key' })).toThrow(/id column "key" is not in the input/);
    // Auto-generated names (LightGBM's Column_0…) do not have to be in the file.
    expect(planColumns(['id', 'p', 'q'], { features: ['Column_0', 'Column_1'], nFeatures: 2 }, {}).features).toEqual(['p', 'q']);
  });
  it('weighted routing is deterministic and follows the weights', () => {
    const r = { seed: 's', weights: [{ key: 'a', weight: 0.7 }, { key: 'b', weight: 0.3 }] };
    let a = 0;
    for (let i = 0; i < 10000; i++) if (routeOf(r, `e${i}`) === 'a') a++;
    expect(a / 10000).toBeGreaterThan(0.68);
    expect(a / 10000).toBeLessThan(0.72);
    expect(routeOf(r, 'e1')).toBe(routeOf(r, 'e1'));
  });
});

const env = tabularPython();
const skip = 'reason' in env;
if (skip) console.warn(`skipping batch prediction tests: ${env.reason}`);

/** A job handle as JobManager gives one, with a hook on progress (where a test kills the worker). */
function handle(onProgress: (done: number) => void = () => undefined): JobHandle {
  const c = new AbortController();
  return { id: `test-${Math.random()}`, signal: c.signal, progress: (d) => onProgress(d), throwIfCancelled: () => undefined };
}

/** Writes `rows` rows of the fixture's 4 features (cycled from data.csv) with fresh ids. */
function bigCsv(src: string, out: string, rows: number, opts: { label?: boolean } = {}): void {
  const lines = fs.readFileSync(src, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const fd = fs.openSync(out, 'w');
  fs.writeSync(fd, `id,f0,f1,f2,f3${opts.label ? ',y' : ''}\n`);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const c = lines[i % lines.length]!;
    buf += `r${i},${c.slice(1, 5).join(',')}${opts.label ? `,${c[5]}` : ''}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

describe.skipIf(skip)('batch predictions on real models', () => {
  let t: ReturnType<typeof tempHome>;
  let ctx: AppContext;
  let fx: string;
  const count = (batch: number) => ctx.db.prepare(`SELECT count(*) AS n, count(DISTINCT entity) AS d FROM eval_results WHERE batch_id = ?`).get(batch) as { n: number; d: number };

  beforeAll(async () => {
    process.env.HALLMARK_TABULAR_PYTHON = (env as { python: string }).python;
    t = tempHome('hm-batch-');
    ctx = t.ctx;
    fx = path.join(t.dir, 'fx');
    makeTabularModels((env as { python: string }).python, fx, 400);
    const job = handle();
    for (const [file, name] of [['xgb.json', 'xgb'], ['logreg.onnx', 'lr'], ['named.json', 'named'], ['raises.pkl', 'raises'], ['logreg.pkl', 'lrp'], ['pandas.pkl', 'pandas'], ['gbr.onnx', 'gbr']]) {
      await importPath(ctx, { path: path.join(fx, file!), name }, job);
    }
  }, 300_000);
  afterAll(async () => {
    setDatasetCheck(null);
    await t?.cleanup();
  });

  it('predicts a CSV through the Python worker and materializes each entity', async () => {
    const r = await runBatch(ctx, { model: 'xgb@1', input: path.join(fx, 'data.csv'), labelColumn: 'y', ttlSeconds: 3600 }, handle());
    expect(r).toMatchObject({ rows: 400, failed: 0, runtime: 'python', model_type: 'classification', state: 'done' });
    expect(count(r.batch_id)).toEqual({ n: 400, d: 400 });
    const m = getMaterialized(ctx, 'xgb@1', 'e7', 60)!;
    expect([0, 1]).toContain(m.prediction);
    expect(m.probabilities).toHaveLength(2);
    expect(m.expires_at).not.toBeNull();
    const rows = [...batchResults(ctx, r.batch_id, { limit: 3 })];
    expect(rows.map((x) => x.entity)).toEqual(['e0', 'e1', 'e2']);
    expect(rows[0]!.label).toMatch(/^[01]$/);
  });

  it('checks the input against the version\'s data-quality baseline before predicting: a shifted column warns, the training data does not', async () => {
    const data = path.join(fx, 'data.csv');
    await saveBaseline(ctx, 'gbr', 1, data);
    const same = await runBatch(ctx, { model: 'gbr@1', input: data }, handle());
    expect(same.warnings.filter((w) => w.startsWith('data quality'))).toEqual([]);
    // f1 shifted by many standard deviations in every row: the model still runs, the run says so first.
    const lines = fs.readFileSync(data, 'utf8').trim().split('\n');
    const head = lines[0]!.split(',');
    const f1 = head.indexOf('f1');
    const shifted = path.join(t.dir, 'shifted.csv');
    fs.writeFileSync(shifted, [lines[0], ...lines.slice(1).map((l) => l.split(',').map((c, i) => (i === f1 ? String(Number(c) * 3 + 25) : c)).join(','))].join('\n') + '\n');
    const drift = await runBatch(ctx, { model: 'gbr@1', input: shifted }, handle());
    expect(drift.state).toBe('done');
    expect(drift.warnings.join('\n')).toMatch(/data quality \(alert\):.*f1/);
  });

  it('an ONNX batch leaves a sample of its rows in the prediction log, so hourly monitoring sees batch traffic', async () => {
    const key = `version:${ctx.registry.versionRow('gbr', 1).id}`;
    const before = (ctx.db.prepare(`SELECT count(*) AS n FROM predictions WHERE model_key = ?`).get(key) as { n: number }).n;
    const r = await runBatch(ctx, { model: 'gbr@1', input: path.join(fx, 'data.csv'), chunkRows: 100 }, handle());
    expect(r.rows).toBe(400);
    const rows = ctx.db.prepare(`SELECT p.format, p.batch_size, p.latency_ms, o.output_value FROM predictions p JOIN prediction_outputs o ON o.prediction_id = p.id WHERE p.model_key = ? AND p.id > 0 ORDER BY p.id DESC LIMIT 80`).all(key) as Array<{ format: string; batch_size: number; latency_ms: number; output_value: number | null }>;
    const after = (ctx.db.prepare(`SELECT count(*) AS n FROM predictions WHERE model_key = ?`).get(key) as { n: number }).n;
    expect(after - before).toBe(4 * 20); // 4 chunks of 100 rows, 20 sampled from each
    expect(rows.every((x) => x.format === 'onnx' && x.batch_size === 100 && x.latency_ms >= 0 && Number.isFinite(x.output_value))).toBe(true);
  });

  it('materialized predictions honour TTL and maximum age', async () => {
    await runBatch(ctx, { model: 'lr@1', input: path.join(fx, 'data.csv'), ttlSeconds: 1 }, handle());
    expect(getMaterialized(ctx, 'lr@1', 'e3')).not.toBeNull();
    await new Promise((r) => setTimeout(r, 30));
    expect(getMaterialized(ctx, 'lr@1', 'e3', 0)).toBeNull(); // older than 0 s
    expect(getMaterialized(ctx, 'lr@1', 'e3', 60)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    expect(getMaterialized(ctx, 'lr@1', 'e3')).toBeNull(); // expired
    expect(getMaterialized(ctx, 'lr@1', 'nope')).toBeNull();
  });

  it('bad input: missing named column fails before predicting; wrong types and ragged rows are row errors with line numbers', async () => {
    const missing = path.join(t.dir, 'missing.csv');
    fs.writeFileSync(missing, 'id,f0,f1,f3\na,1,2,3\n');
    await expect(runBatch(ctx, { model: 'named@1', input: missing }, handle())).rejects.toThrow(/lacks 1 column\(s\) named@1 needs: "f2"/);
    expect(ctx.db.prepare(`SELECT count(*) AS n FROM eval_batches WHERE label = 'named@1'`).get()).toEqual({ n: 0 });

    const messy = path.join(t.dir, 'messy.csv');
    fs.writeFileSync(messy, 'f3,extra,id,f1,f0,f2\n1,x,a,2,3,4\n1,x,b,oops,3,4\n1,x,c,2,3\n1,x,d,,3,4\n');
    setDatasetCheck(({ columns }) => [`quality hook saw ${columns.length} columns`]);
    const r = await runBatch(ctx, { model: 'named@1', input: messy, chunkRows: 2 }, handle());
    setDatasetCheck(null);
    expect(r.warnings.join('\n')).toMatch(/ignoring 1 column\(s\).*extra/);
    expect(r.warnings).toContain('quality hook saw 6 columns');
    // Row d's empty f1 is a missing value, which XGBoost takes natively.
    expect(r.rows).toBe(2);
    expect(r.errors.map((e) => [e.entity, e.error.replace(/:.*$/, '')])).toEqual([['b', 'line 3'], ['c', 'line 4']]);
    expect(r.errors[0]!.error).toMatch(/column "f1" is "oops", not a number/);
    expect(r.errors[1]!.error).toMatch(/5 fields, the header has 6/);
    // A row the model itself rejects is that row's error (LogisticRegression raises on NaN), the others run.
    const nan = path.join(t.dir, 'nan.csv');
    fs.writeFileSync(nan, 'id,f0,f1,f2,f3\na,1,2,3,4\nb,1,,3,4\nc,0,0,0,0\n');
    const r2 = await runBatch(ctx, { model: 'lrp@1', input: nan, allowPickle: true }, handle());
    expect(r2.rows).toBe(2);
    expect(r2.errors).toEqual([{ line: 3, entity: 'b', error: expect.stringMatching(/^lrp@1 raised: ValueError: Input X contains NaN/) }]);
  });

  it('JSONL input; a bad line is a row error', async () => {
    const f = path.join(t.dir, 'in.jsonl');
    fs.writeFileSync(f, '{"id":"a","f0":1,"f1":2,"f2":3,"f3":4}\nnot json\n\n{"id":"b","f0":1,"f1":2,"f3":4}\n{"id":"c","f0":0.5,"f1":2,"f2":3,"f3":4}');
    const r = await runBatch(ctx, { model: 'lr@1', input: f }, handle());
    expect(r.rows).toBe(2);
    expect(r.errors.map((e) => e.error)).toEqual([expect.stringMatching(/^line 2: not JSON/), expect.stringMatching(/^line 4: missing "f2"/)]);
  });

  it('a model that raises on every row fails the batch with its own message', async () => {
    await expect(runBatch(ctx, { model: 'raises@1', input: path.join(fx, 'data.csv'), allowPickle: true }, handle())).rejects.toThrow(/raises@1 raised: ValueError: matmul/);
  });

  it('a pickle needs the explicit confirmation, and one with high findings is never loaded', async () => {
    await expect(runBatch(ctx, { model: 'lrp@1', input: path.join(fx, 'data.csv') }, handle())).rejects.toMatchObject({ code: 'pickle_confirmation_required' });
    await expect(runBatch(ctx, { model: 'pandas@1', input: path.join(fx, 'data.csv'), allowPickle: true }, handle())).rejects.toMatchObject({ code: 'dangerous_findings' });
  });

  it('the Python worker SIGKILLed mid-batch is restarted and the batch completes with no row lost or duplicated', async () => {
    const input = path.join(t.dir, 'kill.csv');
    bigCsv(path.join(fx, 'data.csv'), input, 6000);
    const worker = await tabularWorker(ctx);
    const before = worker.starts;
    let killed: number | null = null;
    const r = await runBatch(ctx, { model: 'xgb@1', input, chunkRows: 500 }, handle((done) => {
      if (killed === null && done > 60_000) {
        killed = worker.pid;
        process.kill(killed!, 'SIGKILL');
      }
    }));
    expect(killed).not.toBeNull();
    expect(r.restarts).toBe(1);
    expect(worker.starts).toBe(before + 1);
    expect(r.rows).toBe(6000);
    expect(count(r.batch_id)).toEqual({ n: 6000, d: 6000 });
  }, 60_000);

  it('an app killed mid-batch leaves a batch that resumes from its last chunk, without duplicates', async () => {
    const input = path.join(t.dir, 'resume.csv');
    bigCsv(path.join(fx, 'data.csv'), input, 30_000);
    const home = path.join(t.dir, 'home2');
    const hallmark = cliRunner(home);
    expect((await hallmark('import', path.join(fx, 'xgb.json'), '--name', 'xgb')).code).toBe(0);
    // The real CLI as its own process (not the tsx wrapper, whose child would survive the kill).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'electron/cli/entry.ts'), '--home', home, 'predict', 'xgb@1', '--input', input, '--chunk-rows', '100'],
      { cwd: REPO, env: { ...process.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const probe = openContext({ home });
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const b = probe.db.prepare(`SELECT rows_done FROM eval_batches WHERE id = 1`).get() as { rows_done: number } | undefined;
        if (b && b.rows_done >= 2000) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the batch did not start');
        await new Promise((res) => setTimeout(res, 20));
      }
      child.kill('SIGKILL');
      await new Promise((res) => child.once('close', res));
      const mid = probe.db.prepare(`SELECT state, rows_done, resume_offset FROM eval_batches WHERE id = 1`).get() as { state: string; rows_done: number; resume_offset: number };
      expect(mid.state).toBe('running');
      expect(mid.rows_done).toBeLessThan(30_000);
      expect(mid.resume_offset).toBeGreaterThan(0);
    } finally {
      await probe.dispose();
    }
    const r = await hallmark('predict', '--resume', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ batch_id: 1, rows: 30_000, failed: 0, state: 'done' });
    const again = openContext({ home });
    try {
      expect(again.db.prepare(`SELECT count(*) AS n, count(DISTINCT entity) AS d, min(line) AS lo, max(line) AS hi FROM eval_results WHERE batch_id = 1`).get())
        .toEqual({ n: 30_000, d: 30_000, lo: 2, hi: 30_001 });
      expect(again.db.prepare(`SELECT count(*) AS n FROM materialized`).get()).toEqual({ n: 30_000 });
    } finally {
      await again.dispose();
    }
    expect((await hallmark('predict', '--resume', '1')).stderr).toMatch(/already finished/);
  }, 180_000);

  it('memory stays flat over a file far larger than it (streamed, never read whole)', async () => {
    const input = path.join(t.dir, 'big.csv');
    bigCsv(path.join(fx, 'data.csv'), input, 400_000);
    const size = fs.statSync(input).size;
    expect(size).toBeGreaterThan(15e6);
    // Live memory (after a full collection), sampled as the batch goes: garbage is not growth.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    // Samples (bytes read, live memory): one-time costs (sessions, compiled code, statement caches) come first;
    // from a fifth of the file on, growth must stay small however much more is read.
    const base = live();
    const samples: Array<[number, number]> = [];
    const r = await runBatch(ctx, { model: 'lr@1', input, chunkRows: 100, route: { seed: 'm', weights: [{ key: 'lr@1', weight: 0.005 }, { key: 'other', weight: 0.995 }], self: 'lr@1' } },
      handle((done) => samples.push([done, live()])));
    expect(r.rows + r.skipped).toBe(400_000);
    expect(r.rows).toBeGreaterThan(1000);
    const later = samples.filter(([d]) => d > size / 5);
    expect(later.length).toBeGreaterThan(8);
    // Live memory is noisy (read buffers in flight): compare the mean of the last third with the first third.
    const third = Math.floor(later.length / 3);
    const mean = (xs: Array<[number, number]>) => xs.reduce((acc, [, m]) => acc + m, 0) / xs.length;
    const growth = mean(later.slice(-third)) - mean(later.slice(0, third));
    const peak = Math.max(...samples.map(([, m]) => m)) - base;
    console.log(`batch over ${(size / 1e6).toFixed(0)} MB: peak live growth ${(peak / 1e6).toFixed(1)} MB, trend over the last 80% ${(growth / 1e6).toFixed(2)} MB`);
    expect(growth).toBeLessThan(3e6);
    expect(peak).toBeLessThan(size / 2);
    fs.rmSync(input);
  }, 180_000);

  it('a cancelled batch keeps what it committed and resumes to the end without duplicates', async () => {
    const input = path.join(t.dir, 'cancel.csv');
    bigCsv(path.join(fx, 'data.csv'), input, 20_000);
    const { jobId, promise } = startBatch(ctx, { model: 'xgb@1', input, chunkRows: 100 });
    const off = (() => {
      const on = (j: { id: string; doneBytes: number }) => {
        if (j.id === jobId && j.doneBytes > 0) ctx.jobs.cancel(jobId);
      };
      ctx.jobs.on('job', on);
      return () => ctx.jobs.off('job', on);
    })();
    await expect(promise).rejects.toThrow(/cancel/);
    off();
    const b = ctx.db.prepare(`SELECT id, state, rows_done FROM eval_batches WHERE job_id = ?`).get(jobId) as { id: number; state: string; rows_done: number };
    expect(b.state).toBe('cancelled');
    expect(b.rows_done).toBeGreaterThan(0);
    expect(b.rows_done).toBeLessThan(20_000);
    const { resumeBatch } = await import('../../../electron/services/evaluate/BatchService');
    const r = await resumeBatch(ctx, b.id).promise;
    expect(r).toMatchObject({ batch_id: b.id, rows: 20_000, state: 'done' });
    expect(count(b.id)).toEqual({ n: 20_000, d: 20_000 });
  }, 120_000);

  it('a batch started as a job reports progress and can be listed', async () => {
    const { jobId, promise } = startBatch(ctx, { model: 'gbr@1', input: path.join(fx, 'data_reg.csv'), labelColumn: 'y' });
    const r = await promise;
    expect(ctx.jobs.get(jobId).state).toBe('done');
    expect(r).toMatchObject({ runtime: 'onnx', model_type: 'regression', rows: 400 });
  });
});
