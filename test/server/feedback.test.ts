import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, hubDialects, seedProvider, startTestHub, type TestHub } from '../helpers/hub';

// The feedback page's server side (the browser side is test/e2e/hub-feedback.spec.ts), and the OpenAPI document.
describe.each(hubDialects())('hub feedback page and OpenAPI (%s)', (dialect) => {
  let t: TestHub;
  let a: { providerId: string; key: string; modelId: string };
  beforeAll(async () => {
    t = await startTestHub(dialect, { limits: { anonymousReport: { max: 4, windowMs: 60_000 } } });
    a = await seedProvider(t.url, 'Page');
  });
  afterAll(async () => t?.cleanup());

  const form = (body: Record<string, string>) =>
    call(t.url, 'POST', `/models/${a.modelId}/feedback`, { raw: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('serves the page with a strict CSP and no script', async () => {
    const r = await call(t.url, 'GET', `/models/${a.modelId}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(r.text).not.toMatch(/<script/i);
    expect(r.text).toContain(`action="/models/${a.modelId}/feedback"`);
    expect((await call(t.url, 'GET', `/m/${a.modelId.slice(6)}`)).status).toBe(200);
    expect((await call(t.url, 'GET', '/models/model_nope')).status).toBe(404);
  });

  it('a form post creates a feedback_page incident and redirects back (PRG); JSON works too; a honeypot post stores nothing; then the per-IP limit', async () => {
    const r = await form({ category: 'bias', severity: 'low', title: 'Skewed', description: 'Always picks A', reporter_email: '', website: '' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/models/${a.modelId}?submitted=1`);
    const j = await call(t.url, 'POST', `/models/${a.modelId}/feedback`, { body: { category: 'other', title: 'json', description: 'via fetch' } });
    expect(j.status).toBe(201);
    expect(j.json).toMatchObject({ source: 'feedback_page', reporter_email: null });
    const bot = await form({ category: 'other', title: 'buy pills', description: 'spam', website: 'http://spam.example' });
    expect(bot.status).toBe(303);
    const mine = (await call(t.url, 'GET', '/api/v1/providers/me/incidents', { key: a.key })).json.incidents;
    expect(mine.map((i: any) => [i.title, i.source]).sort()).toEqual([['Skewed', 'feedback_page'], ['json', 'feedback_page']]);
    const bad = await form({ category: 'nope', title: '', description: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Your report was not sent');
    expect(bad.text).toContain('Write a short summary');
    const limited = await form({ category: 'other', title: 't', description: 'd' });
    expect(limited.status).toBe(429); // the fifth anonymous submission from this IP within the window
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.text).toContain('Too many reports from your network');
    const json = await call(t.url, 'POST', `/models/${a.modelId}/feedback`, { body: { category: 'other', title: 'json', description: 'd' } });
    expect(json.status).toBe(429);
    expect(typeof json.json.detail).toBe('string');
  });

  it('the OpenAPI document lists the SDK routes and the sync extension', async () => {
    const r = await call(t.url, 'GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toMatch(/^3\./);
    const paths = Object.keys(r.json.paths);
    for (const p of ['/api/v1/incidents/report', '/api/v1/incidents/{incident_id}', '/api/v1/sync/incidents', '/api/v1/providers/me/incidents', '/api/v1/models/register',
      '/api/v1/create-verification', '/api/v1/verify/{token}', '/api/v1/providers/me/api-keys', '/api/v1/providers/me/webhooks', '/api/v1/providers/me/webhooks/{webhook_id}/deliveries',
      '/api/v1/health', '/models/{model_id}', '/models/{model_id}/feedback']) expect(paths, p).toContain(p);
    expect(r.json.paths['/api/v1/incidents/{incident_id}'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty('base_revision');
    expect(r.json.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
  });
});
