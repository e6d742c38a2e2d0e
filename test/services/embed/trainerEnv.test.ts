import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheRoot, hash16, setupTrainer, trainerCommand, trainerResources, trainerStatus, venvDir, venvPython } from '../../../electron/services/embed/trainerEnv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-trainer-env-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const resources = trainerResources();

describe('trainer environment paths', () => {
  it('cache root: HALLMARK_CACHE, else XDG_CACHE_HOME/hallmark, else ~/.cache/hallmark', () => {
    expect(cacheRoot({ HALLMARK_CACHE: '/x/c', XDG_CACHE_HOME: '/y' })).toBe('/x/c');
    expect(cacheRoot({ XDG_CACHE_HOME: '/y' })).toBe('/y/hallmark');
    expect(cacheRoot({})).toBe(path.join(os.homedir(), '.cache', 'hallmark'));
  });

  it('the venv path is the one setup-venv.sh uses (one definition: the script; TS agrees)', () => {
    const cache = path.join(dir, 'agree');
    const venv = venvDir({ XDG_CACHE_HOME: path.join(dir, 'xdg'), HALLMARK_CACHE: cache });
    expect(path.basename(venv)).toBe(`trainer-venv-${hash16(path.join(resources, 'requirements.txt'))}`);
    // A finished venv is reused by the script without pip: it prints its python, which must be ours.
    fs.mkdirSync(path.join(venv, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(venv, '.complete'), 'test\n');
    const r = spawnSync('bash', [path.join(resources, 'setup-venv.sh')], { env: { ...process.env, HALLMARK_CACHE: cache }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(venvPython(venv));
    // Without HALLMARK_CACHE the script's default is ~/.cache/hallmark: the same as ours with no XDG_CACHE_HOME.
    const home = path.join(dir, 'home');
    const dflt = spawnSync('bash', ['-c', `sed -n 's/^cache=.*HOME\\/\\(.*\\)}"$/\\1/p' "${path.join(resources, 'setup-venv.sh')}"`], { encoding: 'utf8' }).stdout.trim();
    expect(path.join(home, dflt)).toBe(cacheRoot({}).replace(os.homedir(), home));
  });

  it('status: missing, unfinished (no .complete) and HALLMARK_TRAINER_PYTHON pointing nowhere say what to do', () => {
    const cache = path.join(dir, 'status');
    const missing = trainerStatus({ env: { HALLMARK_CACHE: cache } });
    expect(missing).toMatchObject({ state: 'missing', source: 'venv' });
    expect(missing.problem).toMatch(/hallmark trainer setup/);
    fs.mkdirSync(venvDir({ HALLMARK_CACHE: cache }), { recursive: true });
    const broken = trainerStatus({ env: { HALLMARK_CACHE: cache } });
    expect(broken.state).toBe('broken');
    expect(broken.problem).toMatch(/unfinished .*hallmark trainer setup/);
    const env = trainerStatus({ env: { HALLMARK_CACHE: cache, HALLMARK_TRAINER_PYTHON: path.join(dir, 'nope', 'python') } });
    expect(env).toMatchObject({ state: 'broken', source: 'env' });
    expect(env.problem).toMatch(/HALLMARK_TRAINER_PYTHON/);
    expect(() => trainerCommand({ HALLMARK_CACHE: cache })).toThrow(/unfinished/);
  });

  it('a venv that cannot import torch is reported as broken by setup with HALLMARK_TRAINER_PYTHON (no rebuild of a foreign interpreter)', async () => {
    // python3 without torch stands for a broken interpreter; the llama.cpp checkout is not reached.
    await expect(setupTrainer({ env: { ...process.env, HALLMARK_CACHE: path.join(dir, 'b'), HALLMARK_TRAINER_PYTHON: 'python3' } }))
      .rejects.toThrow(/cannot import its libraries .*fix HALLMARK_TRAINER_PYTHON/);
  });

  it('setup refuses a Python older than 3.10 or a missing one before creating anything', async () => {
    const cache = path.join(dir, 'nopython');
    // Without HALLMARK_TRAINER_PYTHON (a developer may have it set): setup then builds a venv with PYTHON.
    const { HALLMARK_TRAINER_PYTHON: _, ...env } = process.env;
    await expect(setupTrainer({ env: { ...env, HALLMARK_CACHE: cache, PYTHON: path.join(dir, 'no-such-python') } })).rejects.toThrow(/install Python 3.10 or newer/);
    expect(fs.existsSync(venvDir({ HALLMARK_CACHE: cache }))).toBe(false);
  });
});
