import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Hub } from '../../server/Hub';
import { call, hubDialects, PG_URL } from '../helpers/hub';

// kill -9 in the middle of a stream of reports: every report the hub acknowledged is there after a restart,
// change numbers stay unique, and a sync walk from zero returns each incident once.
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hub-crash-'));
const schemas: string[] = [];
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (PG_URL && schemas.length) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await c.end();
  }
});

async function startProcess(dbUrl: string): Promise<{ p: ChildProcess; url: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'electron/cli/entry.ts'), '--json', 'hub', '--port', '0', '--quiet', '--database-url', dbUrl], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => (err += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += String(d);
      try {
        resolve((JSON.parse(out) as { listening: string }).listening);
      } catch {
        // incomplete
      }
    });
    p.on('exit', (c) => reject(new Error(`hub exited ${c}: ${err}`)));
  });
  return { p, url };
}

describe.each(hubDialects())('hub after kill -9 (%s)', (dialect) => {
  it('keeps every acknowledged report and a consistent change order', async () => {
    const schema = `hub_crash_${process.pid}`;
    const dbUrl = dialect === 'sqlite' ? `sqlite://${path.join(dir, 'hub.db')}` : `${PG_URL}${PG_URL!.includes('?') ? '&' : '?'}schema=${schema}`;
    if (dialect === 'postgres') schemas.push(schema);
    const { p, url } = await startProcess(dbUrl);
    const reg = await call(url, 'POST', '/api/v1/providers/register', { body: { company_name: 'Crash', email: 'c@crash.example', website: 'https://crash.example' } });
    const key = reg.json.api_key as string;
    const model = (await call(url, 'POST', '/api/v1/models/register', { key, body: { display_name: 'C', api_model_identifier: 'c', endpoint: 'https://c.example', version: '1', description: 'c', model_type: 'language' } })).json.model_id as string;
    const acked: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await call(url, 'POST', '/api/v1/incidents/report', { key, body: { model_id: model, category: 'other', title: `w${w}-${i}`, description: 'crash test', source: 'desktop', client_ref: `w${w}-${i}` } });
          if (r.status === 201) acked.push(r.json.client_ref);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1200));
    p.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(acked.length).toBeGreaterThan(20);

    const hub = await Hub.start({ database: dbUrl, port: 0, logger: false });
    try {
      const rows = await hub.db.selectFrom('incidents').select(['client_ref', 'seq']).execute();
      const stored = new Set(rows.map((r) => r.client_ref));
      expect(acked.filter((c) => !stored.has(c))).toEqual([]);
      expect(new Set(rows.map((r) => Number(r.seq))).size).toBe(rows.length);
      const counter = await hub.db.selectFrom('hub_counters').select('value').where('name', '=', 'seq').executeTakeFirstOrThrow();
      expect(Number(counter.value)).toBeGreaterThanOrEqual(Math.max(...rows.map((r) => Number(r.seq))));
      const seen: string[] = [];
      let cursor = '0';
      for (;;) {
        const page = await call(hub.url, 'GET', `/api/v1/sync/incidents?cursor=${cursor}&limit=500`, { key });
        seen.push(...page.json.incidents.map((i: any) => i.client_ref));
        cursor = page.json.next_cursor;
        if (!page.json.has_more) break;
      }
      expect(seen.sort()).toEqual([...stored].sort());
      // And it keeps working.
      const after = await call(hub.url, 'POST', '/api/v1/incidents/report', { key, body: { model_id: model, category: 'other', title: 'after', description: 'restart' } });
      expect(after.status).toBe(201);
    } finally {
      await hub.close();
    }
  });
});
