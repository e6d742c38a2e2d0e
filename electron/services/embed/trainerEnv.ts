// Where the trainer's Python lives and how it gets there. The venv path is defined ONCE, by
// resources/trainer/setup-venv.sh (<cache>/trainer-venv-<first 16 hex of sha256(requirements.txt)>):
// this module computes the same path to report status without running anything, passes the cache
// folder to the script as HALLMARK_CACHE (so XDG_CACHE_HOME is honoured there too), and a test checks
// both agree. HALLMARK_TRAINER_PYTHON skips the venv entirely.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { HallmarkError, quote } from '../errors';

/** torch's CPU wheel and its friends take ~3 GB installed; pip needs room for the download beside it. */
export const SETUP_FREE_BYTES = 6 * 1024 ** 3;

/** resources/<folder> (one holding requirements.txt): `override` when set, else found walking up from this file (source or bundled CLI). */
export function bundledResources(folder: string, override: string | undefined, missing: HallmarkError): string {
  if (override) return path.resolve(override);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 7; up++, dir = path.dirname(dir)) {
    const c = path.join(dir, 'resources', folder);
    if (fs.existsSync(path.join(c, 'requirements.txt'))) return c;
  }
  throw missing;
}

/** resources/trainer: HALLMARK_TRAINER_DIR, else the bundled folder. */
export function trainerResources(env: NodeJS.ProcessEnv = process.env): string {
  return bundledResources('trainer', env.HALLMARK_TRAINER_DIR,
    new HallmarkError('trainer_missing', 'the trainer resources (resources/trainer) are not installed with this Hallmark; reinstall it or set HALLMARK_TRAINER_DIR'));
}

/** Hallmark's cache folder: HALLMARK_CACHE, else $XDG_CACHE_HOME/hallmark, else ~/.cache/hallmark. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALLMARK_CACHE) return path.resolve(env.HALLMARK_CACHE);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'hallmark');
}

export function hash16(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
}

export function venvDir(env: NodeJS.ProcessEnv = process.env, resources = trainerResources(env)): string {
  return path.join(cacheRoot(env), `trainer-venv-${hash16(path.join(resources, 'requirements.txt'))}`);
}

export function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/**
 * node-llama-cpp's own llama.cpp release (a git bundle): the converters must match the runtime. Found
 * where Node resolves the package from here (source tree, bundled CLI or app), not next to resources/.
 */
export function llamaBundle(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALLMARK_LLAMA_BUNDLE) return env.HALLMARK_LLAMA_BUNDLE;
  let dir: string;
  try {
    // The package does not export its package.json: resolve its entry and walk up to its root.
    dir = path.dirname(createRequire(import.meta.url).resolve('node-llama-cpp'));
  } catch {
    throw new HallmarkError('trainer_missing', 'node-llama-cpp is not installed with this Hallmark: reinstall it (npm ci)');
  }
  for (let up = 0; up < 5 && path.basename(dir) !== 'node-llama-cpp'; up++) dir = path.dirname(dir);
  return path.join(dir, 'llama', 'gitRelease.bundle');
}

export function llamaDir(env: NodeJS.ProcessEnv = process.env): string {
  const bundle = llamaBundle(env);
  if (!fs.existsSync(bundle)) throw new HallmarkError('trainer_missing', `node-llama-cpp's llama.cpp bundle is missing at ${quote(bundle)}: reinstall Hallmark (npm ci)`);
  return path.join(cacheRoot(env), `llama.cpp-${hash16(bundle)}`);
}

/** An interpreter named bare (python3) is looked up on PATH, as spawn would; a path is taken as is. */
function onPath(cmd: string, env: NodeJS.ProcessEnv): string | null {
  if (cmd.includes('/') || cmd.includes('\\')) return fs.existsSync(cmd) ? cmd : null;
  for (const dir of (env.PATH ?? process.env.PATH ?? '').split(path.delimiter)) {
    const c = path.join(dir, cmd);
    if (dir && fs.existsSync(c)) return c;
  }
  return null;
}

export interface TrainerEnvStatus {
  /** ready: the trainer can run; missing: not set up yet; broken: set up but unusable (see problem). */
  state: 'ready' | 'missing' | 'broken';
  source: 'env' | 'venv';
  python: string;
  venv: string | null;
  llama_cpp: string | null;
  problem: string | null;
  torch: string | null;
  device: string | null;
}

