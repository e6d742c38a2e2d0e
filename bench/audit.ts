// Run/audit benchmarks (issue 4). Run: npx tsx bench/audit.ts [--quick]
// 1. Greedy completion tokens/s on the tiny GGUF through our service vs node-llama-cpp called
//    directly in the same process, same threads and context size (target: overhead ≤ 5%).
// 2. A full audit of 128 fingerprints: wall time and tokens/s.
// 3. ONNX predictions/s, one sample per call vs batches of 100.
// Figures go to stdout and .bench/audit.json; nothing here passes or fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
import { AppContext } from '../electron/services/AppContext';
import { startAudit } from '../electron/services/audit/AuditService';
import { generateFingerprints } from '../electron/services/audit/fingerprints';
import { passphraseKey, writeFingerprintFile } from '../electron/services/audit/FingerprintStore';
import { complete, runOnnx } from '../electron/services/inference/InferenceService';
import { runServices } from '../electron/services/inference/RunServices';
import { writeTinyLlama } from '../test/fixtures/gguf/writeGguf';
import { denseSpec, writeLinearOnnx } from '../test/fixtures/onnx/writeOnnx';

const quick = process.argv.includes('--quick');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-audit-'));
const ctx = AppContext.open({ home: path.join(root, 'home') });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

/** A cycle through the printable characters: generation never stops before maxTokens (the worst case). */
function cycleModel(): string {
  const next: Record<string, string> = {};
  [...PRINTABLE].forEach((c, i) => (next[c] = PRINTABLE[(i + 1) % PRINTABLE.length]!));
  const file = path.join(root, 'cycle.gguf');
  if (!fs.existsSync(file)) writeTinyLlama(file, { next, fallback: 'a' });
  return file;
}

async function completionOverhead() {
  const file = cycleModel();
  const rs = runServices(ctx);
  const runtime = await rs.llama();
  const threads = runtime.threads;
  const info = await runtime.load(file);

  const llama = await getLlama({ build: 'never', gpu: rs.settings().gpu ? 'auto' : false });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: info.contextSize, threads, sequences: 1 });
  const direct = new LlamaCompletion({ contextSequence: context.getSequence() });

  const maxTokens = 128;
  const pairs = quick ? 20 : 60;
  const prompts = ['a', 'K', '#', 'z'];
  // Totals over all calls too: tokens/s from summed tokens and time is steadier than a median of rates.
  const totals = { direct: { tokens: 0, ms: 0 }, service: { tokens: 0, ms: 0 } };
  const runDirect = async (p: string) => {
    let n = 0;
    const t = performance.now();
    await direct.generateCompletion(p, { maxTokens, temperature: 0, repeatPenalty: false, onToken: (x) => (n += x.length) });
    const ms = performance.now() - t;
    totals.direct.tokens += n;
    totals.direct.ms += ms;
    return (n * 1000) / ms;
  };
  const runService = async (p: string) => {
    const t = performance.now();
    const r = await complete(ctx, { path: file }, { prompt: p, maxTokens });
    const ms = performance.now() - t;
    totals.service.tokens += r.tokens;
    totals.service.ms += ms;
    return (r.tokens * 1000) / ms;
  };
  // Warm both paths, then pair calls back to back (alternating which goes first) so the load
  // other processes put on the machine hits both sides alike; the overhead is the median pair.
  await runDirect('a');
  await runService('a');
  totals.direct = { tokens: 0, ms: 0 };
  totals.service = { tokens: 0, ms: 0 };
  const svc: number[] = [];
  const dir: number[] = [];
  const overheads: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const p = prompts[i % prompts.length]!;
    let d: number;
    let s: number;
    if (i % 2) {
      d = await runDirect(p);
      s = await runService(p);
    } else {
      s = await runService(p);
      d = await runDirect(p);
    }
    dir.push(d);
    svc.push(s);
    overheads.push(((d - s) / d) * 100);
  }
  direct.dispose();
  await context.dispose();
  await model.dispose();
  const rate = (x: { tokens: number; ms: number }) => (x.tokens * 1000) / x.ms;
  const totalOverhead = ((rate(totals.direct) - rate(totals.service)) / rate(totals.direct)) * 100;
  return { threads, max_tokens: maxTokens, pairs, service_tokens_per_sec: median(svc), direct_tokens_per_sec: median(dir), overhead_pct: median(overheads),
    direct_total_tokens_per_sec: rate(totals.direct), service_total_tokens_per_sec: rate(totals.service), overhead_total_pct: totalOverhead,
    overhead_pct_iqr: [quantile(overheads, 0.25), quantile(overheads, 0.75)] as [number, number] };
}

async function audit128() {
  const set = generateFingerprints({ count: 128, keyLength: 16, responseLength: 8, alphabet: PRINTABLE, seed: 'be'.repeat(16) });
  const file = path.join(root, 'fp.hmfp');
  await writeFingerprintFile(file, set, passphraseKey('bench'));
  // Every key generates its full token budget on this model: the slowest case for an audit.
  const model = cycleModel();
  await (await runServices(ctx).llama()).load(model);
  const t = performance.now();
  const { promise } = await startAudit(ctx, { model: { path: model }, kind: 'fingerprints', mode: 'full', fingerprints: { path: file }, passphrase: 'bench' });
  const a = await promise;
  const wall = performance.now() - t;
  const r = a.report;
  return {
    fingerprints: r.n, wall_ms: wall, tokens: r.tokens, tokens_per_sec: (r.tokens * 1000) / wall, verdict: r.verdict,
    ms_per_key: wall / r.n,
  };
}

