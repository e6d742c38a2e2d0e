// Scan benchmark: throughput (MB/s) on a ~1 GiB torch checkpoint and on a folder of many small files,
// Hallmark side by side with picklescan and modelscan in the same run; then a detection table on the
// test corpus for Hallmark, picklescan, modelscan and fickling.
//
//   npx tsx bench/scan.ts            (npm run bench:scan)
//   HALLMARK_BENCH_DATA=dir  HALLMARK_BENCH_VENV=dir  BENCH_REPEATS=5  BENCH_REPEATS_ONE_FILE=15  BENCH_API_REPEATS=20  BENCH_SMALL_FILES=2000
//   BENCH_GIB=1 (checkpoint size; e.g. 0.25 for a quick run)  BENCH_API_WARMUP=5  BENCH_WARMUP_SECONDS=1
//   BENCH_ONLY=throughput|detection
//
// The benign set includes real trained models that PyPI packages ship in their wheels (Silero VAD,
// lpips, the onnx backend test models), fetched once by bench/setup-python.sh.
//
// The reference tools live in a test-only virtualenv made by bench/setup-python.sh (run automatically
// when missing). Generated data is cached under HALLMARK_BENCH_DATA (default ~/.cache/hallmark/bench-data).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanPaths } from '../electron/services/scan/scanner';
import { getCorpus, type Sample } from '../test/fixtures/corpus/index';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const home = os.homedir();
const dataDir = process.env.HALLMARK_BENCH_DATA ?? path.join(home, '.cache', 'hallmark', 'bench-data');
const venv = process.env.HALLMARK_BENCH_VENV ?? path.join(home, '.cache', 'hallmark', 'bench-venv');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** One-file CLI runs take a fraction of a second and are dominated by start-up noise: more of them. */
const REPEATS_ONE_FILE = Number(process.env.BENCH_REPEATS_ONE_FILE ?? 15);
/** In-process calls are cheap: more repeats give every tool a warmed-up median. */
const API_REPEATS = Number(process.env.BENCH_API_REPEATS ?? 20);
const API_WARMUP = Number(process.env.BENCH_API_WARMUP ?? 5);
/** Warm-up also lasts at least this long: one-file targets need many calls before V8 has optimised the scanner. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const ONLY = process.env.BENCH_ONLY; // 'throughput' | 'detection'
const SMALL = Number(process.env.BENCH_SMALL_FILES ?? 2000);
const GIB = Number(process.env.BENCH_GIB ?? 1);
const py = path.join(venv, 'bin', 'python');
const bin = (t: string): string => path.join(venv, 'bin', t);

const log = (s: string): void => void process.stderr.write(s + '\n');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number): number => bytes / 1e6;

function sizeOf(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((a, n) => a + sizeOf(path.join(p, n)), 0);
}

const realDir = path.join(venv, 'real-models');

function ensureVenv(): void {
  if (fs.existsSync(py) && fs.existsSync(path.join(realDir, '.done'))) return;
  log(`reference scanners missing: running bench/setup-python.sh (${venv})`);
  execFileSync('bash', [path.join(here, 'setup-python.sh')], { stdio: 'inherit', env: { ...process.env, HALLMARK_BENCH_VENV: venv } });
}

function toolVersions(): Record<string, string> {
  const out = execFileSync(py, ['-c', 'import importlib.metadata as m; print(" ".join(f"{p}=={m.version(p)}" for p in ("picklescan","modelscan","fickling")))']).toString().trim();
  return Object.fromEntries(out.split(' ').map((s) => s.split('==') as [string, string]));
}

/**
 * The real `hallmark` command as users run it (bin/hallmark.js, which loads the bundle scripts/build-cli.mjs
 * writes to out/cli), so its process timing includes everything `hallmark scan` loads and prints.
 */
function buildHallmarkCli(): string {
  execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-cli.mjs')], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(repo, 'bin', 'hallmark.js');
}