interface Probe {
  ok: boolean;
  torch?: string;
  device?: string;
  python?: string;
  error?: string;
}

/** Imports the trainer's stack in the interpreter (a few seconds: torch is big) and reports what it sees. */
export function probePython(python: string, timeoutMs = 120_000): Probe {
  const code = [
    'import json, sys',
    'try:',
    '    import torch, transformers, peft, safetensors',
    '    dev = "cuda" if torch.cuda.is_available() else ("mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")',
    '    print(json.dumps({"ok": True, "torch": torch.__version__, "device": dev, "python": sys.version.split()[0]}))',
    'except Exception as e:',
    '    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "python": sys.version.split()[0]}))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) return { ok: false, error: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `no Python at ${quote(python)}` : r.error.message };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Probe;
  } catch {
    return { ok: false, error: `${quote(python)} exited with ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  }
}

/** What `hallmark trainer status` says. `probe` imports torch (slow); without it only files are checked. */
export function trainerStatus(opts: { probe?: boolean; env?: NodeJS.ProcessEnv } = {}): TrainerEnvStatus {
  const env = opts.env ?? process.env;
  const resources = trainerResources(env);
  let llama: string | null = null;
  try {
    const d = llamaDir(env);
    llama = fs.existsSync(path.join(d, '.hallmark-complete')) ? d : null;
  } catch {
    llama = null;
  }
  const fromEnv = env.HALLMARK_TRAINER_PYTHON;
  const venv = fromEnv ? null : venvDir(env, resources);
  const python = fromEnv ?? venvPython(venv!);
  const base: TrainerEnvStatus = { state: 'ready', source: fromEnv ? 'env' : 'venv', python, venv, llama_cpp: llama, problem: null, torch: null, device: null };
  if (fromEnv && !onPath(fromEnv, env)) return { ...base, state: 'broken', problem: `HALLMARK_TRAINER_PYTHON names ${quote(fromEnv)}, which does not exist` };
  if (venv && !fs.existsSync(venv)) return { ...base, state: 'missing', problem: 'the trainer is not set up: run `hallmark trainer setup` (about 3 GB download)' };
  if (venv && !fs.existsSync(path.join(venv, '.complete'))) return { ...base, state: 'broken', problem: `the trainer venv at ${quote(venv)} is unfinished (its setup was interrupted): run \`hallmark trainer setup\` to rebuild it` };
  if (!llama) return { ...base, state: 'missing', problem: 'the llama.cpp converters are not checked out: run `hallmark trainer setup`' };
  if (opts.probe) {
    const p = probePython(python);
    if (!p.ok) return { ...base, state: 'broken', problem: `the trainer's Python cannot import its libraries (${p.error}): ${fromEnv ? 'fix HALLMARK_TRAINER_PYTHON' : 'run `hallmark trainer setup` to rebuild it'}` };
    return { ...base, torch: p.torch ?? null, device: p.device ?? null };
  }
  return base;
}

/** Python ≥ 3.10 for building the venv: PYTHON, else python3. Throws a message naming what to install. */
export function basePython(env: NodeJS.ProcessEnv = process.env): string {
  const py = env.PYTHON ?? 'python3';
  const r = spawnSync(py, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) throw new HallmarkError('no_python', `no Python found (${quote(py)}): install Python 3.10 or newer, or point PYTHON at one`);
  const [maj, min] = r.stdout.trim().split('.').map(Number);
  if (maj! < 3 || (maj === 3 && min! < 10)) throw new HallmarkError('no_python', `${quote(py)} is Python ${r.stdout.trim()}; the trainer needs 3.10 or newer (install it, or point PYTHON at one)`);
  return py;
}

export function freeBytes(dir: string): number | null {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    const s = fs.statfsSync(d);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Runs one of the resources/trainer scripts, streaming its stderr lines; resolves with its last stdout line. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, onLine: (l: string) => void, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    let buf = '';
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const lines = buf.split(/\r?\n|\r/);
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) {
        tail = l;
        onLine(l);
      }
    });
    child.on('error', (e) => reject(new HallmarkError('setup_failed', `cannot run ${path.basename(script)}: ${e.message}`)));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new HallmarkError('cancelled', 'trainer setup was cancelled'));
      if (code === 0) return resolve(out.trim().split('\n').pop() ?? '');
      const last = (buf.trim() || tail).slice(0, 400);
      const disk = /No space left|ENOSPC|Errno 28/i.test(last);
      reject(new HallmarkError(disk ? 'disk_full' : 'setup_failed', disk
        ? `the disk is full while setting up the trainer: free ${(SETUP_FREE_BYTES / 1024 ** 3).toFixed(0)} GB and retry`
        : `${path.basename(script)} ${sig ? `was killed by ${sig}` : `failed (exit ${code})`}${last ? `: ${last}` : ''}`));
    });
  });
}

