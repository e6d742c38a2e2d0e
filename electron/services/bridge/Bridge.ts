import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { HallmarkEvent } from '../../contract/events';
import type { AppContext } from '../AppContext';
import { dispatch, toApiError } from '../api/index';
import { safeZipPath } from '../registry/Importer';
import { HallmarkError } from '../errors';
import { eventsOf } from '../events';

export interface BridgeOptions {
  port?: number;
  /** Built renderer to serve (browser mode); omitted in API-only use. */
  staticDir?: string;
  token?: string;
}

/** Same policy as the Electron window: nothing from outside, no inline script, no eval. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** The path as the router sees it (decoded, origin of an absolute-form target dropped), for messages and 404s. */
function decodedPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return url;
  }
}

/**
 * The local HTTP + WebSocket bridge: the same typed API as Electron IPC, for browser mode and
 * end-to-end tests. Bound to 127.0.0.1; every request carries the per-run token; the Host header
 * must be local so a web page cannot reach it by DNS rebinding.
 */
export class Bridge {
  readonly token: string;
  private app: FastifyInstance | null = null;
  port = 0;

  constructor(private readonly ctx: AppContext, private readonly opts: BridgeOptions = {}) {
    this.token = opts.token ?? randomBytes(24).toString('hex');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  private authorized(req: FastifyRequest): boolean {
    const q = (req.query as Record<string, string | undefined>).token;
    const h = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? (req.headers['x-hallmark-token'] as string | undefined) ?? q;
    if (!h) return false;
    const a = Buffer.from(h);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The origins of our own page; the port is only known once listening. */
  private ownOrigins(): string[] {
    return [`http://127.0.0.1:${this.port}`, `http://localhost:${this.port}`];
  }

  async start(): Promise<string> {
    const app = Fastify({ logger: false, bodyLimit: 64 << 20 });
    this.app = app;
    await app.register(fastifyWebsocket, { options: { maxPayload: 1 << 20 } });
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

    // Deny by default: whether a request needs the token is decided on the route the router matched
    // (after it decoded %xx, collapsed dot segments and dropped an absolute-form origin), never on the
    // raw URL. Public: /api/health and GET/HEAD of the static UI (its wildcard route and the index
    // fallback when nothing matched); every other route, present or future, needs the token.
    const publicRoutes = new Set<string>(['GET /api/health', 'HEAD /api/health']);
    let collectingStatic = false;
    app.addHook('onRoute', (r) => {
      if (!collectingStatic) return;
      for (const m of [r.method].flat()) if (m === 'GET' || m === 'HEAD') publicRoutes.add(`${m} ${r.url}`);
    });
    const isPublic = (req: FastifyRequest): boolean => {
      const route = req.routeOptions.url;
      if (route === undefined) return req.method === 'GET' || req.method === 'HEAD'; // not found: index.html or a 404
      return publicRoutes.has(`${req.method} ${route}`);
    };

    app.addHook('onRequest', async (req, reply) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
        return reply.code(403).send({ ok: false, error: { code: 'forbidden_host', message: `host ${JSON.stringify(req.headers.host)} is not local` } });
      }
      reply.header('Content-Security-Policy', CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
      // A browser names the page that sent a request in Origin (always on a WebSocket upgrade and on
      // a cross-origin fetch); only our own page may talk to us. No Origin: a non-browser client,
      // which still needs the token below.
      const origin = req.headers.origin;
      if (origin !== undefined && !this.ownOrigins().includes(origin)) {
        return reply.code(403).send({ ok: false, error: { code: 'forbidden_origin', message: `requests from origin ${JSON.stringify(origin)} are not allowed` } });
      }
      if (isPublic(req)) return;
      // Fetch metadata catches what Origin may not (a same-site page on another port is still another origin).
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        return reply.code(403).send({ ok: false, error: { code: 'forbidden_origin', message: `${JSON.stringify(site)} requests are not allowed` } });
      }
      if (!this.authorized(req)) {
        return reply.code(401).send({ ok: false, error: { code: 'unauthorized', message: 'missing or wrong token: open the URL printed by `hallmark serve`' } });
      }
    });

    app.get('/api/health', async () => ({ ok: true }));

    app.post<{ Params: { method: string } }>('/api/call/:method', async (req, reply) => {
      try {
        const result = await dispatch(this.ctx, req.params.method, req.body ?? undefined);
        return { ok: true, result };
      } catch (e) {
        const error = toApiError(e);
        const status = error.code === 'unknown_method' ? 404 : error.code === 'internal' || error.code === 'invalid_output' ? 500 : 400;
        return reply.code(status).send({ ok: false, error });
      }
    });

    // Browser-mode drag and drop: files stream to a temp folder, then import as usual.
    app.put<{ Querystring: { batch?: string; path?: string } }>('/api/upload', async (req, reply) => {
      try {
        const batch = req.query.batch ?? '';
        if (!/^[A-Za-z0-9_-]{8,64}$/.test(batch)) throw new HallmarkError('invalid_input', `invalid upload batch ${JSON.stringify(batch)}`);
        const rel = safeZipPath(req.query.path ?? '');
        const dir = path.join(this.ctx.blobs.tmp, `upload-${batch}`);
        const dest = path.join(dir, ...rel.split('/'));
        await fsp.mkdir(path.dirname(dest), { recursive: true });
        await pipeline(req.body as NodeJS.ReadableStream, fs.createWriteStream(dest, { flags: 'wx' }));
        return { ok: true, result: { dir, path: dest } };
      } catch (e) {
        return reply.code(400).send({ ok: false, error: toApiError(e) });
      }
    });

    app.get('/api/events', { websocket: true }, (socket) => {
      const send = (ev: HallmarkEvent) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(ev));
      };
      const off = eventsOf(this.ctx).subscribe(send);
      socket.on('close', off);
    });

    if (this.opts.staticDir && fs.existsSync(this.opts.staticDir)) {
      collectingStatic = true;
      await app.register(fastifyStatic, { root: path.resolve(this.opts.staticDir), index: ['index.html'] });
      collectingStatic = false;
      app.setNotFoundHandler((req, reply) => {
        if (/^\/api\//i.test(decodedPath(req.url))) return reply.code(404).send({ ok: false, error: { code: 'not_found', message: `no route ${req.url}` } });
        return reply.sendFile('index.html');
      });
    }
    await app.listen({ host: '127.0.0.1', port: this.opts.port ?? 0 });
    const addr = app.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.url;
  }

  async close(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }
}
