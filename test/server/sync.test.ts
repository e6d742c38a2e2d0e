import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, hubDialects, seedProvider, startTestHub, type TestHub } from '../helpers/hub';

// The sync extension (sync-api.md) the desktop client relies on: incident shape, idempotent writes,
// PATCH with per-field conflicts, cursor sync in change order.
describe.each(hubDialects())('hub sync extension (%s)', (dialect) => {
  let t: TestHub;
  let a: { providerId: string; key: string; modelId: string };
  let b: { providerId: string; key: string; modelId: string };
  beforeAll(async () => {
    t = await startTestHub(dialect);
    a = await seedProvider(t.url, 'Acme');
    b = await seedProvider(t.url, 'Bravo');
  });
  afterAll(async () => t?.cleanup());

  const report = (key: string | undefined, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(t.url, 'POST', '/api/v1/incidents/report', { ...(key ? { key } : {}), body: { category: 'technical_error', title: 'T', description: 'D', ...body }, headers });

  it('health names the database', async () => {
    const r = await call(t.url, 'GET', '/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', database: dialect });
    expect(typeof r.json.version).toBe('string');
  });

  it('GET /models/{id} gives the owner the feedback_url', async () => {
    const r = await call(t.url, 'GET', `/api/v1/models/${a.modelId}`, { key: a.key });
    expect(r.status).toBe(200);
    expect(r.json.feedback_url).toBe(`${t.url}/models/${a.modelId}`);
  });

  it('a desktop incident: source desktop, client_ref kept, the full incident shape, a retry with the same client_ref creates nothing', async () => {
    const r = await report(a.key, { model_id: a.modelId, source: 'desktop', client_ref: 'local-1', severity: 'high', reporter_email: 'me@acme.example' });
    expect(r.status).toBe(201);
    const inc = r.json;
    expect(inc).toMatchObject({ model_id: a.modelId, category: 'technical_error', severity: 'high', status: 'reported', title: 'T', description: 'D',
      reporter_email: 'me@acme.example', verified: false, source: 'desktop', client_ref: 'local-1', revision: 1 });
    expect(inc.id).toMatch(/^inc_/);
    expect(inc.incident_id).toBe(inc.id);
    expect(Number.isInteger(inc.seq) && inc.seq > 0).toBe(true);
    expect(inc.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(inc.updated_at).toBe(inc.created_at);
    const again = await report(a.key, { model_id: a.modelId, source: 'desktop', client_ref: 'local-1' });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(inc.id);
    const rows = await t.hub.db.selectFrom('incidents').select('id').where('client_ref', '=', 'local-1').execute();
    expect(rows).toHaveLength(1);
  });

  it('only the owner may file desktop incidents', async () => {
    expect((await report(b.key, { model_id: a.modelId, source: 'desktop', client_ref: 'x' })).status).toBe(403);
    expect((await report(undefined, { model_id: a.modelId, source: 'desktop' })).status).toBe(401);
  });

  it('Idempotency-Key: a repeat returns the stored answer and changes nothing; another body is a 422', async () => {
    const before = await t.hub.db.selectFrom('incidents').select('id').execute();
    const body = { model_id: a.modelId, title: 'idem', description: 'once' };
    const first = await report(undefined, body, { 'idempotency-key': 'key-1:a.b_c' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replay')).toBeNull();
    // The client lost the first answer and retries: same status, same body, the replay header.
    const second = await report(undefined, body, { 'idempotency-key': 'key-1:a.b_c' });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replay')).toBe('true');
    expect(second.json).toEqual(first.json);
    const after = await t.hub.db.selectFrom('incidents').select('id').execute();
    expect(after.length).toBe(before.length + 1);
    const other = await report(undefined, { ...body, description: 'different' }, { 'idempotency-key': 'key-1:a.b_c' });
    expect(other.status).toBe(422);
    expect(other.json.detail[0].loc).toEqual(['header', 'Idempotency-Key']);
    expect((await t.hub.db.selectFrom('incidents').select('id').execute()).length).toBe(after.length);
    expect((await report(undefined, body, { 'idempotency-key': 'bad key!' })).status).toBe(422);
    expect((await report(undefined, body, { 'idempotency-key': 'k'.repeat(129) })).status).toBe(422);
  });

  it('concurrent retries with one Idempotency-Key write once', async () => {
    const body = { model_id: a.modelId, title: 'race', description: 'parallel retries' };
    const rs = await Promise.all(Array.from({ length: 6 }, () => report(a.key, body, { 'idempotency-key': 'race-1' })));
    expect(rs.every((r) => r.status === 201)).toBe(true);
    expect(new Set(rs.map((r) => r.json.id)).size).toBe(1);
    expect(await t.hub.db.selectFrom('incidents').select('id').where('title', '=', 'race').execute()).toHaveLength(1);
  });

  it('PATCH: owner only, revision and seq advance, last write wins without base_revision', async () => {
    const inc = (await report(undefined, { model_id: a.modelId, title: 'patch me' })).json;
    expect((await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: b.key, body: { status: 'resolved' } })).status).toBe(403);
    expect((await call(t.url, 'PATCH', '/api/v1/incidents/inc_000000000000000000000000', { key: a.key, body: { status: 'resolved' } })).status).toBe(404);
    expect((await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { body: { status: 'resolved' } })).status).toBe(401);
    const p1 = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged' } });
    expect(p1.status).toBe(200);
    expect(p1.json).toMatchObject({ id: inc.id, status: 'acknowledged', revision: 2 });
    expect(p1.json.seq).toBeGreaterThan(inc.seq);
    const p2 = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'investigating', notes: 'looking' } });
    expect(p2.json).toMatchObject({ status: 'investigating', notes: 'looking', revision: 3 });
    // Nothing changes: no new revision.
    const p3 = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'investigating' } });
    expect(p3.json.revision).toBe(3);
    expect((await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'closed' } })).status).toBe(422);
    expect((await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: {} })).status).toBe(422);
  });

  it('PATCH with a stale base_revision: 409 with the current incident when a field was changed remotely, else applied', async () => {
    const inc = (await report(undefined, { model_id: a.modelId, title: 'conflicts' })).json;
    // Remote (another device) changes the status: revision 2.
    await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged', base_revision: 1 } });
    // Local edit made at revision 1 changes the status too: conflict on status; severity, untouched remotely, applies.
    const c = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'dismissed', severity: 'low', base_revision: 1 } });
    expect(c.status).toBe(409);
    expect(typeof c.json.message).toBe('string');
    expect(c.json).toMatchObject({ conflicting_fields: ['status'] });
    expect(c.json.incident).toMatchObject({ id: inc.id, status: 'acknowledged', severity: 'low', revision: 3 });
    // A field untouched since revision 1 applies despite the stale base.
    const ok = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { notes: 'seen', base_revision: 1 } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'acknowledged', severity: 'low', revision: 4 });
    // Setting the value it already has is no conflict.
    const same = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged', base_revision: 1 } });
    expect(same.status).toBe(200);
    // With the current revision, anything goes.
    const cur = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'resolved', base_revision: 4 } });
    expect(cur.json).toMatchObject({ status: 'resolved', revision: 5 });
  });

  it('PATCH is idempotent too', async () => {
    const inc = (await report(undefined, { model_id: a.modelId, title: 'idem patch' })).json;
    const h = { 'idempotency-key': `p-${inc.id}` };
    const one = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged' }, headers: h });
    // Someone else moves it on; the replay still answers what the first call got, and changes nothing.
    await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'resolved' } });
    const two = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged' }, headers: h });
    expect(two.headers.get('idempotent-replay')).toBe('true');
    expect(two.json).toEqual(one.json);
    const now = await call(t.url, 'GET', `/api/v1/incidents/${inc.id}`, { key: a.key });
    expect(now.json.status).toBe('resolved');
  });

  it('GET /sync/incidents pages through the caller\'s changes in seq order, each change once per page walk', async () => {
    for (let i = 0; i < 7; i++) await report(undefined, { model_id: b.modelId, title: `b${i}` });
    const seen: any[] = [];
    let cursor = '0';
    for (let pages = 0; pages < 10; pages++) {
      const r = await call(t.url, 'GET', `/api/v1/sync/incidents?cursor=${cursor}&limit=3`, { key: b.key });
      expect(r.status).toBe(200);
      seen.push(...r.json.incidents);
      expect(typeof r.json.next_cursor).toBe('string');
      cursor = r.json.next_cursor;
      if (!r.json.has_more) break;
    }
    expect(seen.map((i) => i.title)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    expect(seen.every((i) => i.model_id === b.modelId)).toBe(true);
    const seqs = seen.map((i) => i.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    // Nothing new: an empty page that keeps the cursor.
    const empty = await call(t.url, 'GET', `/api/v1/sync/incidents?cursor=${cursor}`, { key: b.key });
    expect(empty.json).toEqual({ incidents: [], next_cursor: cursor, has_more: false });
    // A change moves the incident past the cursor.
    const changed = await call(t.url, 'PATCH', `/api/v1/incidents/${seen[0].id}`, { key: b.key, body: { status: 'resolved' } });
    const next = await call(t.url, 'GET', `/api/v1/sync/incidents?cursor=${cursor}`, { key: b.key });
    expect(next.json.incidents.map((i: any) => [i.id, i.status, i.revision, i.seq])).toEqual([[seen[0].id, 'resolved', 2, changed.json.seq]]);
    // Absent cursor = from the start; garbage = 422; limit is capped at 500.
    expect((await call(t.url, 'GET', '/api/v1/sync/incidents', { key: b.key })).json.incidents).toHaveLength(7);
    for (const bad of ['abc', '-1', '1.5', '%27%20OR%201%3D1']) {
      const r = await call(t.url, 'GET', `/api/v1/sync/incidents?cursor=${bad}`, { key: b.key });
      expect(r.status, bad).toBe(422);
      expect(r.json.detail[0].loc).toEqual(['query', 'cursor']);
    }
    expect((await call(t.url, 'GET', '/api/v1/sync/incidents?limit=501', { key: b.key })).status).toBe(422);
    expect((await call(t.url, 'GET', '/api/v1/sync/incidents')).status).toBe(401);
  });

  it('parallel writers: every change gets its own seq and a sync walk sees all of them', async () => {
    const start = (await call(t.url, 'GET', '/api/v1/sync/incidents?limit=500', { key: a.key })).json.next_cursor;
    const made = await Promise.all(Array.from({ length: 30 }, (_, i) => report(a.key, { model_id: a.modelId, title: `p${i}`, source: 'desktop', client_ref: `par-${i}` })));
    expect(made.every((r) => r.status === 201)).toBe(true);
    const r = await call(t.url, 'GET', `/api/v1/sync/incidents?cursor=${start}&limit=500`, { key: a.key });
    expect(r.json.incidents.map((i: any) => i.client_ref).sort()).toEqual(made.map((m) => m.json.client_ref).sort());
    const all = await t.hub.db.selectFrom('incidents').select('seq').execute();
    expect(new Set(all.map((x) => Number(x.seq))).size).toBe(all.length);
  });

  it('reporter_email is shown only to the owner', async () => {
    const inc = (await report(undefined, { model_id: a.modelId, title: 'mail', reporter_email: 'r@example.org' })).json;
    expect(inc.reporter_email).toBeNull();
    expect((await call(t.url, 'GET', `/api/v1/incidents/${inc.id}`, { key: a.key })).json.reporter_email).toBe('r@example.org');
    expect((await call(t.url, 'GET', `/api/v1/incidents/${inc.id}`, { key: b.key })).status).toBe(403);
  });
});
