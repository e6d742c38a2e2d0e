// A real `hallmark hub` for the end-to-end specs (its own home, an ephemeral loopback port) and a small JSON
// client for arranging data through its API.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures';

export interface E2EHub {
  base: string;
  dir: string;
  /** A JSON call; a 4xx/5xx throws with the status and body. */
  api(method: string, p: string, body?: unknown, key?: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startHub(prefix: string): Promise<E2EHub> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const hub: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'hallmark.js'), '--home', dir, '--json', 'hub', '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  hub.stderr!.on('data', (d) => (err += String(d)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hallmark hub did not start: ${err}`)), 30_000);
    hub.stdout!.on('data', (d) => {
      out += String(d);
      try {
        const j = JSON.parse(out) as { url: string };
        clearTimeout(timer);
        resolve(j.url);
      } catch {
        // not complete yet
      }
    });
    hub.on('exit', (code) => reject(new Error(`hallmark hub exited ${code}: ${err}`)));
  });
  return {
    base,
    dir,
    async api(method, p, body, key) {
      const r = await fetch(base + p, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { 'x-api-key': key } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const json = await r.json();
      if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    },
    async stop() {
      if (hub.exitCode === null && hub.signalCode === null) {
        const done = new Promise((r) => hub.once('exit', r));
        hub.kill('SIGTERM');
        await done;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
