// Signature verification benchmark: a 4 GiB, 20-file model folder signed by the reference tool
// (model-signing 1.1.1, key method), verified by `model_signing verify key` and by Hallmark in the same run:
//   - Hallmark on the folder (PATH): every file hashed, on every core (worker threads);
//   - Hallmark on the registered version (NAME@VERSION, registered in place): the registry's digests,
//     streamed once at import, are reused, so only the signature and the manifest are checked.
// Prints wall times (median of BENCH_REPEATS) and the ratios to the reference tool (below 1: Hallmark faster).
//
//   npx tsx bench/sign.ts                 (npm run bench:sign)
//   BENCH_GIB=4  BENCH_FILES=20  BENCH_REPEATS=3  HALLMARK_BENCH_DATA=dir  HALLMARK_SIGNING_PYTHON=python
//
// The data is generated once under HALLMARK_BENCH_DATA (default ~/.cache/hallmark/bench-data) and reused.
// Each tool is run once before timing so that all of them read the files from the page cache.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const GIB = Number(process.env.BENCH_GIB ?? 4);
const FILES = Number(process.env.BENCH_FILES ?? 20);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const dataDir = process.env.HALLMARK_BENCH_DATA ?? path.join(os.homedir(), '.cache', 'hallmark', 'bench-data');
const root = path.join(dataDir, `sign-${GIB}gib-${FILES}files`);
const model = path.join(root, 'model');
const log = (s: string): void => void process.stderr.write(s + '\n');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function python(): string {
  if (process.env.HALLMARK_SIGNING_PYTHON) return process.env.HALLMARK_SIGNING_PYTHON;
  const out = execFileSync('bash', [path.join(repo, 'scripts', 'python-venv.sh'), 'signing'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

/** The folder: FILES files of random bytes (weights do not compress or dedupe), a config and a key pair. */
function ensureData(py: string): void {
  if (fs.existsSync(path.join(root, '.done'))) return;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(model, { recursive: true });
  const total = Math.round(GIB * 1024 ** 3);
  const per = Math.floor(total / FILES);
  log(`generating ${FILES} files of ${(per / 1e6).toFixed(0)} MB under ${model}`);
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (let i = 0; i < FILES; i++) {
    const fd = fs.openSync(path.join(model, `model-${String(i + 1).padStart(5, '0')}-of-${String(FILES).padStart(5, '0')}.safetensors`), 'w');
    for (let left = per; left > 0; left -= chunk.length) {
      crypto.randomFillSync(chunk);
      fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
    fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify({ architectures: ['BenchModel'], shards: FILES }));
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  fs.writeFileSync(path.join(root, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(path.join(root, 'key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  log('signing with model_signing sign key');
  const r = spawnSync(py, ['-m', 'model_signing', 'sign', 'key', model, '--private_key', path.join(root, 'key.pem'), '--signature', path.join(model, 'model.sig')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`model_signing sign failed: ${r.stderr}`);
  fs.writeFileSync(path.join(root, '.done'), '');
}

function time(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  return s;
}

function main(): void {
  const py = python();
  ensureData(py);
  const cli = path.join(repo, 'bin', 'hallmark.js');
  if (!fs.existsSync(path.join(repo, 'out', 'cli', 'hallmark.js'))) execFileSync('npm', ['run', 'build:cli'], { cwd: repo, stdio: 'inherit' });
  const pub = path.join(root, 'key.pub.pem');
  const sig = path.join(model, 'model.sig');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-sign-'));
  try {
    const env = { ...process.env, HALLMARK_HOME: home };
    log('registering the folder in place (hashes it once, as any import does)');
    const importS = time('import', process.execPath, [cli, '--json', 'import', model, '--in-place', '--name', 'bench-signed'], env);
    const runs = {
      reference: () => time('model_signing verify', py, ['-m', 'model_signing', 'verify', 'key', model, '--signature', sig, '--public_key', pub]),
      hallmarkPath: () => time('hallmark verify-signature PATH', process.execPath, [cli, '--json', 'verify-signature', model, '--key', pub], env),
      hallmarkVersion: () => time('hallmark verify-signature NAME@VERSION', process.execPath, [cli, '--json', 'verify-signature', 'bench-signed@1', '--key', pub], env),
    };
    for (const f of Object.values(runs)) f(); // warm the page cache and the interpreters
    const t: Record<keyof typeof runs, number[]> = { reference: [], hallmarkPath: [], hallmarkVersion: [] };
    for (let i = 0; i < REPEATS; i++) {
      for (const k of Object.keys(runs) as Array<keyof typeof runs>) t[k].push(runs[k]());
      log(`round ${i + 1}/${REPEATS}: reference ${t.reference.at(-1)!.toFixed(2)}s, hallmark PATH ${t.hallmarkPath.at(-1)!.toFixed(2)}s, NAME@VERSION ${t.hallmarkVersion.at(-1)!.toFixed(2)}s`);
    }
    const ref = median(t.reference);
    const result = {
      data: { gib: GIB, files: FILES, bytes: fs.readdirSync(model).reduce((a, n) => a + fs.statSync(path.join(model, n)).size, 0) },
      cores: os.availableParallelism(),
      repeats: REPEATS,
      seconds: { reference_verify: ref, hallmark_path: median(t.hallmarkPath), hallmark_version: median(t.hallmarkVersion), hallmark_import_once: importS },
      ratio_to_reference: { hallmark_path: median(t.hallmarkPath) / ref, hallmark_version: median(t.hallmarkVersion) / ref },
    };
    console.log(JSON.stringify(result, null, 2));
    log(`\nverify a signed ${GIB} GiB, ${FILES}-file folder (median of ${REPEATS}, ${result.cores} cores):`);
    log(`  model_signing verify key         ${ref.toFixed(2)} s   (1.00)`);
    log(`  hallmark verify-signature PATH   ${result.seconds.hallmark_path.toFixed(2)} s   (${result.ratio_to_reference.hallmark_path.toFixed(2)}× the reference's time)`);
    log(`  hallmark verify-signature N@V    ${result.seconds.hallmark_version.toFixed(2)} s   (${result.ratio_to_reference.hallmark_version.toFixed(2)}×; registry digests reused, import once took ${importS.toFixed(1)} s)`);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main();
