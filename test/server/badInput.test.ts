import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, hubDialects, seedProvider, startTestHub, type TestHub } from '../helpers/hub';

// Hostile and broken input: clear 4xx answers in the SDK's shapes, nothing half-written, text stored as text.
describe.each(hubDialects())('hub bad input (%s)', (dialect) => {
  let t: TestHub;
  let a: { providerId: string; key: string; modelId: string };
  const logged: string[] = [];
  beforeAll(async () => {
    const stream = new Writable({ write(chunk, _enc, cb) { logged.push(String(chunk)); cb(); } });
    t = await startTestHub(dialect, { logger: { level: 'info', stream } });
    a = await seedProvider(t.url, 'Bad');
  });
  afterAll(async () => t?.cleanup());

  const count = async () => (await t.hub.db.selectFrom('incidents').select('id').execute()).length;

  it('malformed JSON: 422 json_invalid, nothing written', async () => {
    const n = await count();
    for (const raw of ['{"model_id": ', '[1,2', 'null', '"str"', '{"a":1}}']) {
      const r = await call(t.url, 'POST', '/api/v1/incidents/report', { raw });
      expect(r.status, raw).toBe(422);
      expect(Array.isArray(r.json.detail), raw).toBe(true);
      expect(r.json.detail[0]).toHaveProperty('msg');
      expect(r.json.detail[0]).toHaveProperty('loc');
    }
    expect(await count()).toBe(n);
  });

  it('oversized bodies: 413 before anything is parsed', async () => {
    const r = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 't', description: 'x'.repeat(70_000) } });
    expect(r.status).toBe(413);
    expect(r.json.detail).toMatch(/too large/);
    const form = await call(t.url, 'POST', `/models/${a.modelId}/feedback`, { raw: `title=t&description=${'x'.repeat(17_000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(413);
    // Over the field limit but under the body limit: a 422 naming the field.
    const long = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 't'.repeat(201), description: 'd' } });
    expect(long.status).toBe(422);
    expect(long.json.detail[0].loc).toEqual(['body', 'title']);
  });

  it('unknown enum values and wrong types: 422 with loc and msg', async () => {
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ category: 'spam' }, ['body', 'category']],
      [{ severity: 'apocalyptic' }, ['body', 'severity']],
      [{ title: 42 }, ['body', 'title']],
      [{ title: '' }, ['body', 'title']],
      [{ title: '   ' }, ['body', 'title']],
      [{ model_id: 'model_x; DROP TABLE incidents' }, ['body', 'model_id']],
      [{ reporter_email: 'not-an-email' }, ['body', 'reporter_email']],
      [{ source: 'feedback_page' }, ['body', 'source']],
    ];
    for (const [patch, loc] of cases) {
      const r = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 't', description: 'd', ...patch } });
      expect(r.status, JSON.stringify(patch)).toBe(422);
      expect(r.json.detail[0].loc, JSON.stringify(patch)).toEqual(loc);
    }
    const missing = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId } });
    expect(missing.status).toBe(422);
    expect(missing.json.detail[0]).toMatchObject({ msg: 'Field required', type: 'missing' });
    expect((await call(t.url, 'GET', '/api/v1/providers/me/incidents?status=open', { key: a.key })).status).toBe(422);
  });

  it('SQL and HTML in every text field are stored as text and rendered escaped', async () => {
    const evil = `'; DROP TABLE incidents; -- <script>alert(1)</script><img src=x onerror=alert(2)> " \` \u0000 %_`;
    const r = await call(t.url, 'POST', '/api/v1/incidents/report', {
      key: a.key,
      body: { model_id: a.modelId, category: 'other', title: evil.slice(0, 150), description: evil, source: 'desktop', client_ref: evil.slice(0, 100), reporter_email: 'x@example.org' },
    });
    expect(r.status).toBe(201);
    const stored = (await call(t.url, 'GET', `/api/v1/incidents/${r.json.id}`, { key: a.key })).json;
    // NUL is dropped (PostgreSQL text cannot hold it); everything else is kept verbatim.
    expect(stored.description).toBe(evil.replace('\u0000', '').trim());
    expect(stored.title).toBe(evil.slice(0, 150).replace('\u0000', '').trim());
    expect(await count()).toBeGreaterThan(0); // the table is still there
    const p = await call(t.url, 'PATCH', `/api/v1/incidents/${r.json.id}`, { key: a.key, body: { notes: evil } });
    expect(p.json.notes).toBe(evil.replace('\u0000', '').trim());
    // Provider and model text reach the feedback page: register them hostile too.
    await call(t.url, 'PUT', `/api/v1/providers/${a.providerId}`, { key: a.key, body: { company_name: '<b>Evil</b> & "Co"' } });
    const m = await call(t.url, 'POST', '/api/v1/models/register', { key: a.key, body: { display_name: '<script>alert("x")</script>', api_model_identifier: 'evil', endpoint: 'https://e.example', version: '1"><svg onload=alert(1)>', description: evil, model_type: 'language' } });
    expect(m.status).toBe(201);
    const page = await call(t.url, 'GET', `/models/${m.json.model_id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).not.toContain('<svg onload');
    expect(page.text).not.toContain('<b>Evil</b>');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page.text).toContain('&lt;b&gt;Evil&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/script-src/);
    // The search pattern is data too.
    const s = await call(t.url, 'GET', `/api/v1/search?q=${encodeURIComponent("' OR 1=1 --")}`);
    expect(s.status).toBe(200);
    expect(s.json.models).toEqual([]);
  });

  it('invalid, revoked and expired keys: 401 with a detail', async () => {
    const bad = await call(t.url, 'GET', '/api/v1/providers/me/incidents', { key: 'hm_live_' + 'A'.repeat(43) });
    expect(bad.status).toBe(401);
    expect(bad.json.detail).toBe('Invalid API key');
    expect((await call(t.url, 'GET', '/api/v1/providers/me/incidents', { key: "' OR '1'='1" })).status).toBe(401);
    const k = await call(t.url, 'POST', '/api/v1/providers/me/api-keys', { key: a.key, body: { name: 'short-lived', scopes: ['incidents:read'], expires_in_days: 1 } });
    expect(k.status).toBe(201);
    expect((await call(t.url, 'GET', '/api/v1/providers/me/incidents', { key: k.json.api_key })).status).toBe(200);
    // Scopes: a read key cannot write or manage keys.
    expect((await call(t.url, 'POST', '/api/v1/models/register', { key: k.json.api_key, body: { display_name: 'x', api_model_identifier: 'x', endpoint: 'https://x.example', version: '1', description: '', model_type: 'l' } })).status).toBe(403);
    expect((await call(t.url, 'GET', '/api/v1/providers/me/api-keys', { key: k.json.api_key })).status).toBe(403);
    await t.hub.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', k.json.id).execute();
    const expired = await call(t.url, 'GET', '/api/v1/providers/me/incidents', { key: k.json.api_key });
    expect(expired.status).toBe(401);
    expect(expired.json.detail).toMatch(/expired/);
    // The last admin key cannot be revoked (the provider would be locked out).
    const keys = (await call(t.url, 'GET', '/api/v1/providers/me/api-keys', { key: a.key })).json.keys;
    const admin = keys.find((x: any) => x.scopes.includes('admin'));
    expect((await call(t.url, 'DELETE', `/api/v1/providers/me/api-keys/${admin.id}`, { key: a.key })).status).toBe(422);
  });

  it('expired and foreign verification links: 404 on verify, 422 on report, no incident written', async () => {
    const v = await call(t.url, 'POST', '/api/v1/create-verification', { key: a.key, body: { model_id: a.modelId, user_fingerprint: 'fp' } });
    expect(v.status).toBe(201);
    expect(v.json.created_at).not.toMatch(/Z|[+-]\d\d:\d\d$/);
    expect(v.json.expires_in).toBe(900);
    const other = await seedProvider(t.url, 'Else');
    const n = await count();
    const wrongModel = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: other.modelId, category: 'other', title: 't', description: 'd', verification_token: v.json.token } });
    expect(wrongModel.status).toBe(422);
    await t.hub.db.updateTable('verifications').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
    const ver = await call(t.url, 'GET', `/api/v1/verify/${v.json.token}`);
    expect(ver.status).toBe(404);
    expect(ver.json.detail).toMatch(/expired/);
    const rep = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 't', description: 'd', verification_token: v.json.token } });
    expect(rep.status).toBe(422);
    expect(rep.json.detail[0]).toMatchObject({ loc: ['body', 'verification_token'], type: 'verification_token_expired' });
    expect(await count()).toBe(n);
  });

  it('a failing write leaves nothing behind (one transaction per write)', async () => {
    const n = await count();
    const models = (await t.hub.db.selectFrom('models').select('id').execute()).length;
    // A PATCH whose every field conflicts writes nothing (fields untouched remotely would still apply).
    const inc = (await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 'tx', description: 'd' } })).json;
    await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'acknowledged' } });
    const c = await call(t.url, 'PATCH', `/api/v1/incidents/${inc.id}`, { key: a.key, body: { status: 'dismissed', base_revision: 1 } });
    expect(c.status).toBe(409);
    const now = (await call(t.url, 'GET', `/api/v1/incidents/${inc.id}`, { key: a.key })).json;
    expect(now).toMatchObject({ status: 'acknowledged', notes: null, revision: 2 });
    // A 409 on model registration adds no row.
    await call(t.url, 'POST', '/api/v1/models/register', { key: a.key, body: { display_name: 'x', api_model_identifier: 'bad-model', endpoint: 'https://x.example', version: '1.0', description: '', model_type: 'l', force_new_version: true } });
    expect((await t.hub.db.selectFrom('models').select('id').execute()).length).toBe(models);
    expect(await count()).toBe(n + 1);
  });

  it('security headers on every answer, X-Request-ID echoed, secrets never logged', async () => {
    const r = await call(t.url, 'GET', '/api/v1/nope', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.status).toBe(404);
    expect(r.json.detail).toMatch(/Not found/);
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    for (const [h, v] of [['x-content-type-options', 'nosniff'], ['referrer-policy', 'no-referrer'], ['x-frame-options', 'DENY']]) expect(r.headers.get(h!)).toBe(v);
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // A request id that could forge log lines is replaced.
    const odd = await call(t.url, 'GET', '/api/v1/health', { headers: { 'x-request-id': 'a b<script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const v = await call(t.url, 'POST', '/api/v1/create-verification', { key: a.key, body: { model_id: a.modelId, user_fingerprint: 'fp2' } });
    await call(t.url, 'GET', `/api/v1/verify/${v.json.token}`);
    await call(t.url, 'GET', `/models/${a.modelId}?vt=${v.json.token}`);
    const k = await call(t.url, 'POST', '/api/v1/providers/me/api-keys', { key: a.key, body: { name: 'log-check' } });
    const all = logged.join('');
    expect(all).toContain('abc-123');
    for (const secret of [a.key, k.json.api_key, v.json.token]) expect(all).not.toContain(secret);
  });

  it('rate limits answer 429 with an integer Retry-After the SDK can sleep on', async () => {
    const tight = await startTestHub(dialect, { limits: { perIp: { max: 12, windowMs: 60_000 }, register: { max: 2, windowMs: 60_000 }, anonymousReport: { max: 3, windowMs: 60_000 }, perKey: { max: 5, windowMs: 60_000 } } });
    try {
      const p = await seedProvider(tight.url, 'One');
      await seedProvider(tight.url, 'Two').catch(() => undefined);
      const r = await call(tight.url, 'POST', '/api/v1/providers/register', { body: { company_name: 'Three', email: 'a@three.example', website: 'https://three.example' } });
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(typeof r.json.detail).toBe('string');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(tight.url, 'POST', '/api/v1/incidents/report', { body: { model_id: p.modelId, category: 'other', title: 't', description: 'd' } })).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      // Per key: this key has used 1 request (model registration); 4 more pass, then 429.
      const byKey: number[] = [];
      for (let i = 0; i < 6; i++) byKey.push((await call(tight.url, 'GET', '/api/v1/providers/me/incidents', { key: p.key })).status);
      expect(byKey).toEqual([200, 200, 200, 200, 429, 429]);
      // Guessing keys counts against the IP (8 keyless requests so far of 12): 4 more 401s, then 429.
      const guesses: number[] = [];
      for (let i = 0; i < 6; i++) guesses.push((await call(tight.url, 'GET', '/api/v1/providers/me/incidents', { key: `hm_live_${'G'.repeat(42)}${i}` })).status);
      expect(guesses).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await tight.cleanup();
    }
  });
});
