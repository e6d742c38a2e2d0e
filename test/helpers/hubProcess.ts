// The real hub as its own process (`hallmark hub` through tsx), so tests can kill -9 it mid-sync and
// start it again on the same database.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface HubProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL, no goodbye: in-flight requests die with it. */
  kill: () => Promise<void>;
}

export async function spawnHub(dbFile: string, port = 0): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'electron/cli/entry.ts'), '--json', 'hub', '--port', String(port), '--quiet', '--database-url', `sqlite://${dbFile}`], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HALLMARK_HOME: path.join(path.dirname(dbFile), 'home') },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`hub did not start in 60 s: ${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += String(d);
      try {
        const j = JSON.parse(out) as { url: string; port: number };
        clearTimeout(t);
        resolve(j);
      } catch {
        // not the whole JSON yet
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`hub exited with ${code}: ${err}`));
    });
  });
  return {
    ...info, child,
    kill: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

export function tempHubDb(): { file: string; dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hubproc-'));
  return { file: path.join(dir, 'hub.db'), dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
