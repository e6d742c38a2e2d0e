// Sync benchmark (issue 10): 10,000 incidents queued offline, pushed to a local hub (SQLite, loopback) by
// one `sync` run, then pulled back by a fresh desktop. Reference, measured in the same run on the same hub:
// the same number of bare POST /incidents/report calls in a loop (no outbox, no local writes), so the ratio
// says what the outbox, idempotency keys and local bookkeeping cost. Run: npx tsx bench/sync.ts [--quick]
// Figures go to stdout and .bench/sync.json; nothing here passes or fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hub } from '../server/Hub';
import { AppContext } from '../electron/services/AppContext';
import { incidents } from '../electron/services/incidents/IncidentService';

const quick = process.argv.includes('--quick');
const N = quick ? 1000 : 10_000;
const REF_N = Math.min(N, 2000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-sync-'));
const big = { max: 1e9, windowMs: 60_000 };
const hub = await Hub.start({ database: { kind: 'sqlite', file: path.join(root, 'hub.db') }, port: 0, logger: false, limits: { perIp: big, perKey: big, register: big, anonymousReport: big } });

async function post(p: string, body: unknown, key?: string): Promise<any> {
  const r = await fetch(hub.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
}
const prov = await post('/api/v1/providers/register', { company_name: 'Bench', email: 'b@bench.example', website: 'https://bench.example' });
const model = await post('/api/v1/models/register', { display_name: 'Bench', api_model_identifier: 'bench', endpoint: 'https://bench.example/v1', version: '1', description: 'd', model_type: 'language' }, prov.api_key);

// Reference: bare reports, one after another.
let t0 = performance.now();
for (let i = 0; i < REF_N; i++) {
  await post('/api/v1/incidents/report', { model_id: model.model_id, category: 'other', title: `ref ${i}`, description: 'reference', source: 'desktop', client_ref: `ref-${i}` }, prov.api_key);
}
const refS = (performance.now() - t0) / 1000;

const ctx = AppContext.open({ home: path.join(root, 'a') });
const svc = incidents(ctx);
await svc.configure({ url: hub.url, apiKey: prov.api_key, passphrase: 'bench', intervalS: 0 });
t0 = performance.now();
for (let i = 0; i < N; i++) svc.store.create({ modelId: model.model_id, category: 'technical_error', severity: 'medium', title: `queued ${i}`, description: 'x'.repeat(200) });
const queueS = (performance.now() - t0) / 1000;
t0 = performance.now();
const pushed = await svc.syncNow();
const pushS = (performance.now() - t0) / 1000;

const ctx2 = AppContext.open({ home: path.join(root, 'b') });
await incidents(ctx2).configure({ url: hub.url, apiKey: prov.api_key, passphrase: 'bench', intervalS: 0 });
t0 = performance.now();
const pulled = await incidents(ctx2).syncNow();
const pullS = (performance.now() - t0) / 1000;

const result = {
  incidents: N,
  queue_s: +queueS.toFixed(3), queued_per_s: Math.round(N / queueS),
  push_s: +pushS.toFixed(2), pushes_per_s: Math.round(pushed.pushed / pushS), pushed: pushed.pushed, failed: pushed.failed,
  reference_posts: REF_N, reference_posts_per_s: Math.round(REF_N / refS),
  push_vs_reference: +((pushed.pushed / pushS) / (REF_N / refS)).toFixed(3),
  pull_s: +pullS.toFixed(2), pulled: pulled.pulled, pulled_per_s: Math.round(pulled.pulled / pullS),
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync('.bench', { recursive: true });
fs.writeFileSync('.bench/sync.json', JSON.stringify(result, null, 2) + '\n');
await ctx.dispose();
await ctx2.dispose();
await hub.close();
fs.rmSync(root, { recursive: true, force: true });