/**
 * NODE_EXTRA_CA_CERTS makes every Node 20 process load that file with OpenSSL 3 before any script runs
 * (nodejs/node#40524, lazy only from Node 25). Sandboxes behind a TLS proxy point it at the whole system
 * bundle (~140 roots): ~75 ms a start here, more than the scan. It is a setting of the machine, which no
 * Python tool reads, so the CLI runs of every tool use the environment without it; Hallmark's CLI is also
 * timed as configured, and that figure is printed beside the others.
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
const cliEnv: NodeJS.ProcessEnv = { ...process.env };
delete cliEnv.NODE_EXTRA_CA_CERTS;

function timeProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = cliEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, env });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) log(`  ${path.basename(cmd)} exited ${r.status}: ${String(r.stderr).slice(0, 200)}`);
  return s;
}

interface Timing {
  tool: string;
  cliSeconds: number;
  apiSeconds: number;
  /** Hallmark only, when the machine sets NODE_EXTRA_CA_CERTS: the CLI run with it. */
  cliWithExtraCa?: number;
}

async function throughput(target: string, hallmarkCli: string): Promise<{ bytes: number; files: number; rows: Timing[]; appSeconds: number }> {
  const bytes = sizeOf(target);
  const files = fs.statSync(target).isDirectory() ? fs.readdirSync(target).length : 1;
  const rows: Timing[] = [];
  // warm the page cache once so every tool reads from memory
  timeProcess(bin('picklescan'), ['-p', target]);
  // CLI runs interleave the tools (one run of each per round), so that load from other processes
  // during the benchmark falls on all of them alike instead of on whichever ran at that moment.
  const clis: Array<[string, string, string[]]> = [
    ['hallmark', process.execPath, [hallmarkCli, 'scan', '--json', target]],
    ['picklescan', bin('picklescan'), ['-p', target]],
    ['modelscan', bin('modelscan'), ['-p', target]],
  ];
  const cliTimes = new Map<string, number[]>(clis.map(([t]) => [t, []]));
  const withExtraCa: number[] = [];
  const repeats = files === 1 ? REPEATS_ONE_FILE : REPEATS;
  for (let r = 0; r < repeats; r++) {
    for (const [tool, cmd, args] of clis) cliTimes.get(tool)!.push(timeProcess(cmd, args));
    if (EXTRA_CA) withExtraCa.push(timeProcess(clis[0]![1], clis[0]![2], process.env));
  }
  // In process, Hallmark runs with the CLI's options (blocking reads, like the Python tools' plain
  // file reads); the app's mode (async reads through the thread pool) is reported on its own row.
  const inProcess = async (opts: { blockingIo: boolean }): Promise<number> => {
    const ts: number[] = [];
    const until = performance.now() + WARMUP_SECONDS * 1000;
    for (let i = 0; i < API_WARMUP || performance.now() < until; i++) await scanPaths([target], opts);
    for (let i = 0; i < API_REPEATS; i++) {
      const t0 = performance.now();
      await scanPaths([target], opts);
      ts.push((performance.now() - t0) / 1000);
    }
    return median(ts);
  };
  rows.push({
    tool: 'hallmark',
    cliSeconds: median(cliTimes.get('hallmark')!),
    apiSeconds: await inProcess({ blockingIo: true }),
    ...(EXTRA_CA ? { cliWithExtraCa: median(withExtraCa) } : {}),
  });
  const appSeconds = await inProcess({ blockingIo: false });
  for (const tool of ['picklescan', 'modelscan']) {
    const api = JSON.parse(execFileSync(py, [path.join(here, 'reference_scan.py'), 'time', tool, target, String(API_REPEATS), String(API_WARMUP), String(WARMUP_SECONDS)], { maxBuffer: 64 << 20 }).toString()) as { seconds: number[] };
    rows.push({ tool, cliSeconds: median(cliTimes.get(tool)!), apiSeconds: median(api.seconds) });
  }
  return { bytes, files, rows, appSeconds };
}

