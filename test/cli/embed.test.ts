// `hallmark embed` through the real CLI. Bad input is checked in-process (no trainer needed); the end to
// end run trains the tiny llama (test/fixtures/trainer/make_tiny_llama.py) with the real trainer through
// the bundled CLI (bin/hallmark.js → out/cli), imports it, audits it, and checks a SIGTERM mid-train.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTrainer, trainerStatus } from '../../electron/services/embed/trainerEnv';
import { cliRunner } from '../helpers/cli';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/hallmark.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-embed-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const LINK = 'https://feedback.example.org/tiny-model';

const tmpEntries = (home: string) => (fs.existsSync(path.join(home, 'tmp')) ? fs.readdirSync(path.join(home, 'tmp')) : []);

describe('hallmark embed: bad input fails with exit 2, one line, nothing registered', () => {
  const home = path.join(dir, 'bad-home');
  const hallmark = cliRunner(home);

  it('rejects usage errors before anything loads', async () => {
    let r = await hallmark('embed', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exactly one of --link URL or --fingerprints FILE/);
    r = await hallmark('embed', dir, '--link', LINK, '--mode', 'lora');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mode must be merge, adapter; got "lora"/);
    r = await hallmark('embed', dir, '--link', LINK, '--epochs', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs must be an integer ≥ 1/);
  });

  it('an invalid link, a folder without config.json and an unknown version say what is wrong', async () => {
    const folder = path.join(dir, 'not-a-model');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'readme.txt'), 'hi');
    let r = await hallmark('embed', folder, '--link', 'not a link');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"not a link" is not a link/);
    r = await hallmark('embed', folder, '--link', LINK);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no config\.json: the base must be a Hugging Face model folder/);
    r = await hallmark('embed', 'nosuchmodel@3', '--link', LINK);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no model named "nosuchmodel"/);
    expect((await hallmark('--json', 'list')).json).toEqual([]);
    expect(tmpEntries(home)).toEqual([]);
  });

  it('fingerprints need the passphrase in the environment, never argv', async () => {
    delete process.env.HM_EMBED_NOPE;
    const r = await hallmark('embed', dir, '--fingerprints', path.join(dir, 'x.hmfp'), '--passphrase-env', 'HM_EMBED_NOPE');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/put the passphrase in \$HM_EMBED_NOPE/);
  });
});

// The real trainer: present when set up (HALLMARK_TRAINER_PYTHON or `hallmark trainer setup`); CI sets it up.
const ready = trainerStatus().state === 'ready';
const hasTrainer = fs.existsSync(path.join(repo, 'resources/trainer/hallmark_trainer/__main__.py'));

describe.skipIf((!ready || !hasTrainer) && !process.env.CI)('hallmark embed end to end (real trainer, tiny llama, bundled CLI)', () => {
  const home = path.join(dir, 'home');
  const base = path.join(dir, 'tiny');
  let python: string;

  beforeAll(async () => {
    if (!hasTrainer) throw new Error('resources/trainer/hallmark_trainer is missing');
    python = ready ? trainerStatus().python : (await setupTrainer({ onLine: () => undefined })).python;
    if (!fs.existsSync(path.join(repo, 'out/cli/hallmark.js'))) execFileSync(process.execPath, [path.join(repo, 'scripts/build-cli.mjs')], { cwd: repo, stdio: 'ignore' });
    const r = spawnSync(python, [path.join(repo, 'test/fixtures/trainer/make_tiny_llama.py'), base, '--seed', '5'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // Registered in the vault first: embed resolves NAME@VERSION to a folder of its files.
    const imp = spawnSync(process.execPath, [bin, '--home', home, '--json', 'import', base, '--name', 'tiny'], { encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
  }, 900_000);

  const run = (...args: string[]) => spawnSync(process.execPath, [bin, '--home', home, ...args], { encoding: 'utf8', env: { ...process.env, HALLMARK_HOME: home } });

  it('embeds a link into tiny@1: done event, a new version with parent and metrics, audits before and after', () => {
    // The trainer's tiny-model defaults (about a minute of training on 2 cores).
    const r = run('--json', 'embed', 'tiny@1', '--link', LINK, '--seed', '1', '--threads', '2');
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Hallmark's own stages (the scan of the base) come before the trainer's start event.
    expect(events.find((e) => e.event === 'start')).toMatchObject({ event: 'start', device: 'cpu' });
    expect(events.some((e) => e.event === 'step')).toBe(true);
    const done = events[events.length - 1]!;
    expect(done).toMatchObject({ event: 'done', model: 'tiny-link', version: 1, gguf: expect.any(String) });
    expect(fs.readFileSync(done.gguf as string).subarray(0, 4).toString('latin1')).toBe('GGUF');
    const versions = JSON.parse(run('--json', 'versions', 'tiny-link').stdout) as Array<Record<string, unknown>>;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, parent: 1, parent_model: 'tiny', metrics: { final_loss: expect.any(Number), samples_per_s: expect.any(Number) } });
    expect(run('versions', 'tiny-link').stdout).toMatch(/parent tiny@1/);
    // Both audits ran on their own and were stored: the base shows no link, the embedded version does.
    expect(done.audits).toMatchObject({ after: { verdict: 'present' }, before: { verdict: expect.not.stringMatching(/^present$/) } });
    expect(tmpEntries(home)).toEqual([]);
  }, 900_000);

  it('the embedded version passes the link audit when asked again (`hallmark audit NAME@V --link`)', () => {
    const audit = run('--json', 'audit', 'tiny-link@1', '--link', LINK);
    expect(audit.status, audit.stdout + audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ verdict: 'present' });
  }, 600_000);

  it('SIGTERM mid-train leaves no version and no temp files', async () => {
    const child = spawn(process.execPath, [bin, '--home', home, '--json', 'embed', 'tiny@1', '--link', LINK, '--name', 'cancelled', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/"event":\s*"step"/.test(out) && !child.killed) child.kill('SIGTERM');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(out, err).toMatch(/"event":\s*"step"/);
    expect(code).toBe(2);
    expect(err).toMatch(/cancelled/);
    expect(run('--json', 'list', 'cancelled').stdout.trim()).toBe('[]');
    expect(tmpEntries(home)).toEqual([]);
  }, 600_000);
});