export interface SetupResult {
  python: string;
  torch: string | null;
  device: string | null;
  venv: string | null;
  llama_cpp: string;
  reused: boolean;
}

/**
 * Creates (or reuses) the venv and the llama.cpp checkout. A venv that fails to import its stack is
 * deleted and rebuilt once; HALLMARK_TRAINER_PYTHON is used as is (only checked).
 */
export async function setupTrainer(opts: { env?: NodeJS.ProcessEnv; onLine?: (l: string) => void; signal?: AbortSignal } = {}): Promise<SetupResult> {
  const env = opts.env ?? process.env;
  const onLine = opts.onLine ?? (() => undefined);
  const resources = trainerResources(env);
  const cache = cacheRoot(env);
  const scriptEnv = { ...env, HALLMARK_CACHE: cache };
  let python: string;
  let venv: string | null = null;
  let reused = true;
  // torch takes seconds to import: a reused venv is probed once.
  let first: Probe | null = null;
  if (env.HALLMARK_TRAINER_PYTHON) {
    python = env.HALLMARK_TRAINER_PYTHON;
  } else {
    venv = venvDir(env, resources);
    python = venvPython(venv);
    const complete = fs.existsSync(path.join(venv, '.complete'));
    if (complete) first = probePython(python);
    if (complete && !first!.ok) {
      first = null;
      onLine(`the venv at ${venv} cannot import torch: rebuilding it`);
      fs.rmSync(path.join(venv, '.complete'), { force: true });
    }
    if (!fs.existsSync(path.join(venv, '.complete'))) {
      reused = false;
      const py = basePython(env);
      const free = freeBytes(cache);
      if (free !== null && free < SETUP_FREE_BYTES) {
        throw new HallmarkError('disk_full', `the trainer needs about ${(SETUP_FREE_BYTES / 1024 ** 3).toFixed(0)} GB free in ${quote(cache)} (torch alone is ~3 GB); ${(free / 1024 ** 3).toFixed(1)} GB is free: make room, or set XDG_CACHE_HOME to a bigger disk`);
      }
      onLine(`creating the trainer venv in ${venv} (pip install of torch, transformers, peft: several minutes)`);
      python = await runScript(path.join(resources, 'setup-venv.sh'), [], { ...scriptEnv, PYTHON: py }, onLine, opts.signal);
    }
  }
  const probe = first ?? probePython(python);
  if (!probe.ok) {
    throw new HallmarkError('trainer_broken', `the trainer's Python ${quote(python)} cannot import its libraries (${probe.error}): ${env.HALLMARK_TRAINER_PYTHON ? 'fix HALLMARK_TRAINER_PYTHON' : 'delete the venv and run `hallmark trainer setup` again'}`);
  }
  const wanted = llamaDir(env);
  if (!fs.existsSync(path.join(wanted, '.hallmark-complete'))) {
    reused = false;
    onLine(`checking out llama.cpp's converters into ${wanted}`);
  }
  const llama = await runScript(path.join(resources, 'llama-source.sh'), [wanted], scriptEnv, onLine, opts.signal);
  return { python, torch: probe.torch ?? null, device: probe.device ?? null, venv, llama_cpp: llama, reused };
}

/** The interpreter and PYTHONPATH to run the trainer with; throws what to do when it is not set up. */
export function trainerCommand(env: NodeJS.ProcessEnv = process.env): { python: string; pythonPath: string[]; llamaCpp: string } {
  const s = trainerStatus({ env });
  if (s.state !== 'ready' || !s.llama_cpp) throw new HallmarkError('trainer_not_ready', s.problem ?? 'the trainer is not set up: run `hallmark trainer setup`');
  return { python: s.python, pythonPath: [trainerResources(env), path.join(s.llama_cpp, 'gguf-py')], llamaCpp: s.llama_cpp };
}