function printThroughput(title: string, t: { bytes: number; files: number; rows: Timing[]; appSeconds: number }): void {
  console.log(`\n### ${title}: ${mb(t.bytes).toFixed(1)} MB, ${t.files} file(s)\n`);
  console.log('| tool | CLI wall time | CLI MB/s | in-process time | in-process MB/s |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of t.rows) console.log(`| ${r.tool} | ${r.cliSeconds.toFixed(3)} s | ${(mb(t.bytes) / r.cliSeconds).toFixed(0)} | ${(r.apiSeconds * 1000).toFixed(1)} ms | ${(mb(t.bytes) / r.apiSeconds).toFixed(0)} |`);
  const extra = t.rows[0]!.cliWithExtraCa;
  if (extra !== undefined) console.log(`| hallmark, NODE_EXTRA_CA_CERTS as set here | ${extra.toFixed(3)} s | ${(mb(t.bytes) / extra).toFixed(0)} | — | — |`);
  console.log(`| hallmark, app mode (async reads) | — | — | ${(t.appSeconds * 1000).toFixed(1)} ms | ${(mb(t.bytes) / t.appSeconds).toFixed(0)} |`);
  const h = t.rows[0]!;
  for (const r of t.rows.slice(1)) console.log(`\nHallmark vs ${r.tool}: ${(r.cliSeconds / h.cliSeconds).toFixed(1)}× faster end to end, ${(r.apiSeconds / h.apiSeconds).toFixed(1)}× faster in process`);
}

/** Real HDF5 Keras files (h5py in the bench venv), so modelscan's h5 scanner gets genuine input. */
function realH5Samples(dir: string): Sample[] {
  const script = `
import h5py, json, numpy as np, sys, os
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
code = "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMQAAAAZAFkAGwAfQF8AaABZAIhAFMAKQNO2gJvc9oGc3lzdGVtKQLaAm9z"
def write(name, layers):
    with h5py.File(os.path.join(d, name), 'w') as f:
        f.attrs['keras_version'] = '2.15.0'; f.attrs['backend'] = 'tensorflow'
        f.attrs['model_config'] = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": layers}})
        f.create_group('model_weights').create_dataset('w', data=np.zeros((64, 64), dtype='f4'))
dense = {"class_name": "Dense", "config": {"name": "d", "units": 2}}
write('real_benign.h5', [dense])
write('real_lambda.h5', [dense, {"class_name": "Lambda", "config": {"name": "lam", "function": [code, None, None], "function_type": "lambda"}}])
`;
  execFileSync(py, ['-c', script, dir]);
  return [
    { path: path.join(dir, 'real_benign.h5'), expect: 'benign', rules: [], note: 'h5py-written Keras model' },
    { path: path.join(dir, 'real_lambda.h5'), expect: 'malicious', rules: ['keras.lambda'], note: 'h5py-written Keras Lambda' },
  ];
}

interface Verdict {
  flagged: boolean;
  error: string | null;
}

/** Real model files extracted from PyPI wheels by setup-python.sh (benign by construction). */
function realModels(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  const files = path.join(realDir, 'files');
  if (fs.existsSync(files)) walk(files);
  return out.sort();
}

interface DetectionResult {
  malicious: number;
  benign: number;
  real: number;
  detected: Record<string, number>;
  fp: Record<string, number>;
  realFp: Record<string, number>;
}

async function detection(): Promise<DetectionResult> {
  const { root, samples } = await getCorpus();
  const all: Array<Sample & { abs: string; real?: boolean }> = [
    ...samples.map((s) => ({ ...s, abs: path.join(root, s.path) })),
    ...realH5Samples(path.join(dataDir, 'real-h5')).map((s) => ({ ...s, abs: s.path, path: `bench/${path.basename(s.path)}` })),
    ...realModels().map((abs) => ({ path: `pypi/${path.relative(path.join(realDir, 'files'), abs)}`, abs, expect: 'benign' as const, rules: [], note: 'real model file from a PyPI wheel', real: true })),
  ];
  const results: Record<string, Verdict[]> = {};
  const rep = await scanPaths(all.map((s) => s.abs));
  results.hallmark = all.map((s) => {
    const fs2 = rep.files.filter((f) => f.path === s.abs || f.path.startsWith(s.abs + path.sep));
    return { flagged: fs2.some((f) => f.findings.some((x) => x.severity !== 'info')), error: fs2.find((f) => f.error)?.error ?? null };
  });
  const list = path.join(dataDir, 'corpus-list.json');
  fs.writeFileSync(list, JSON.stringify(all.map((s) => s.abs)));
  for (const tool of ['picklescan', 'modelscan', 'fickling']) {
    log(`detection: ${tool} on ${all.length} samples`);
    const out = execFileSync(py, [path.join(here, 'reference_scan.py'), 'detect', tool, list], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    // fickling prints warnings on stdout: keep only the JSON lines
    const byPath = new Map(out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { path: string } & Verdict).map((r) => [r.path, r]));
    results[tool] = all.map((s) => byPath.get(s.abs) ?? { flagged: false, error: 'no result' });
  }
  const tools = ['hallmark', 'picklescan', 'modelscan', 'fickling'];
  const mal = all.map((s, i) => [s, i] as const).filter(([s]) => s.expect === 'malicious');
  const ben = all.map((s, i) => [s, i] as const).filter(([s]) => s.expect === 'benign');
  const real = all.map((s, i) => [s, i] as const).filter(([s]) => s.real);
  console.log(`\n### Detection on the corpus: ${mal.length} malicious, ${ben.length} benign samples (${real.length} of them real models from PyPI wheels)\n`);
  // A flag raised only because the tool could not parse the file is not a detection: such tools flag
  // every unfamiliar format (see their false positives). Those are listed apart.
  const detected = (t: string, i: number): boolean => results[t]![i]!.flagged && !results[t]![i]!.error;
  console.log('| tool | malicious detected | missed | flagged only on a parse error | benign false positives | of which real models | tool errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const det: Record<string, number> = {};
  const fp: Record<string, number> = {};
  const realFp: Record<string, number> = {};
  for (const t of tools) {
    det[t] = mal.filter(([, i]) => detected(t, i)).length;
    fp[t] = ben.filter(([, i]) => results[t]![i]!.flagged).length;
    realFp[t] = real.filter(([, i]) => results[t]![i]!.flagged).length;
    const errFlag = mal.filter(([, i]) => results[t]![i]!.flagged && results[t]![i]!.error).length;
    const errs = all.filter((_, i) => results[t]![i]!.error).length;
    console.log(`| ${t} | ${det[t]} / ${mal.length} (${((100 * det[t]) / mal.length).toFixed(0)}%) | ${mal.length - det[t]} | ${errFlag} | ${fp[t]} / ${ben.length} | ${realFp[t]} / ${real.length} | ${errs} |`);
  }
  // Per-category view: what each tool catches by attack family.
  const cat = (s: Sample): string => {
    const r = s.rules[0] ?? '';
    if (r.startsWith('pickle.') || r === 'npy.object-array') return /torch|legacy/.test(s.path) ? 'pickle in torch files' : /joblib|npy|npz/.test(s.path) ? 'pickle in numpy/joblib' : /zip|tar|tgz/.test(s.path) ? 'pickle in archives' : 'pickle opcode tricks';
    return r.split('.')[0]!;
  };
  const cats = [...new Set(mal.map(([s]) => cat(s)))];
  console.log('\n| attack family | samples | ' + tools.join(' | ') + ' |');
  console.log('| --- | ---: | ' + tools.map(() => '---:').join(' | ') + ' |');
  for (const c of cats) {
    const rows = mal.filter(([s]) => cat(s) === c);
    console.log(`| ${c} | ${rows.length} | ${tools.map((t) => rows.filter(([, i]) => detected(t, i)).length).join(' | ')} |`);
  }
  const onlyUs = mal.filter(([, i]) => detected('hallmark', i) && !['picklescan', 'modelscan', 'fickling'].some((t) => detected(t, i))).map(([s]) => s.path);
  const theyOnly = mal.filter(([, i]) => !detected('hallmark', i) && ['picklescan', 'modelscan', 'fickling'].some((t) => detected(t, i))).map(([s]) => s.path);
  console.log(`\nCaught only by Hallmark (${onlyUs.length}): ${onlyUs.slice(0, 40).join(', ')}${onlyUs.length > 40 ? ', …' : ''}`);
  console.log(`Caught by a reference tool but not Hallmark: ${theyOnly.length ? theyOnly.join(', ') : 'none'}`);
  const strictlyMore = ['picklescan', 'modelscan', 'fickling'].every((t) => det.hallmark! > det[t]!);
  console.log(`\nTarget: strictly more detections than every reference tool: ${strictlyMore ? 'met' : 'NOT met'}; zero false positives: ${fp.hallmark === 0 ? 'met' : `NOT met (${fp.hallmark})`}`);
  const fpList = ben.filter(([, i]) => results.hallmark![i]!.flagged).map(([s]) => s.path);
  if (fpList.length) console.log(`Hallmark false positives: ${fpList.join(', ')}`);
  fs.writeFileSync(path.join(dataDir, 'detection.json'), JSON.stringify(all.map((s, i) => ({ path: s.path, expect: s.expect, ...Object.fromEntries(tools.map((t) => [t, results[t]![i]])) })), null, 1));
  return { malicious: mal.length, benign: ben.length, real: real.length, detected: det, fp, realFp };
}

type Throughput = Awaited<ReturnType<typeof throughput>>;

/** One table with every target of issue 3 and whether this run met it. */
function printSummary(big: Throughput | null, small: Throughput | null, d: DetectionResult | null): void {
  console.log('\n## Summary: Hallmark against the reference tools (ratio > 1 means Hallmark is faster)\n');
  console.log('| figure | hallmark | picklescan | modelscan | fickling | target | met |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- | :---: |');
  const speed = (title: string, t: Throughput | null): void => {
    if (!t) return;
    const row = (tool: string): Timing => t.rows.find((r) => r.tool === tool)!;
    const h = row('hallmark');
    for (const [label, key] of [['CLI', 'cliSeconds'], ['in-process', 'apiSeconds']] as const) {
      const ratio = (tool: string): number => row(tool)[key] / h[key];
      const cell = (tool: string): string => `${(mb(t.bytes) / row(tool)[key]).toFixed(0)} MB/s (${ratio(tool).toFixed(1)}×)`;
      const met = ratio('picklescan') > 1 && ratio('modelscan') > 1;
      console.log(`| ${title}, ${label} | ${(mb(t.bytes) / h[key]).toFixed(0)} MB/s | ${cell('picklescan')} | ${cell('modelscan')} | — | faster than both | ${met ? 'yes' : 'NO'} |`);
    }
  };
  speed(`${mb(big?.bytes ?? 0).toFixed(0)} MB torch checkpoint`, big);
  speed(`${small?.files ?? 0} small files`, small);
  if (d) {
    const refs = ['picklescan', 'modelscan', 'fickling'];
    const cell = (t: string): string => `${d.detected[t]} / ${d.malicious}`;
    console.log(`| malicious detected | ${cell('hallmark')} | ${refs.map(cell).join(' | ')} | strictly more than each | ${refs.every((t) => d.detected.hallmark! > d.detected[t]!) ? 'yes' : 'NO'} |`);
    const fcell = (t: string): string => `${d.fp[t]} / ${d.benign}`;
    console.log(`| benign false positives | ${fcell('hallmark')} | ${refs.map(fcell).join(' | ')} | 0 for Hallmark | ${d.fp.hallmark === 0 ? 'yes' : 'NO'} |`);
    const rcell = (t: string): string => `${d.realFp[t]} / ${d.real}`;
    console.log(`| … on real models from PyPI | ${rcell('hallmark')} | ${refs.map(rcell).join(' | ')} | 0 for Hallmark | ${d.realFp.hallmark === 0 ? 'yes' : 'NO'} |`);
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  ensureVenv();
  log(`data: ${dataDir}`);
  execFileSync('python3', [path.join(here, 'make_bench_data.py'), dataDir, '--small', String(SMALL), '--gib', String(GIB)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const versions = toolVersions();
  const cli = buildHallmarkCli();
  console.log(`## Hallmark scan benchmark (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPU, node ${process.version}, ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`CLI: median of ${REPEATS_ONE_FILE} process runs for one file, ${REPEATS} for the folder, tools interleaved (interpreter start-up included) after a warm-up read; in-process: median of ${API_REPEATS} library calls in one process after at least ${API_WARMUP} untimed ones and ${WARMUP_SECONDS} s of them, for every tool (JIT and imports warm; Hallmark with the CLI options, blocking reads).`);
  if (EXTRA_CA) console.log(`This machine sets NODE_EXTRA_CA_CERTS=${EXTRA_CA}: CLI runs drop it (Node 20 loads it at every start, nodejs/node#40524; the Python tools never read it); Hallmark's CLI with it is on its own row.`);
  let big: Throughput | null = null;
  let small: Throughput | null = null;
  let det: DetectionResult | null = null;
  if (ONLY !== 'detection') {
    // Same names as make_bench_data.py: reduced sizes live beside the full-size data.
    const bigFile = path.join(dataDir, GIB === 1 ? 'torch-1gib.pt' : `torch-${GIB}gib.pt`);
    big = await throughput(bigFile, cli);
    printThroughput(`${GIB} GiB torch checkpoint (zip, ${Math.max(1, Math.round(GIB * 128))} tensors)`, big);
    small = await throughput(path.join(dataDir, SMALL === 2000 ? 'small-files' : `small-files-${SMALL}`), cli);
    printThroughput(`Folder of ${SMALL} small files (.pt zips and .pkl)`, small);
  }
  if (ONLY !== 'throughput' && !process.env.BENCH_SKIP_DETECTION) det = await detection();
  printSummary(big, small, det);
}

await main();
