// Where the tabular worker's Python lives. Same machinery as the trainer (resources/trainer/setup-venv.sh,
// profile `tabular`): <cache>/tabular-venv-<first 16 hex of sha256(resources/worker/requirements.txt)>,
// `.complete` marker, HALLMARK_TABULAR_PYTHON skips the venv. The path is defined once, by the script;
// this module computes the same one to report status without running anything (a test checks both agree).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { basePython, bundledResources, cacheRoot, freeBytes, hash16, runScript, trainerResources, venvPython } from '../embed/trainerEnv';
import { HallmarkError, quote } from '../errors';

/** scikit-learn, XGBoost (CPU), LightGBM, CatBoost and pandas: ~0.9 GB installed. */
export const TABULAR_SETUP_FREE_BYTES = 2 * 1024 ** 3;

/** resources/worker: HALLMARK_WORKER_DIR, else the bundled folder. */
export function workerResources(env: NodeJS.ProcessEnv = process.env): string {
  return bundledResources('worker', env.HALLMARK_WORKER_DIR,
    new HallmarkError('worker_missing', 'the tabular worker (resources/worker) is not installed with this Hallmark; reinstall it or set HALLMARK_WORKER_DIR'));
}

export function tabularVenvDir(env: NodeJS.ProcessEnv = process.env, resources = workerResources(env)): string {
  return path.join(cacheRoot(env), `tabular-venv-${hash16(path.join(resources, 'requirements.txt'))}`);
}

export interface TabularEnvStatus {
  state: 'ready' | 'missing' | 'broken';
  source: 'env' | 'venv';
  python: string;
  venv: string | null;
  problem: string | null;
  versions: Record<string, string | null> | null;
}

/** Imports the worker's stack (a couple of seconds) and reports the versions. */
export function probeTabular(python: string, timeoutMs = 120_000): { ok: boolean; versions?: Record<string, string>; error?: string } {
  const code = [
    'import json',
    'try:',
    '    import numpy, sklearn, xgboost, lightgbm, catboost',
    '    print(json.dumps({"ok": True, "versions": {m.__name__: m.__version__ for m in (numpy, sklearn, xgboost, lightgbm, catboost)}}))',
    'except Exception as e:',
    '    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) return { ok: false, error: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `no Python at ${quote(python)}` : r.error.message };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ok: boolean; versions?: Record<string, string>; error?: string };
  } catch {
    return { ok: false, error: `${quote(python)} exited with ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  }
}

export function tabularStatus(opts: { probe?: boolean; env?: NodeJS.ProcessEnv } = {}): TabularEnvStatus {
  const env = opts.env ?? process.env;
  const fromEnv = env.HALLMARK_TABULAR_PYTHON;
  const venv = fromEnv ? null : tabularVenvDir(env);
  const python = fromEnv ?? venvPython(venv!);
  const base: TabularEnvStatus = { state: 'ready', source: fromEnv ? 'env' : 'venv', python, venv, problem: null, versions: null };
  if (fromEnv && !fs.existsSync(fromEnv)) return { ...base, state: 'broken', problem: `HALLMARK_TABULAR_PYTHON names ${quote(fromEnv)}, which does not exist` };
  if (venv && !fs.existsSync(venv)) return { ...base, state: 'missing', problem: 'the tabular model runtime is not set up: run `hallmark trainer setup --profile tabular` (about 250 MB download)' };
  if (venv && !fs.existsSync(path.join(venv, '.complete'))) return { ...base, state: 'broken', problem: `the tabular venv at ${quote(venv)} is unfinished (its setup was interrupted): run \`hallmark trainer setup --profile tabular\`` };
  if (opts.probe) {
    const p = probeTabular(python);
    if (!p.ok) return { ...base, state: 'broken', problem: `the tabular Python cannot import its libraries (${p.error}): ${fromEnv ? 'fix HALLMARK_TABULAR_PYTHON' : 'run `hallmark trainer setup --profile tabular`'}` };
    return { ...base, versions: p.versions ?? null };
  }
  return base;
}

/** Creates (or reuses) the tabular venv; HALLMARK_TABULAR_PYTHON is only checked. */
export async function setupTabular(opts: { env?: NodeJS.ProcessEnv; onLine?: (l: string) => void; signal?: AbortSignal } = {}): Promise<{ python: string; venv: string | null; versions: Record<string, string> | null; reused: boolean }> {
  const env = opts.env ?? process.env;
  const onLine = opts.onLine ?? (() => undefined);
  let python: string;
  let venv: string | null = null;
  let reused = true;
  if (env.HALLMARK_TABULAR_PYTHON) python = env.HALLMARK_TABULAR_PYTHON;
  else {
    venv = tabularVenvDir(env);
    python = venvPython(venv);
    if (fs.existsSync(path.join(venv, '.complete')) && !probeTabular(python).ok) {
      onLine(`the venv at ${venv} cannot import its libraries: rebuilding it`);
      fs.rmSync(path.join(venv, '.complete'), { force: true });
    }
    if (!fs.existsSync(path.join(venv, '.complete'))) {
      reused = false;
      const cache = cacheRoot(env);
      const free = freeBytes(cache);
      if (free !== null && free < TABULAR_SETUP_FREE_BYTES) throw new HallmarkError('disk_full', `the tabular runtime needs about 2 GB free in ${quote(cache)}; ${(free / 1024 ** 3).toFixed(1)} GB is free: make room, or set XDG_CACHE_HOME to a bigger disk`);
      onLine(`creating the tabular venv in ${venv} (pip install of scikit-learn, XGBoost, LightGBM, CatBoost: a few minutes)`);
      python = await runScript(path.join(trainerResources(env), 'setup-venv.sh'), ['tabular'], { ...env, HALLMARK_CACHE: cache, PYTHON: basePython(env) }, onLine, opts.signal);
    }
  }
  const p = probeTabular(python);
  if (!p.ok) throw new HallmarkError('worker_broken', `the tabular Python ${quote(python)} cannot import its libraries (${p.error})`);
  return { python, venv, versions: p.versions ?? null, reused };
}

/** Interpreter and PYTHONPATH for the worker; throws what to do when it is not set up. */
export function tabularCommand(env: NodeJS.ProcessEnv = process.env): { python: string; pythonPath: string[] } {
  const s = tabularStatus({ env });
  if (s.state !== 'ready') throw new HallmarkError('worker_not_ready', s.problem ?? 'the tabular runtime is not set up: run `hallmark trainer setup --profile tabular`');
  return { python: s.python, pythonPath: [workerResources(env)] };
}
