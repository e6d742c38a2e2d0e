// Locates the trainer venv's python for tests: HALLMARK_TRAINER_PYTHON when set, else the venv the
// product uses (resources/trainer/setup-venv.sh builds or reuses ~/.cache/hallmark/trainer-venv-<hash16>).
// Returns null (the caller skips with `reason`) when it cannot be had off CI; throws on CI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// import.meta.url, not __dirname: scripts (scripts/embed-diagnose.ts) load this as an ES module too.
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TRAINER_DIR = path.join(REPO, 'resources/trainer');

export interface TrainerEnv { python: string; llamaCpp: string }

let cached: TrainerEnv | { reason: string } | undefined;

export function trainerEnv(): TrainerEnv | { reason: string } {
  if (cached) return cached;
  const fail = (reason: string) => {
    if (process.env.CI) throw new Error(`trainer tests need the trainer venv on CI: ${reason}`);
    return (cached = { reason });
  };
  let python = process.env.HALLMARK_TRAINER_PYTHON;
  if (!python) {
    const r = spawnSync('bash', [path.join(TRAINER_DIR, 'setup-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60_000 });
    python = r.stdout.trim().split('\n').pop();
    if (r.status !== 0 || !python) return fail(`resources/trainer/setup-venv.sh failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  if (!fs.existsSync(python)) return fail(`no python at ${python}`);
  const l = spawnSync('bash', [path.join(TRAINER_DIR, 'llama-source.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const llamaCpp = l.stdout.trim().split('\n').pop();
  if (l.status !== 0 || !llamaCpp) return fail(`resources/trainer/llama-source.sh failed: ${l.stderr.trim()}`);
  return (cached = { python, llamaCpp });
}

export interface TrainerRun { code: number | null; signal: NodeJS.Signals | null; events: Array<Record<string, unknown> & { event: string }>; stderr: string }

/** Runs `python -m hallmark_trainer` with `spec` on stdin; `onEvent` may kill the child. */
export async function runTrainer(env: TrainerEnv, spec: unknown, onEvent?: (e: Record<string, unknown> & { event: string }, kill: () => void) => void): Promise<TrainerRun> {
  const { spawn } = await import('node:child_process');
  const child = spawn(env.python, ['-m', 'hallmark_trainer'], {
    cwd: TRAINER_DIR,
    env: { ...process.env, PYTHONPATH: `${TRAINER_DIR}:${path.join(env.llamaCpp, 'gguf-py')}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: TrainerRun['events'] = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as TrainerRun['events'][number];
      events.push(e);
      onEvent?.(e, () => child.kill('SIGTERM'));
    }
  });
  child.stdin.end(typeof spec === 'string' ? spec : JSON.stringify(spec));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  return { code, signal, events, stderr };
}

/** Builds a tiny llama HF folder (test/fixtures/trainer/make_tiny_llama.py) with no download. */
export function makeTinyLlama(env: TrainerEnv, out: string, args: string[] = []): void {
  const r = spawnSync(env.python, [path.join(REPO, 'test/fixtures/trainer/make_tiny_llama.py'), out, ...args], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`make_tiny_llama failed: ${r.stderr.slice(-2000)}`);
}
