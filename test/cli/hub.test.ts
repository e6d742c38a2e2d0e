import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';
import { hubDatabaseUrl } from '../../electron/cli/commands/hub';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hub-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `hallmark hub` as a real process: its --json line, then SIGTERM. */
async function runHub(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ info: any; health: any; code: number | null; stderr: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'electron/cli/entry.ts'), '--home', path.join(dir, 'home'), '--json', 'hub', '--port', '0', '--quiet', ...args], {
    cwd: ROOT, env: { ...process.env, HALLMARK_HUB_DATABASE_URL: '', DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += String(d)));
  const info = await new Promise<any>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += String(d);
      try {
        resolve(JSON.parse(out));
      } catch {
        // incomplete
      }
    });
    p.on('exit', (c) => reject(new Error(`exited ${c}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  let health: unknown;
  try {
    health = await (await fetch(`${info.listening}/api/v1/health`)).json();
  } finally {
    p.kill('SIGTERM'); // also when the check failed: no hub outlives its test
  }
  return { info, health, code: await exited, stderr };
}

describe('hallmark hub', () => {
  it('prints {url, port, database} with --json, serves, and exits 0 on SIGTERM', async () => {
    const r = await runHub([]);
    expect(r.info.url).toBe(`http://127.0.0.1:${r.info.port}`);
    expect(r.info.database).toBe(`sqlite:${path.join(dir, 'home', 'hub', 'hub.db')}`);
    expect(r.health).toMatchObject({ status: 'ok', database: 'sqlite' });
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(dir, 'home', 'hub', 'hub.db')).mode & 0o777).toBe(0o600);
  });

  it('takes --database-url and --public-url, and the env variables', async () => {
    const file = path.join(dir, 'other.db');
    const r = await runHub(['--database-url', `sqlite://${file}`, '--public-url', 'https://hub.example.com/']);
    expect(r.info.database).toBe(`sqlite:${file}`);
    expect(r.info.url).toBe('https://hub.example.com');
    expect(fs.existsSync(file)).toBe(true);
    const env = path.join(dir, 'env.db');
    const e = await runHub([], { HALLMARK_HUB_DATABASE_URL: `sqlite://${env}` });
    expect(e.info.database).toBe(`sqlite:${env}`);
  });

  it('database URL precedence: flag, HALLMARK_HUB_DATABASE_URL, DATABASE_URL, the home', () => {
    expect(hubDatabaseUrl('sqlite:///a.db', '/h', { HALLMARK_HUB_DATABASE_URL: 'x', DATABASE_URL: 'y' })).toBe('sqlite:///a.db');
    expect(hubDatabaseUrl(undefined, '/h', { HALLMARK_HUB_DATABASE_URL: 'x', DATABASE_URL: 'y' })).toBe('x');
    expect(hubDatabaseUrl(undefined, '/h', { DATABASE_URL: 'postgres://u@h/d' })).toBe('postgres://u@h/d');
    expect(hubDatabaseUrl(undefined, '/h', {})).toBe(`sqlite://${path.join('/h', 'hub', 'hub.db')}`);
  });

  it('usage errors exit 2 with a one-line reason', async () => {
    const hallmark = cliRunner(path.join(dir, 'home2'));
    for (const [args, msg] of [
      [['hub', '--port', 'eighty'], /--port must be an integer/],
      [['hub', '--public-url', 'javascript:alert(1)'], /--public-url must be an http\(s\) URL/],
      [['hub', '--port', '0', '--database-url', 'mysql://x'], /could not start the hub/],
      [['hub', '--limit-per-key', '0'], /--limit-per-key must be a positive integer/],
    ] as const) {
      const r = await hallmark(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
