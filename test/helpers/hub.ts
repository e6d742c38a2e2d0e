import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Hub, type HubOptions } from '../../server/Hub';

export type HubDialect = 'sqlite' | 'postgres';

/** PostgreSQL for the hub's integration tests: .ci/postgres.sh starts one and prints this URL. */
export const PG_URL = process.env.HALLMARK_TEST_DATABASE_URL;

/**
 * The databases the hub's integration tests run on: SQLite always, PostgreSQL when HALLMARK_TEST_DATABASE_URL
 * is set. On CI an unset URL is an error (the PostgreSQL half must not silently vanish); elsewhere a note.
 */
export function hubDialects(): HubDialect[] {
  if (PG_URL) return ['sqlite', 'postgres'];
  if (process.env.CI) throw new Error('HALLMARK_TEST_DATABASE_URL is unset on CI: .ci/run starts PostgreSQL with .ci/postgres.sh and exports it');
  console.warn('hub tests: PostgreSQL skipped (set HALLMARK_TEST_DATABASE_URL, e.g. $(bash .ci/postgres.sh | tail -1))');
  return ['sqlite'];
}

export interface TestHub {
  hub: Hub;
  url: string;
  /** A database the same hub can be reopened on (restart tests). */
  database: HubOptions['database'];
  /** Close (if open) and delete the database. */
  cleanup: () => Promise<void>;
}

/** A fresh hub on a loopback ephemeral port over its own SQLite file or its own PostgreSQL schema. */
export async function startTestHub(dialect: HubDialect, opts: Partial<HubOptions> = {}): Promise<TestHub> {
  let database: HubOptions['database'];
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hub-'));
    database = { kind: 'sqlite', file: path.join(dir, 'hub.db') };
    drop = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    if (!PG_URL) throw new Error('no HALLMARK_TEST_DATABASE_URL');
    // One schema per hub: runs (and parallel test files) never see each other's rows.
    const schema = `hub_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    database = { kind: 'postgres', url: PG_URL, schema };
    drop = async () => {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    };
  }
  // Per-IP abuse limits sized for people, not for a test that reports dozens of incidents from 127.0.0.1;
  // the rate-limit tests pass their own.
  const limits = { register: { max: 1000, windowMs: 60_000 }, anonymousReport: { max: 10_000, windowMs: 60_000 }, ...opts.limits };
  const hub = await Hub.start({ database, port: 0, logger: false, ...opts, limits });
  let closed = false;
  const t: TestHub = {
    hub, url: hub.url, database,
    cleanup: async () => {
      if (!closed) await t.hub.close().catch(() => undefined);
      closed = true;
      await drop();
    },
  };
  return t;
}

export interface Res {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** One HTTP call: JSON in and out, X-API-Key when `key` is given. */
export async function call(base: string, method: string, p: string, o: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key) headers['x-api-key'] = o.key;
  let body: string | undefined;
  if (o.raw !== undefined) body = o.raw;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const r = await fetch(base + p, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // HTML or empty
  }
  return { status: r.status, headers: r.headers, json, text };
}

/** A provider with its admin key, and one registered model. */
export async function seedProvider(base: string, name = 'Acme'): Promise<{ providerId: string; key: string; modelId: string }> {
  const p = await call(base, 'POST', '/api/v1/providers/register', { body: { company_name: name, email: `ops@${name.toLowerCase()}.example`, website: `https://${name.toLowerCase()}.example` } });
  if (p.status !== 201) throw new Error(`register: ${p.status} ${p.text}`);
  const m = await call(base, 'POST', '/api/v1/models/register', {
    key: p.json.api_key,
    body: { display_name: `${name} Model`, api_model_identifier: `${name.toLowerCase()}-model`, endpoint: 'https://api.example/v1', version: '1.0', description: 'test model', model_type: 'language' },
  });
  if (m.status !== 201) throw new Error(`model: ${m.status} ${m.text}`);
  return { providerId: p.json.provider_id, key: p.json.api_key, modelId: m.json.model_id };
}
