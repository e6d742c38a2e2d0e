import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../server/Hub';
import { postWebhook } from '../../server/webhooks';
import { call, hubDialects, seedProvider, startTestHub, type TestHub } from '../helpers/hub';

interface Received { headers: http.IncomingHttpHeaders; body: string; at: number }

/** A real HTTP receiver on loopback that answers `failFirst` attempts with 500, then 200. */
async function receiver(failFirst: number): Promise<{ url: string; got: Received[]; answers: number[]; setFail: (n: number) => void; close: () => Promise<void> }> {
  let fail = failFirst;
  const got: Received[] = [];
  const answers: number[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      const status = fail > 0 ? 500 : 200;
      if (fail > 0) fail--;
      answers.push(status);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, got, answers, setFail: (n) => (fail = n), close: () => new Promise((r) => server.close(() => r())) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fast = { baseDelayMs: 150, maxDelayMs: 5000, maxAttempts: 5, pollMs: 50, timeoutMs: 3000, allowPrivateTargets: true };

describe.each(hubDialects())('hub webhooks (%s)', (dialect) => {
  let t: TestHub;
  let a: { providerId: string; key: string; modelId: string };
  beforeAll(async () => {
    t = await startTestHub(dialect, { webhooks: fast });
    a = await seedProvider(t.url, 'Hooks');
  });
  afterAll(async () => t?.cleanup());

  it('signed deliveries, retried with exponential backoff after failures, logged per attempt', async () => {
    const rx = await receiver(2);
    try {
      const reg = await call(t.url, 'POST', '/api/v1/providers/me/webhooks', { key: a.key, body: { url: rx.url } });
      expect(reg.status).toBe(201);
      const { id, secret } = reg.json;
      expect(secret).toMatch(/^whsec_/);
      const list = await call(t.url, 'GET', '/api/v1/providers/me/webhooks', { key: a.key });
      expect(list.json.webhooks.map((w: any) => w.id)).toEqual([id]);
      expect(JSON.stringify(list.json)).not.toContain(secret);

      const inc = await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'bias', title: 'hooked', description: 'd' } });
      expect(inc.status).toBe(201);
      await waitFor('3 attempts', async () => rx.got.length >= 3);
      expect(rx.answers).toEqual([500, 500, 200]);
      // Each attempt is signed over "<timestamp>.<body>" with the webhook's secret.
      for (const g of rx.got) {
        const ts = g.headers['x-hallmark-timestamp'] as string;
        expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
        const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${g.body}`).digest('hex')}`;
        expect(g.headers['x-hallmark-signature']).toBe(want);
        expect(g.headers['x-hallmark-event']).toBe('incident.created');
        const payload = JSON.parse(g.body);
        expect(payload).toMatchObject({ type: 'incident.created', data: { incident: { id: inc.json.id, title: 'hooked', status: 'reported' } } });
      }
      // A forged body fails the signature check a receiver makes.
      const g0 = rx.got[0]!;
      const forged = `sha256=${createHmac('sha256', secret).update(`${g0.headers['x-hallmark-timestamp']}.${g0.body.replace('hooked', 'forged')}`).digest('hex')}`;
      expect(forged).not.toBe(g0.headers['x-hallmark-signature']);
      // Backoff doubles: ≥150 ms, then ≥300 ms.
      expect(rx.got[1]!.at - rx.got[0]!.at).toBeGreaterThanOrEqual(140);
      expect(rx.got[2]!.at - rx.got[1]!.at).toBeGreaterThanOrEqual(290);

      const log = await waitFor('delivered', async () => {
        const r = await call(t.url, 'GET', `/api/v1/providers/me/webhooks/${id}/deliveries`, { key: a.key });
        return r.json.deliveries[0]?.status === 'delivered' ? r : undefined;
      });
      const d = log.json.deliveries[0];
      expect(d).toMatchObject({ event: 'incident.created', status: 'delivered', attempts: 3, last_status_code: 200, last_error: null, next_attempt_at: null });
      expect(d.attempt_log.map((x: any) => [x.attempt, x.status_code])).toEqual([[1, 500], [2, 500], [3, 200]]);
      expect(d.attempt_log[0].error).toContain('500');

      // A status change is its own event.
      await call(t.url, 'PATCH', `/api/v1/incidents/${inc.json.id}`, { key: a.key, body: { status: 'resolved' } });
      await waitFor('status event', async () => rx.got.length >= 4);
      expect(rx.got[3]!.headers['x-hallmark-event']).toBe('incident.status_changed');
      expect(JSON.parse(rx.got[3]!.body).data.incident).toMatchObject({ status: 'resolved', revision: 2 });

      // Deleted: no more deliveries; another provider cannot see or delete it.
      const other = await seedProvider(t.url, 'Other');
      expect((await call(t.url, 'GET', `/api/v1/providers/me/webhooks/${id}/deliveries`, { key: other.key })).status).toBe(404);
      expect((await call(t.url, 'DELETE', `/api/v1/providers/me/webhooks/${id}`, { key: other.key })).status).toBe(404);
      expect((await call(t.url, 'DELETE', `/api/v1/providers/me/webhooks/${id}`, { key: a.key })).json.deleted).toBe(true);
      await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'bias', title: 'after delete', description: 'd' } });
      await new Promise((r) => setTimeout(r, 400));
      expect(rx.got).toHaveLength(4);
    } finally {
      await rx.close();
    }
  });

  it('gives up after maxAttempts and says so in the log', async () => {
    const rx = await receiver(100);
    try {
      const hook = (await call(t.url, 'POST', '/api/v1/providers/me/webhooks', { key: a.key, body: { url: rx.url, events: ['incident.created'] } })).json;
      await call(t.url, 'POST', '/api/v1/incidents/report', { body: { model_id: a.modelId, category: 'other', title: 'doomed', description: 'd' } });
      const r = await waitFor('failed', async () => {
        const x = await call(t.url, 'GET', `/api/v1/providers/me/webhooks/${hook.id}/deliveries?status=failed`, { key: a.key });
        return x.json.deliveries.length ? x : undefined;
      }, 20_000);
      expect(r.json.deliveries[0]).toMatchObject({ status: 'failed', attempts: 5, last_status_code: 500 });
      expect(rx.got).toHaveLength(5);
      await call(t.url, 'DELETE', `/api/v1/providers/me/webhooks/${hook.id}`, { key: a.key });
    } finally {
      await rx.close();
    }
  }, 30_000);

  it('the queue is in the database: a delivery pending at shutdown is made by the next hub process', async () => {
    const rx = await receiver(1000);
    const own = await startTestHub(dialect, { webhooks: { ...fast, baseDelayMs: 200 } });
    try {
      const p = await seedProvider(own.url, 'Durable');
      const hook = (await call(own.url, 'POST', '/api/v1/providers/me/webhooks', { key: p.key, body: { url: rx.url } })).json;
      await call(own.url, 'POST', '/api/v1/incidents/report', { body: { model_id: p.modelId, category: 'other', title: 'survive', description: 'restart' } });
      await waitFor('a failed attempt', async () => rx.got.length >= 1);
      await own.hub.close();
      rx.setFail(0);
      const before = rx.got.length;
      const again = await Hub.start({ database: own.database, port: 0, logger: false, webhooks: fast });
      own.hub = again;
      await waitFor('delivery after restart', async () => rx.got.length > before && rx.answers.at(-1) === 200);
      const log = await call(again.url, 'GET', `/api/v1/providers/me/webhooks/${hook.id}/deliveries`, { key: p.key });
      expect(log.json.deliveries[0]).toMatchObject({ status: 'delivered' });
      expect(JSON.parse(rx.got.at(-1)!.body).data.incident.title).toBe('survive');
    } finally {
      await rx.close();
      await own.cleanup();
    }
  });

  it('refuses bad webhook URLs, and private addresses unless allowed', async () => {
    for (const url of ['ftp://example.com/x', 'not a url', 'http://user:pw@example.com/']) {
      const r = await call(t.url, 'POST', '/api/v1/providers/me/webhooks', { key: a.key, body: { url } });
      expect(r.status, url).toBe(422);
    }
    expect((await call(t.url, 'POST', '/api/v1/providers/me/webhooks', { key: a.key, body: { url: 'https://example.com/x', events: ['bogus'] } })).status).toBe(422);
    expect((await call(t.url, 'POST', '/api/v1/providers/me/webhooks', { body: { url: 'https://example.com/x' } })).status).toBe(401);
    const strict = await startTestHub(dialect);
    try {
      const p = await seedProvider(strict.url, 'Strict');
      for (const url of ['http://127.0.0.1:9/x', 'http://[::1]/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://localhost/x']) {
        const r = await call(strict.url, 'POST', '/api/v1/providers/me/webhooks', { key: p.key, body: { url } });
        expect(r.status, url).toBe(422);
        expect(r.json.detail[0].msg).toMatch(/private|loopback|resolve/);
      }
    } finally {
      await strict.cleanup();
    }
  });
});

