import net from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../electron/bridge/Bridge';
import { tempHome } from '../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
let bridge: Bridge;

beforeAll(async () => {
  t = tempHome();
  bridge = new Bridge(t.ctx);
  await bridge.start();
});
afterAll(async () => {
  await bridge.close();
  await t.cleanup();
});

/** Sends one request byte for byte (fetch and http.request normalise the spellings under test). */
function raw(target: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  const body = opts.body ?? '';
  const headers: Record<string, string> = { host: `127.0.0.1:${bridge.port}`, connection: 'close', ...(opts.method === 'GET' ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }), ...opts.headers };
  const head = `${opts.method ?? 'POST'} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const s = net.connect(bridge.port, '127.0.0.1', () => s.end(head + body));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

const bearer = () => ({ authorization: `Bearer ${bridge.token}` });

describe('Bridge authorisation: deny by default on the route the router matched', () => {
  const spellings = (port: () => number) => [
    '/api/call/registry.models',
    '/%61pi/call/registry.models',
    '/ap%69/call/registry.models',
    '/API/call/registry.models',
    '//api/call/registry.models',
    '/./api/call/registry.models',
    '/x/../api/call/registry.models',
    '/api/call/registry%2Emodels',
    '/api/call/registry.models?',
    `http://127.0.0.1:${port()}/api/call/registry.models`,
    `http://localhost:${port()}/%61pi/call/registry.models`,
  ];

  it('serves no API call without the token, however the path is spelt', async () => {
    for (const target of spellings(() => bridge.port)) {
      const r = await raw(target, { body: '{}' });
      // Whatever the router makes of the spelling, the result must never be the data.
      expect({ target, served: r.status === 200 || r.text.includes('"rows"') }).toEqual({ target, served: false });
    }
  });

  it('still serves the calls it refused once the token is there (the refusals above are the auth, not a 404)', async () => {
    const r = await raw('/%61pi/call/registry.models', { body: '{}', headers: bearer() });
    expect(r.status).toBe(200);
    expect(r.text).toContain('"rows"');
    const abs = await raw(`http://127.0.0.1:${bridge.port}/api/call/registry.models`, { body: '{}', headers: bearer() });
    expect(abs.status).toBe(200);
  });

  it('keeps /api/health public and answers an unknown API path 401 without the token', async () => {
    expect((await raw('/api/health', { method: 'GET' })).status).toBe(200);
    expect((await raw('/api/nope', { body: '{}' })).status).toBe(401);
    expect((await raw('/%61pi/upload?batch=abcdefgh&path=x', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'x' })).status).toBe(401);
  });

  it('refuses the event WebSocket without the token under any spelling', async () => {
    for (const p of ['/api/events', '/%61pi/events', '/ap%69/events', '/API/events', '//api/events']) {
      const code = await new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}${p}`);
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(0));
      });
      expect({ p, code }).not.toEqual({ p, code: 'open' });
    }
  });
});

describe('Bridge origin checks', () => {
  const openWs = (origin: string | undefined, token: string | null) => new Promise<number | 'open'>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api/events${token ? `?token=${token}` : ''}`, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });

  it('refuses a WebSocket from another origin, with or without the token', async () => {
    expect(await openWs('https://evil.example', null)).toBe(403);
    expect(await openWs('https://evil.example', bridge.token)).toBe(403);
    expect(await openWs(`http://127.0.0.1:${bridge.port + 1}`, bridge.token)).toBe(403);
    expect(await openWs('null', bridge.token)).toBe(403);
  });

  it('accepts a WebSocket from its own origins and from a non-browser client (no Origin) with the token', async () => {
    expect(await openWs(`http://127.0.0.1:${bridge.port}`, bridge.token)).toBe('open');
    expect(await openWs(`http://localhost:${bridge.port}`, bridge.token)).toBe('open');
    expect(await openWs(undefined, bridge.token)).toBe('open');
  });

  it('refuses an API call carrying a foreign Origin or Sec-Fetch-Site: cross-site even with the token', async () => {
    const call = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${bridge.port}/api/call/registry.models`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(), ...headers }, body: '{}' });
    expect((await call({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await call({ origin: `http://localhost:${bridge.port}.evil.example` })).status).toBe(403);
    expect((await call({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await call({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await call({ origin: `http://127.0.0.1:${bridge.port}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await call({})).status).toBe(200);
  });
});

describe('Bridge serving the UI (browser mode)', () => {
  let ui: Bridge;
  let dir: string;
  beforeAll(async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    dir = path.join(t.dir, 'ui');
    fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>hallmark-ui</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log("app")');
    ui = new Bridge(t.ctx, { staticDir: dir });
    await ui.start();
  });
  afterAll(async () => {
    await ui.close();
  });
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${ui.port}${p}`, { headers });

  it('serves the static files and the index fallback without a token', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('hallmark-ui');
    expect((await get('/assets/app.js')).status).toBe(200);
    const deep = await get('/models/bert', { 'sec-fetch-site': 'cross-site' }); // a link from elsewhere still opens the UI
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('hallmark-ui');
  });

  it('still refuses API calls and the WebSocket without the token when the UI is served', async () => {
    for (const target of ['/%61pi/call/registry.models', '/API/call/registry.models', `http://127.0.0.1:${ui.port}/api/call/registry.models`]) {
      const r = await fetch(`http://127.0.0.1:${ui.port}/api/call/registry.models`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(401);
      const s = await new Promise<number>((resolve) => {
        const sock = net.connect(ui.port, '127.0.0.1', () => sock.end(`POST ${target} HTTP/1.1\r\nhost: 127.0.0.1:${ui.port}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`));
        let text = '';
        sock.on('data', (c) => (text += c.toString()));
        sock.on('close', () => resolve(text.includes('"rows"') ? 200 : Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
      });
      expect({ target, s }).not.toEqual({ target, s: 200 });
    }
    const ws = await new Promise<number | 'open'>((resolve) => {
      const w = new WebSocket(`ws://127.0.0.1:${ui.port}/%61pi/events`, { origin: `http://127.0.0.1:${ui.port}` });
      w.on('open', () => {
        w.close();
        resolve('open');
      });
      w.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      w.on('error', () => resolve(0));
    });
    expect(ws).toBe(401);
  });
});
