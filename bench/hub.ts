// Hub benchmark: incident submissions per second and p99 latency on loopback (autocannon), on SQLite and on
// PostgreSQL in the same run, each beside a bare Fastify route answering 200 to the same POST (the ceiling
// of HTTP + JSON on this machine): the ratios say what the hub's own work (auth, validation, transaction,
// seq counter, idempotency, webhook queue check) costs.
//
//   npx tsx bench/hub.ts                  (npm run bench:hub)
//   BENCH_SECONDS=5  BENCH_CONNECTIONS=10  BENCH_IDEMPOTENCY=1 (send an Idempotency-Key per request too)
//   HALLMARK_TEST_DATABASE_URL=postgres://…   (else a local cluster from .ci/postgres.sh when it can start one; else SQLite only)
//
// The desktop side's figure (sync of 10,000 queued incidents) is measured by the SYNC bench against this hub:
// start one with startBenchHub() below or `hallmark hub --port 0 --json`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Hub } from '../server/Hub';
import type { DatabaseTarget } from '../server/db/open';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const IDEMPOTENCY = process.env.BENCH_IDEMPOTENCY === '1';
const unlimited = { max: 1e9, windowMs: 60_000 };

interface Result { name: string; rps: number; p50: number; p99: number; ok: number; errors: number }

async function cannon(name: string, url: string, headers: Record<string, string>, body: string, idem: boolean): Promise<Result> {
  let n = 0;
  const r = await autocannon({
    url, method: 'POST', connections: CONNECTIONS, duration: SECONDS, headers: { 'content-type': 'application/json', ...headers }, body,
    ...(idem ? { requests: [{ setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, 'idempotency-key': `bench-${n++}-${randomBytes(4).toString('hex')}` } }) }] } : {}),
  });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], errors: r.non2xx + r.errors + r.timeouts };
}

/** A hub for benchmarks (no rate limits), with a provider, its key and a model. */
export async function startBenchHub(database: string | DatabaseTarget): Promise<{ hub: Hub; key: string; modelId: string }> {
  const hub = await Hub.start({ database, port: 0, logger: false, limits: { perIp: unlimited, perKey: unlimited, register: unlimited, anonymousReport: unlimited } });
  const post = async (p: string, body: unknown, key?: string) => {
    const r = await fetch(hub.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: JSON.stringify(body) });
    return r.json() as Promise<any>;
  };
  const p = await post('/api/v1/providers/register', { company_name: 'Bench', email: 'b@bench.example', website: 'https://bench.example' });
  const m = await post('/api/v1/models/register', { display_name: 'Bench', api_model_identifier: 'bench', endpoint: 'https://bench.example', version: '1', description: 'bench', model_type: 'language' }, p.api_key);
  return { hub, key: p.api_key, modelId: m.model_id };
}

function postgresUrl(): string | null {
  if (process.env.HALLMARK_TEST_DATABASE_URL) return process.env.HALLMARK_TEST_DATABASE_URL;
  const r = spawnSync('bash', [path.join(import.meta.dirname, '..', '.ci', 'postgres.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const url = r.stdout.trim().split('\n').pop();
  if (r.status === 0 && url) return url;
  console.warn(`PostgreSQL: no HALLMARK_TEST_DATABASE_URL and .ci/postgres.sh could not start one (${r.stderr.trim().split('\n').pop()}): SQLite only`);
  return null;
}

async function baseline(body: string): Promise<Result> {
  const app = Fastify({ logger: false });
  app.post('/x', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  try {
    return await cannon('bare Fastify POST → 200', `http://127.0.0.1:${port}/x`, {}, body, false);
  } finally {
    await app.close();
  }
}

async function benchDb(label: string, database: string | DatabaseTarget, cleanup: () => Promise<void>): Promise<Result[]> {
  const { hub, key, modelId } = await startBenchHub(database);
  try {
    const body = JSON.stringify({ model_id: modelId, category: 'technical_error', severity: 'medium', title: 'bench incident', description: 'Loopback benchmark incident. '.repeat(8) });
    const out: Result[] = [];
    // Anonymous SDK-style reports and the owner's (desktop) reports take slightly different paths (auth).
    out.push(await cannon(`${label}: report (anonymous)`, `${hub.url}/api/v1/incidents/report`, {}, body, IDEMPOTENCY));
    out.push(await cannon(`${label}: report (owner key)`, `${hub.url}/api/v1/incidents/report`, { 'x-api-key': key }, body, IDEMPOTENCY));
    const stored = await hub.db.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const ok = out.reduce((s, r) => s + r.ok, 0);
    // Every 2xx is a committed row (nothing acknowledged and lost); a few more may be stored whose answers
    // autocannon stopped waiting for at the end of each run (at most one in flight per connection).
    if (Number(stored.n) < ok || Number(stored.n) > ok + 2 * CONNECTIONS) throw new Error(`${label}: ${ok} reports acknowledged but ${Number(stored.n)} stored`);
    return out;
  } finally {
    await hub.close();
    await cleanup();
  }
}

async function main(): Promise<void> {
  console.log(`hub bench: ${SECONDS}s per run, ${CONNECTIONS} connections, loopback, ${os.cpus().length} CPUs${IDEMPOTENCY ? ', Idempotency-Key on every report' : ''}`);
  const sample = JSON.stringify({ model_id: 'model_x', category: 'technical_error', severity: 'medium', title: 'bench incident', description: 'Loopback benchmark incident. '.repeat(8) });
  const base = await baseline(sample);
  const rows: Result[] = [base];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hub-bench-'));
  rows.push(...await benchDb('SQLite', { kind: 'sqlite', file: path.join(dir, 'hub.db') }, async () => fs.rmSync(dir, { recursive: true, force: true })));
  const pg = postgresUrl();
  if (pg) {
    const schema = `hub_bench_${process.pid}`;
    rows.push(...await benchDb('PostgreSQL', { kind: 'postgres', url: pg, schema }, async () => {
      const { default: PG } = await import('pg');
      const c = new PG.Client({ connectionString: pg });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }));
  }
  console.log('\n| run | req/s | p50 ms | p99 ms | 2xx | errors | req/s vs bare | p99 vs bare |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.ok} | ${r.errors} | ${(r.rps / base.rps).toFixed(3)} | ${(r.p99 / Math.max(base.p99, 0.001)).toFixed(1)}× |`);
  }
  if (rows.some((r) => r.errors > 0)) {
    console.error('some requests failed');
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
