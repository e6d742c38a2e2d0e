import type { FastifyInstance } from 'fastify';
import { buildHubApp } from './app';
import type { HubLimits } from './context';
import { describeTarget, openHubDb, parseDatabaseUrl, type DatabaseTarget, type HubDb } from './db/open';
import type { Dialect } from './db/migrations';
import { IDEMPOTENCY_TTL_MS } from './idempotency';
import { DEFAULT_WEBHOOK_OPTIONS, WebhookWorker, type WebhookOptions } from './webhooks';
import { version } from '../package.json';

export interface HubOptions {
  /** A database URL (sqlite:///path, postgres://…) or an already parsed target. */
  database: string | DatabaseTarget;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** The base URL written into feedback and verification links; default http://HOST:PORT. */
  publicUrl?: string;
  limits?: Partial<HubLimits>;
  webhooks?: Partial<WebhookOptions>;
  trustProxy?: boolean;
  logger?: boolean | { level?: string; stream?: NodeJS.WritableStream };
  bodyLimit?: number;
}

/** The incident hub as one object: database, HTTP server and webhook worker, closed together. */
export class Hub {
  private constructor(
    readonly app: FastifyInstance,
    readonly db: HubDb,
    readonly dialect: Dialect,
    readonly target: DatabaseTarget,
    private readonly worker: WebhookWorker,
    private readonly sweeper: NodeJS.Timeout,
    private base: string,
  ) {}

  static async start(o: HubOptions): Promise<Hub> {
    const target = typeof o.database === 'string' ? parseDatabaseUrl(o.database) : o.database;
    const { db, dialect } = await openHubDb(target);
    const host = o.host ?? '127.0.0.1';
    const explicit = o.publicUrl?.replace(/\/+$/, '');
    let base = explicit ?? '';
    const wopts = { ...DEFAULT_WEBHOOK_OPTIONS, ...o.webhooks };
    let app: FastifyInstance | null = null;
    const worker = new WebhookWorker(db, wopts, (msg, extra) => app?.log.warn(extra ?? {}, msg));
    try {
      app = await buildHubApp({
        db, dialect, version,
        publicUrl: () => base,
        ...(o.limits ? { limits: o.limits } : {}),
        ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}),
        ...(o.logger !== undefined ? { logger: o.logger } : {}),
        ...(o.bodyLimit !== undefined ? { bodyLimit: o.bodyLimit } : {}),
        kickWebhooks: () => worker.kick(),
        allowPrivateWebhooks: wopts.allowPrivateTargets,
      });
      await app.listen({ host, port: o.port ?? 0 });
    } catch (e) {
      await app?.close().catch(() => undefined);
      await db.destroy();
      throw e;
    }
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : o.port ?? 0;
    if (!explicit) {
      // Listening on every interface: links need a real address; loopback works locally, --public-url for others.
      const linkHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      base = `http://${linkHost.includes(':') ? `[${linkHost}]` : linkHost}:${port}`;
      if (linkHost !== host) app.log.warn(`listening on ${host} without --public-url: feedback and verification links use ${base}; set --public-url to the address users reach`);
    }
    worker.start();
    // Expired idempotency records and verification tokens are swept hourly (and once at start).
    const sweep = () => void Hub.sweep(db).catch((e: unknown) => app?.log.warn({ error: String(e) }, 'sweep failed'));
    sweep();
    const sweeper = setInterval(sweep, 3600_000);
    sweeper.unref();
    return new Hub(app, db, dialect, target, worker, sweeper, base);
  }

  static async sweep(db: HubDb): Promise<void> {
    const now = Date.now();
    await db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(now - IDEMPOTENCY_TTL_MS).toISOString()).execute();
    // Kept a day past expiry so community stats still count them for a while.
    await db.deleteFrom('verifications').where('expires_at', '<', new Date(now - 86400_000).toISOString()).execute();
  }

  get url(): string {
    return this.base;
  }

  get port(): number {
    const a = this.app.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get database(): string {
    return describeTarget(this.target);
  }

  /** Runs the webhook queue now and waits for it (tests). */
  async flushWebhooks(): Promise<void> {
    await this.worker.tick();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.app.close();
    await this.worker.close();
    await this.db.destroy();
  }
}