async function onnxThroughput() {
  const inF = 64;
  const file = writeLinearOnnx(path.join(root, 'dense.onnx'), denseSpec(inF, 16));
  const sample = (i: number) => Array.from({ length: inF }, (_, j) => ((i * 31 + j * 7) % 100) / 100);
  const total = quick ? 500 : 2000;
  const batch = 100;
  await runOnnx(ctx, { path: file }, { inputs: [sample(0)] });
  let t = performance.now();
  for (let i = 0; i < total; i++) await runOnnx(ctx, { path: file }, { inputs: [sample(i)] });
  const singleMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < total; i += batch) await runOnnx(ctx, { path: file }, { inputs: Array.from({ length: batch }, (_, k) => sample(i + k)) });
  const batchedMs = performance.now() - t;
  const single = (total * 1000) / singleMs;
  const batched = (total * 1000) / batchedMs;
  return { model: `dense ${inF}→16`, predictions: total, batch, single_per_sec: single, batched_per_sec: batched, speedup: batched / single };
}

/** The summary every run ends with: one row per figure, aligned for a terminal or a PR comment. */
function printTable(rows: Array<[string, string, string]>): void {
  const head: [string, string, string] = ['benchmark', 'result', 'note'];
  const w = [0, 1, 2].map((i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const line = (r: [string, string, string]) => `| ${r[0].padEnd(w[0]!)} | ${r[1].padStart(w[1]!)} | ${r[2].padEnd(w[2]!)} |`;
  console.log(`\n${line(head)}\n|${w.map((n) => '-'.repeat(n + 2)).join('|')}|\n${rows.map(line).join('\n')}`);
}

try {
  const gpu = await runServices(ctx).gpu();
  console.error(`hardware: ${gpu.backend}, ${os.cpus().length} cores, ${(gpu.ram_bytes / 1e9).toFixed(1)} GB RAM`);
  const completion = await completionOverhead();
  console.log(`greedy completion (${completion.max_tokens} tokens, ${completion.threads} thread(s), median of ${completion.pairs} paired calls):`);
  console.log(`  node-llama-cpp direct  ${completion.direct_tokens_per_sec.toFixed(0)} tokens/s median, ${completion.direct_total_tokens_per_sec.toFixed(0)} over all calls`);
  console.log(`  Hallmark service       ${completion.service_tokens_per_sec.toFixed(0)} tokens/s median, ${completion.service_total_tokens_per_sec.toFixed(0)} over all calls`);
  console.log(`  overhead               ${completion.overhead_pct.toFixed(2)}% median of pairs (IQR ${completion.overhead_pct_iqr.map((x) => x.toFixed(1)).join('…')}%), ${completion.overhead_total_pct.toFixed(2)}% over all calls; target ≤ 5%`);
  const audit = await audit128();
  console.log(`audit of ${audit.fingerprints} fingerprints (full, greedy): ${audit.wall_ms.toFixed(0)} ms wall, ${audit.ms_per_key.toFixed(1)} ms/key, ${audit.tokens} tokens, ${audit.tokens_per_sec.toFixed(0)} tokens/s, verdict ${audit.verdict}`);
  const onnx = await onnxThroughput();
  console.log(`ONNX ${onnx.model}: ${onnx.single_per_sec.toFixed(0)} predictions/s one per call, ${onnx.batched_per_sec.toFixed(0)} predictions/s in batches of ${onnx.batch} (${onnx.speedup.toFixed(1)}×)`);
  printTable([
    ['greedy completion, node-llama-cpp direct', `${completion.direct_total_tokens_per_sec.toFixed(0)} tokens/s`, `reference, ${completion.pairs} calls × ${completion.max_tokens} tokens`],
    ['greedy completion, Hallmark service', `${completion.service_total_tokens_per_sec.toFixed(0)} tokens/s`, 'same calls, interleaved'],
    ['service overhead (median of pairs)', `${completion.overhead_pct.toFixed(2)}%`, `target ≤ 5%: ${completion.overhead_pct <= 5 ? 'met' : 'NOT MET'}`],
    ['service overhead (all calls)', `${completion.overhead_total_pct.toFixed(2)}%`, `target ≤ 5%: ${completion.overhead_total_pct <= 5 ? 'met' : 'NOT MET'}`],
    [`audit of ${audit.fingerprints} fingerprints (full)`, `${(audit.wall_ms / 1000).toFixed(2)} s wall`, `${audit.ms_per_key.toFixed(1)} ms/key`],
    ['audit generation throughput', `${audit.tokens_per_sec.toFixed(0)} tokens/s`, `${audit.tokens} tokens`],
    ['ONNX, one sample per call', `${onnx.single_per_sec.toFixed(0)} predictions/s`, onnx.model],
    [`ONNX, batches of ${onnx.batch}`, `${onnx.batched_per_sec.toFixed(0)} predictions/s`, `${onnx.speedup.toFixed(1)}× single`],
  ]);
  const results = { at: new Date().toISOString(), backend: gpu.backend, cores: os.cpus().length, completion, audit, onnx };
  fs.mkdirSync('.bench', { recursive: true });
  fs.writeFileSync(path.join('.bench', 'audit.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await ctx.dispose();
  fs.rmSync(root, { recursive: true, force: true });
}
