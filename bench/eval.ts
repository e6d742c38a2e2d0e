// Batch prediction benchmark (issue 13). Run: npm run bench:eval [-- --rows N]
// A 100,000-row CSV generated on the fly; models trained in the tabular venv (test/fixtures/tabular/make_models.py:
// a LogisticRegression, whose predict is nearly free so the pipeline's own cost shows, and a 20-tree XGBoost).
// Measured in the same run, same model, same batch size (1,000 rows):
//   1. `hallmark predict` through the ONNX path (CSV streaming, column checks, runtime, SQLite materialization);
//   2. the same through the Python worker (native XGBoost JSON / the scikit-learn pickle);
//   3. onnxruntime-node called directly on the pre-parsed rows (the reference);
//   4. the ONNX runner alone (the adapter's worker thread, no CSV/SQLite) to split the overhead.
// Prints predictions/s and the ratios; figures also go to .bench/eval.json. Nothing here passes or fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxRuntime } from '../native/OnnxRuntime';
import { AppContext } from '../electron/services/AppContext';
import { runBatch } from '../electron/services/evaluate/BatchService';
import { onnxRunner } from '../electron/services/evaluate/runners';
import { tabularStatus } from '../electron/services/evaluate/tabularEnv';
import type { JobHandle } from '../electron/services/jobs/JobManager';
import { importPath } from '../electron/services/registry/Importer';
import { inspectAndScan } from '../electron/services/scan/plugin';

const argRows = process.argv.indexOf('--rows');
const ROWS = argRows > 0 ? Number(process.argv[argRows + 1]) : 100_000;
const CHUNK = 1000;
const status = tabularStatus();
if (status.state !== 'ready') {
  console.log(`bench:eval skipped: the tabular runtime is ${status.state} (${status.problem}); run \`hallmark trainer setup --profile tabular\` first`);
  process.exit(0);
}
process.env.HALLMARK_TABULAR_PYTHON ??= status.python;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-eval-'));
const fx = path.join(root, 'fx');
const made = spawnSync(status.python, [path.join(import.meta.dirname, '../test/fixtures/tabular/make_models.py'), fx, '2000'], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`make_models.py failed: ${made.stderr.slice(-1000)}`);

// The dataset: 100,000 rows of 4 float32-representable features, generated (not read from the fixtures).
const csv = path.join(root, 'data.csv');
const features: number[][] = [];
{
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.fround((x / 2 ** 31) * 6 - 3);
  };
  const fd = fs.openSync(csv, 'w');
  let buf = 'id,f0,f1,f2,f3\n';
  for (let i = 0; i < ROWS; i++) {
    const r = [rnd(), rnd(), rnd(), rnd()];
    features.push(r);
    buf += `r${i},${r.join(',')}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

const job: JobHandle = { id: 'bench', signal: new AbortController().signal, progress: () => undefined, throwIfCancelled: () => undefined };
const ctx = AppContext.open({ home: path.join(root, 'home'), versionHooks: [inspectAndScan] });
const results: Record<string, unknown> = { rows: ROWS, chunk_rows: CHUNK, cores: os.availableParallelism() };

async function direct(onnxFile: string): Promise<number> {
  // The reference: onnxruntime-node on this thread, the rows already parsed into one Float32Array per batch.
  const s = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: Math.max(1, os.availableParallelism() - 1), interOpNumThreads: 1, graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const outs = s.outputNames.filter((n) => /label|prob|variable/i.test(n));
  const batches: Float32Array[] = [];
  for (let i = 0; i < ROWS; i += CHUNK) {
    const n = Math.min(CHUNK, ROWS - i);
    const a = new Float32Array(n * 4);
    for (let r = 0; r < n; r++) a.set(features[i + r]!, r * 4);
    batches.push(a);
  }
  const t = performance.now();
  for (const a of batches) await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', a, [a.length / 4, 4]) }, outs);
  const secs = (performance.now() - t) / 1000;
  await s.release();
  return ROWS / secs;
}

async function runnerOnly(onnxFile: string): Promise<number> {
  const rt = new OnnxRuntime({ gpu: false });
  try {
    const runner = onnxRunner(await rt.open(onnxFile));
    const t = performance.now();
    for (let i = 0; i < ROWS; i += CHUNK) await runner.predict(features.slice(i, i + CHUNK));
    return ROWS / ((performance.now() - t) / 1000);
  } finally {
    await rt.dispose();
  }
}

async function batch(model: string, opts: { allowPickle?: boolean } = {}): Promise<number> {
  const t = performance.now();
  const r = await runBatch(ctx, { model, input: csv, chunkRows: CHUNK, ...opts }, job);
  if (r.rows !== ROWS) throw new Error(`${model}: ${r.rows} rows predicted of ${ROWS}`);
  return ROWS / ((performance.now() - t) / 1000);
}

try {
  for (const [name, onnx, native] of [['logreg', 'logreg.onnx', 'logreg.pkl'], ['xgb', 'xgb.onnx', 'xgb.json']] as const) {
    await importPath(ctx, { path: path.join(fx, onnx), name }, job);
    await importPath(ctx, { path: path.join(fx, native), name }, job);
    // Warm-up: sessions opened, the worker started and the model loaded, code compiled.
    await runBatch(ctx, { model: `${name}@1`, input: path.join(fx, 'data.csv'), chunkRows: CHUNK }, job);
    await runBatch(ctx, { model: `${name}@2`, input: path.join(fx, 'data.csv'), chunkRows: CHUNK, allowPickle: true }, job);
    const ref = await direct(path.join(fx, onnx));
    const adapter = await runnerOnly(path.join(fx, onnx));
    const viaOnnx = await batch(`${name}@1`);
    const viaPython = await batch(`${name}@2`, { allowPickle: true });
    const row = {
      direct_onnxruntime_node_per_s: Math.round(ref),
      onnx_runner_only_per_s: Math.round(adapter),
      hallmark_onnx_batch_per_s: Math.round(viaOnnx),
      hallmark_python_worker_batch_per_s: Math.round(viaPython),
      ratio_onnx_batch_vs_direct: Number((viaOnnx / ref).toFixed(3)),
      ratio_runner_only_vs_direct: Number((adapter / ref).toFixed(3)),
      ratio_python_worker_vs_direct: Number((viaPython / ref).toFixed(3)),
      overhead_onnx_batch_x: Number((ref / viaOnnx).toFixed(2)),
    };
    results[name] = row;
    console.log(`${name} (${native} / ${onnx}), ${ROWS} rows in ${CHUNK}-row batches:`);
    console.log(`  onnxruntime-node directly     ${row.direct_onnxruntime_node_per_s.toLocaleString('en')} predictions/s (reference)`);
    console.log(`  ONNX runner (adapter) alone   ${row.onnx_runner_only_per_s.toLocaleString('en')} predictions/s (×${row.ratio_runner_only_vs_direct} of direct)`);
    console.log(`  hallmark predict via ONNX     ${row.hallmark_onnx_batch_per_s.toLocaleString('en')} predictions/s (×${row.ratio_onnx_batch_vs_direct} of direct; overhead ${row.overhead_onnx_batch_x}×: CSV parse, checks, SQLite materialization)`);
    console.log(`  hallmark predict via Python   ${row.hallmark_python_worker_batch_per_s.toLocaleString('en')} predictions/s (×${row.ratio_python_worker_vs_direct} of direct)`);
  }
  fs.mkdirSync('.bench', { recursive: true });
  fs.writeFileSync('.bench/eval.json', JSON.stringify(results, null, 2));
} finally {
  await ctx.dispose();
  fs.rmSync(root, { recursive: true, force: true });
}
