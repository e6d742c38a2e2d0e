// One bridge per test: a temp HALLMARK_HOME, `hallmark serve --port 0 --json`, the URL it prints.
// `cli` runs the real CLI against the same home; `seedModels` fills the database directly (fast).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { seedModels } from './seed';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hallmark.js');
export const SHOTS = path.join(ROOT, 'test-results', 'screenshots');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = unknown>() => T;
}

export interface Hallmark {
  url: string;
  home: string;
  /** A scratch folder for files the test creates. */
  work: string;
  cli: (...args: string[]) => Promise<CliResult>;
  /** One typed-contract call through the bridge, as the renderer makes it (fast setup of real state). */
  call: (method: string, input: unknown) => Promise<unknown>;
  /** Opens the app (the token URL) and waits for the frame. */
  open: (page: Page, hash?: string) => Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: <T,>() => JSON.parse(stdout) as T }));
  });
}

async function startServe(env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void> }> {
  const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hallmark serve printed no URL in 20s\nstdout: ${out}\nstderr: ${err}`)), 20_000);
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const info = JSON.parse(out) as { url: string; port: number; token: string };
        clearTimeout(timer);
        resolve(info.url);
      } catch {
        // JSON not complete yet
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hallmark serve exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (p.exitCode !== null) return resolve();
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    }),
  };
}

export const test = base.extend<{ seed: number; hallmark: Hallmark }>({
  seed: [0, { option: true }],
  hallmark: async ({ seed }, use) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-e2e-'));
    const home = path.join(dir, 'home');
    const work = path.join(dir, 'work');
    fs.mkdirSync(work, { recursive: true });
    const env = { ...process.env, HALLMARK_HOME: home, NO_COLOR: '1' };
    if (seed > 0) {
      // One CLI command creates the schema; rows then go straight into SQLite.
      const r = await run(['list', '--json'], env);
      if (r.code !== 0) throw new Error(`hallmark list failed: ${r.stderr}`);
      seedModels(path.join(home, 'hallmark.db'), seed);
    }
    const server = await startServe(env);
    try {
      await use({
        url: server.url,
        home,
        work,
        cli: (...args) => run(args, env),
        call: async (method, input) => {
          const u = new URL(server.url);
          const res = await fetch(`${u.origin}/api/call/${method}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${u.searchParams.get('token') ?? ''}` },
            body: JSON.stringify(input),
          });
          const env = (await res.json()) as { ok: boolean; result?: unknown; error?: { message: string } };
          if (!env.ok) throw new Error(`${method}: ${env.error?.message ?? res.status}`);
          return env.result;
        },
        open: async (page, hash = '') => {
          await page.goto(server.url + hash);
          await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
        },
      });
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
});

export { expect };

/** Saves a screenshot under test-results/screenshots/NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}
