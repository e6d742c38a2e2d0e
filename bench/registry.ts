// Registry benchmarks (issue 2). Run: npx tsx bench/registry.ts [--quick]
// Prints ratios against a reference tool measured in the same run; no pass/fail timing in unit tests.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppContext } from '../electron/services/AppContext';
import { importPath } from '../electron/services/registry/Importer';

const quick = process.argv.includes('--quick');
const GiB = 1 << 30;
const root = process.env.HALLMARK_BENCH_DIR ?? path.join(os.tmpdir(), 'hallmark-bench');
fs.mkdirSync(root, { recursive: true });
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

function makeFile(p: string, size: number): void {
  if (fs.existsSync(p) && fs.statSync(p).size === size) return;
  const chunk = Buffer.alloc(16 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(p, 'w');
  for (let off = 0; off < size; off += chunk.length) {
    chunk.writeUInt32LE(off / chunk.length, 0); // chunks differ, so nothing dedupes inside the store
    fs.writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
  }
  fs.closeSync(fd);
}

function freshHome(name: string): AppContext {
  const home = path.join(root, name);
  fs.rmSync(home, { recursive: true, force: true });
  return AppContext.open({ home });
}

async function timeImport(ctx: AppContext, p: string, opts: { inPlace?: boolean; concurrency?: number } = {}): Promise<number> {
  const t = process.hrtime.bigint();
  await ctx.jobs.run({ kind: 'import', title: 'bench' }, (job) => importPath(ctx, { path: p, inPlace: opts.inPlace ?? false, newVersion: true }, job, opts.concurrency ? { concurrency: opts.concurrency } : {}));
  return ms(t);
}

function opensslMs(p: string): number {
  const t = process.hrtime.bigint();
  execFileSync('openssl', ['dgst', '-sha256', p], { stdio: 'ignore' });
  return ms(t);
}

async function importThroughput(): Promise<void> {
  const size = quick ? GiB / 4 : GiB;
  const f = path.join(root, 'one.bin');
  makeFile(f, size);
  opensslMs(f); // warm the page cache so both read from memory
  const ctx = freshHome('h-import');
  const runs = 3;
  const ref: number[] = [];
  const inPlace: number[] = [];
  const vault: number[] = [];
  for (let i = 0; i < runs; i++) {
    ref.push(opensslMs(f));
    inPlace.push(await timeImport(ctx, f, { inPlace: true }));
    const home = freshHome('h-vault');
    vault.push(await timeImport(home, f));
    await home.dispose();
  }
  await ctx.dispose();
  const best = (a: number[]) => Math.min(...a);
  const mbps = (t: number) => (size / 1e6 / (t / 1000)).toFixed(0);
  console.log(`\n## Import of a ${(size / GiB).toFixed(2)} GiB file (best of ${runs})`);
  console.log(`openssl dgst -sha256        ${best(ref).toFixed(0)} ms  ${mbps(best(ref))} MB/s`);
  console.log(`hallmark import --in-place  ${best(inPlace).toFixed(0)} ms  ${mbps(best(inPlace))} MB/s  ratio ${(best(ref) / best(inPlace)).toFixed(2)} (target ≥ 0.90)`);
  console.log(`hallmark import (vault copy) ${best(vault).toFixed(0)} ms  ${mbps(best(vault))} MB/s  ratio ${(best(ref) / best(vault)).toFixed(2)} (hash + copy + fsync)`);
}

async function peakRss(): Promise<void> {
  const size = quick ? GiB : 4 * GiB;
  const f = path.join(root, 'four.bin');
  makeFile(f, size);
  const home = path.join(root, 'h-rss');
  fs.rmSync(home, { recursive: true, force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli/entry.ts', 'import', '--allow-unknown', f], { env: { ...process.env, HALLMARK_HOME: home }, stdio: 'ignore' });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {}
  }, 20);
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  clearInterval(timer);
  fs.rmSync(home, { recursive: true, force: true });
  console.log(`\n## Peak RSS importing a ${(size / GiB).toFixed(0)} GiB file into the vault (CLI process)`);
  console.log(`exit ${code}, peak RSS ${(peak / 1e6).toFixed(0)} MB (target < 300 MB)`);
}

async function folderSpeedup(): Promise<void> {
  const dir = path.join(root, 'many');
  const n = quick ? 400 : 2000;
  if (!fs.existsSync(dir) || fs.readdirSync(dir).length !== n) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(256 << 10, i & 0xff);
      b.writeUInt32LE(i, 0);
      fs.writeFileSync(path.join(dir, `f${i}.bin`), b);
    }
  }
  const one: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (const [conc, into] of [[1, one], [os.availableParallelism() * 2, all]] as const) {
      const ctx = freshHome('h-many');
      into.push(await timeImport(ctx, dir, { concurrency: conc, inPlace: true }));
      await ctx.dispose();
    }
  }
  const b1 = Math.min(...one);
  const bn = Math.min(...all);
  console.log(`\n## Folder of ${n} files × 256 KiB, hash only (best of 3, ${os.availableParallelism()} cores)`);
  console.log(`1 worker ${b1.toFixed(0)} ms, parallel ${bn.toFixed(0)} ms: speed-up ${(b1 / bn).toFixed(2)}×`);
}

async function listing(): Promise<void> {
  const N = 100_000;
  const ctx = freshHome('h-list');
  const t0 = process.hrtime.bigint();
  // Seed through the same commit path the importer uses, with synthetic manifests.
  const reg = ctx.registry;
  const words = ['llama', 'mistral', 'bert', 'resnet', 'whisper', 'phi', 'gemma', 'qwen', 'yolo', 'clip'];
  const fw = ['gguf', 'onnx', 'pytorch', 'safetensors', 'keras'];
  ctx.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const name = `${words[i % 10]}-${Math.floor(i / 10) % 5000}`;
      reg.commitVersion({
        name, tags: [`t${i % 50}`], storage: 'in_place', sourcePath: '/models', contentHash: String(i).padStart(64, '0'),
        files: [{ path: `${name}-${i}.bin`, size: i, sha256: String(i).padStart(64, '0') }], dedupe: false,
        framework: fw[i % 5], description: `${words[(i * 7) % 10]} model number ${i}`,
      });
    }
  })();
  console.log(`\n## ${N} versions (${reg.facets().models} models): seeded in ${(ms(t0) / 1000).toFixed(1)} s`);
  const queries: Array<[string, () => unknown]> = [
    ['models, first page by updated', () => reg.listModels({ limit: 200 })],
    ['models, page at offset 4,000', () => reg.listModels({ limit: 200, offset: 4000 })],
    ['models, sort by size', () => reg.listModels({ limit: 200, sort: 'size' })],
    ['models, full-text "mistral"', () => reg.listModels({ query: 'mistral', limit: 200 })],
    ['versions, full-text "gemma model"', () => reg.listVersions({ query: 'gemma model', limit: 200 })],
    ['versions, tag t7 + framework onnx', () => reg.listVersions({ tag: 't7', framework: 'onnx', limit: 200 })],
    ['facets', () => reg.facets()],
  ];
  for (const [label, fn] of queries) {
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = process.hrtime.bigint();
      fn();
      times.push(ms(t));
    }
    times.sort((a, b) => a - b);
    console.log(`${label.padEnd(40)} p50 ${times[20]!.toFixed(1)} ms  p95 ${times[38]!.toFixed(1)} ms`);
  }
  await ctx.dispose();
}

await importThroughput();
await peakRss();
await folderSpeedup();
await listing();