describe('webhook connections (DNS rebinding)', () => {
  it('checks the address it connects to, not only the one the URL check saw', async () => {
    // The URL check and the connection resolve the name separately; a name can answer "public" to the first and
    // "127.0.0.1" to the second. postWebhook is what runs after the check: given a name that resolves to loopback it
    // must refuse at connect time, and the receiver must see nothing.
    const rx = await receiver(0);
    try {
      const port = new URL(rx.url).port;
      const err = await postWebhook(`http://localhost:${port}/hook`, '{}', { 'content-type': 'application/json' }, 3000, false).then(() => null, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).toBe('EPRIVATE');
      expect(err?.message).toMatch(/localhost resolved to (127\.0\.0\.1|::1).*refused at connect time/);
      expect(rx.got).toHaveLength(0);
      // Allowed private targets (tests, one network): the same call is delivered.
      const ok = await postWebhook(`http://localhost:${port}/hook`, '{"a":1}', { 'content-type': 'application/json' }, 3000, true).catch(async (e: NodeJS.ErrnoException) => {
        // A machine whose "localhost" resolves to ::1 first has nothing listening there; the IPv4 literal goes through the same path.
        if (e.code !== 'ECONNREFUSED') throw e;
        return postWebhook(rx.url, '{"a":1}', { 'content-type': 'application/json' }, 3000, true);
      });
      expect(ok).toBe(200);
      expect(rx.got.map((g) => g.body)).toEqual(['{"a":1}']);
    } finally {
      await rx.close();
    }
  });
});
