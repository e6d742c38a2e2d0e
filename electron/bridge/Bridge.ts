import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { CSP } from '../contract/csp';
import type { HallmarkEvent } from '../contract/events';
import { UploadImportOptions } from '../contract/registry';
import type { AppContext } from '../services/AppContext';
import { dispatch, toApiError } from '../services/api/index';
import { safeZipPath } from '../services/registry/paths';
import { formatZod, HallmarkError, quote } from '../services/errors';

export interface BridgeOptions {
  port?: number;
  /** Largest upload (all files of one upload id together), in bytes. */
  maxUploadBytes?: number;
  /** Bytes an upload must leave free in the temp folder. */
  uploadFreeMarginBytes?: number;
  /** Built renderer to serve (browser mode); omitted in API-only use. */
  staticDir?: string;
  token?: string;
}

const GiB = 1024 ** 3;
/** Big enough for a 70B-parameter model in 16-bit; a larger model can be imported by path with the CLI. */
const DEFAULT_MAX_UPLOAD = 256 * GiB;
const DEFAULT_FREE_MARGIN = 2 * GiB;

interface Upload {
  dir: string;
  /** Relative paths received so far. */
  files: Set<string>;
  bytes: number;
  /** Handed to an import job: no more files, and the job's end removes the folder. */
  importing: boolean;
}

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
  private readonly uploads = new Map<string, Upload>();
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

    // Browser-mode drag and drop: files stream into a temp folder the bridge creates and remembers
    // under an opaque id; the import names that id, never a path, and the bridge alone removes the
    // folder once the import job has ended.
    app.put<{ Querystring: { upload?: string; path?: string } }>('/api/upload', async (req, reply) => {
      try {
        const rel = safeZipPath(req.query.path ?? '');
        const fresh = req.query.upload === undefined;
        const id = req.query.upload ?? (await this.newUpload());
        const up = this.uploads.get(id);
        if (!up || up.importing) throw new HallmarkError('unknown_upload', `no open upload ${quote(id)}`);
        try {
          const bytes = await this.receive(up, rel, req);
          return { ok: true, result: { upload: id, path: rel, bytes } };
        } catch (e) {
          // The caller never learnt this id: nothing else would remove the folder before the bridge stops.
          if (fresh) {
            this.uploads.delete(id);
            await fsp.rm(up.dir, { recursive: true, force: true }).catch(() => undefined);
          }
          throw e;
        }
      } catch (e) {
        const error = toApiError(e);
        return reply.code(error.code === 'upload_too_large' ? 413 : error.code === 'disk_full' ? 507 : error.code === 'unknown_upload' ? 404 : 400).send({ ok: false, error });
      }
    });

    app.delete<{ Params: { id: string } }>('/api/upload/:id', async (req, reply) => {
      const up = this.uploads.get(req.params.id);
      if (!up || up.importing) return reply.code(404).send({ ok: false, error: { code: 'unknown_upload', message: `no open upload ${quote(req.params.id)}` } });
      this.uploads.delete(req.params.id);
      await fsp.rm(up.dir, { recursive: true, force: true });
      return { ok: true, result: null };
    });

    app.post<{ Params: { id: string } }>('/api/upload/:id/import', async (req, reply) => {
      try {
        const up = this.uploads.get(req.params.id);
        if (!up || up.importing) throw new HallmarkError('unknown_upload', `no open upload ${quote(req.params.id)}`);
        const parsed = UploadImportOptions.safeParse(req.body ?? {});
        if (!parsed.success) throw new HallmarkError('invalid_input', `invalid upload import: ${formatZod(parsed.error)}`, parsed.error.issues);
        const { folder, ...options } = parsed.data;
        if (!up.files.size) throw new HallmarkError('invalid_input', `upload ${quote(req.params.id)} holds no files`);
        if (!folder && up.files.size !== 1) throw new HallmarkError('invalid_input', `upload ${quote(req.params.id)} holds ${up.files.size} files; import it as a folder`);
        const target = folder ? up.dir : path.join(up.dir, ...[...up.files][0]!.split('/'));
        const uploadedAs = options.uploadedAs ?? (folder ? 'upload' : [...up.files][0]!);
        // Claimed before the await: a second import of the same id must not slip in meanwhile.
        up.importing = true;
        let jobId: string;
        try {
          ({ jobId } = await dispatch<'registry.import'>(this.ctx, 'registry.import', { ...options, path: target, uploadedAs }));
        } catch (e) {
          up.importing = false; // refused before a job started: the upload stays for another try
          throw e;
        }
        void this.removeAfter(req.params.id, up, jobId);
        return { ok: true, result: { jobId } };
      } catch (e) {
        const error = toApiError(e);
        return reply.code(error.code === 'unknown_upload' ? 404 : 400).send({ ok: false, error });
      }
    });

    app.get('/api/events', { websocket: true }, (socket) => {
      const send = (ev: HallmarkEvent) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(ev));
      };
      const off = this.ctx.events.subscribe(send);
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
    // Uploads never imported go with the bridge; those being imported go when their job ends.
    for (const [id, up] of this.uploads) {
      if (up.importing) continue;
      this.uploads.delete(id);
      await fsp.rm(up.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async newUpload(): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const dir = await fsp.mkdtemp(path.join(this.ctx.blobs.tmp, 'upload-'));
    this.uploads.set(id, { dir, files: new Set(), bytes: 0, importing: false });
    return id;
  }

  /**
   * Streams one file of an upload to disk within the upload's size cap and the free space of the
   * temp folder (less a margin, so an upload cannot fill the disk the vault and database live on).
   * On any failure the partial file is removed.
   */
  private async receive(up: Upload, rel: string, req: FastifyRequest): Promise<number> {
    if (up.files.has(rel)) throw new HallmarkError('invalid_input', `${quote(rel)} was already uploaded`);
    const cap = this.opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
    const margin = this.opts.uploadFreeMarginBytes ?? DEFAULT_FREE_MARGIN;
    const s = await fsp.statfs(this.ctx.blobs.tmp);
    const room = Number(s.bavail) * Number(s.bsize) - margin;
    const declared = Number(req.headers['content-length'] ?? NaN);
    const tooLarge = (n: number) => new HallmarkError('upload_too_large', `upload of ${quote(rel)} refused: ${n} bytes would exceed the upload limit of ${cap} bytes`);
    const noRoom = (n: number) => new HallmarkError('disk_full', `upload of ${quote(rel)} refused: it needs ${n} bytes but only ${Math.max(0, room)} are free in the temp folder (keeping ${margin} bytes free)`);
    if (Number.isFinite(declared)) {
      if (up.bytes + declared > cap) throw tooLarge(up.bytes + declared);
      if (declared > room) throw noRoom(declared);
    }
    // Content-Length may be absent (chunked) or wrong: count what really arrives.
    let written = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (up.bytes + written > cap) cb(tooLarge(up.bytes + written));
        else if (written > room) cb(noRoom(written));
        else cb(null, chunk);
      },
    });
    const dest = path.join(up.dir, ...rel.split('/'));
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    up.files.add(rel);
    try {
      await pipeline(req.body as NodeJS.ReadableStream, meter, fs.createWriteStream(dest, { flags: 'wx' }));
    } catch (e) {
      up.files.delete(rel);
      await fsp.rm(dest, { force: true }).catch(() => undefined);
      throw e;
    }
    up.bytes += written;
    return written;
  }

  /** Removes an upload's folder once the import that read it has finished, however it finished. */
  private async removeAfter(id: string, up: Upload, jobId: string): Promise<void> {
    try {
      for (;;) {
        const job = await this.ctx.jobs.wait(jobId);
        if (!['queued', 'running'].includes(job.state)) break;
      }
    } catch {
      // The job is gone from memory and the database: nothing reads the folder any more.
    } finally {
      this.uploads.delete(id);
      await fsp.rm(up.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
