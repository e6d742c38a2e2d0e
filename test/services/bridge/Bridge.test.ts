import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../../electron/services/bridge/Bridge';
import { tempHome } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
let bridge: Bridge;
let base: string;

const call = async (method: string, input: unknown, token = bridge.token) => {
  const r = await fetch(`${base}/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(input ?? {}) });
  return { status: r.status, body: (await r.json()) as { ok: boolean; result?: any; error?: { code: string; message: string } } };
};

beforeAll(async () => {
  t = tempHome();
  bridge = new Bridge(t.ctx);
  await bridge.start();
  base = `http://127.0.0.1:${bridge.port}`;
});
afterAll(async () => {
  await bridge.close();
  await t.cleanup();
});

describe('Bridge', () => {
  it('binds to 127.0.0.1 and prints a URL carrying a random token', () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses calls without the token or with a wrong one', async () => {
    const r = await fetch(`${base}/api/call/registry.models`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(401);
    expect((await call('registry.models', {}, 'x'.repeat(48))).status).toBe(401);
  });

  it('refuses a non-local Host header (DNS rebinding)', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: bridge.port, path: '/api/health', headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(403);
  });

  it('validates the method and input against the contract', async () => {
    const u = await call('registry.nope', {});
    expect(u).toMatchObject({ status: 404, body: { ok: false, error: { code: 'unknown_method' } } });
    const bad = await call('registry.promote', { name: 'x', version: -1, stage: 'gold' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('invalid_input');
    expect(bad.body.error?.message).toMatch(/version/);
    expect(bad.body.error?.message).toMatch(/stage/);
  });

  it('uploads a file, imports it as a job with progress events over the WebSocket, and lists it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api/events?token=${bridge.token}`);
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse((m as Buffer).toString("utf8"))));
    await new Promise((r) => ws.once('open', r));

    const data = Buffer.from('GGUF fake but real bytes');
    const up = await fetch(`${base}/api/upload?batch=abcdef12&path=tiny.gguf`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${bridge.token}` }, body: data });
    const upBody = (await up.json()) as { ok: boolean; result: { path: string; dir: string } };
    expect(upBody.ok).toBe(true);
    const started = await call('registry.import', { path: upBody.result.path, uploadedAs: 'tiny.gguf', tags: ['upload'] });
    expect(started.body.ok).toBe(true);
    const job = await call('jobs.wait', { id: started.body.result.jobId });
    expect(job.body.result).toMatchObject({ state: 'done', result: { model: 'tiny', version: 1, created: true } });
    expect(fs.existsSync(upBody.result.path)).toBe(false); // the upload temp file is gone
    const list = await call('registry.models', { query: 'tiny' });
    expect(list.body.result.rows[0]).toMatchObject({ name: 'tiny', latestVersion: 1, tags: ['upload'] });
    await new Promise((r) => setTimeout(r, 50));
    expect(events.some((e) => e.type === 'job' && e.job.state === 'done')).toBe(true);
    ws.close();
  });

  it('refuses upload paths that climb out of the upload folder', async () => {
    const r = await fetch(`${base}/api/upload?batch=abcdef12&path=../../x`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${bridge.token}` }, body: 'x' });
    expect(r.status).toBe(400);
    expect(fs.existsSync(path.join(t.ctx.blobs.tmp, '..', 'x'))).toBe(false);
  });
});
