import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { authenticate } from './auth';
import { DEFAULT_LIMITS, type HubContext, type HubLimits } from './context';
import type { HubDb } from './db/open';
import type { Dialect } from './db/migrations';
import { HubError, type ValidationIssue } from './util';
import { registerProviderRoutes } from './routes/providers';
import { registerModelRoutes } from './routes/models';
import { registerIncidentRoutes } from './routes/incidents';
import { registerWebhookRoutes } from './routes/webhooks';
import { registerFeedbackRoutes } from './routes/feedback';

export interface HubAppOptions {
  db: HubDb;
  dialect: Dialect;
  version: string;
  publicUrl: () => string;
  limits?: Partial<HubLimits>;
  /** Largest JSON body, bytes. */
  bodyLimit?: number;
  /** Behind a reverse proxy: take the client IP from X-Forwarded-For (rate limits are per IP). */
  trustProxy?: boolean;
  /** A pino logger config or false; secrets are redacted either way. */
  logger?: boolean | { level?: string; stream?: NodeJS.WritableStream };
  kickWebhooks?: () => void;
  allowPrivateWebhooks?: boolean;
}

/** The JSON API's policy: nothing here is a document to render. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A URL as logged: verification tokens in paths and query strings are secrets. */
export function redactUrl(url: string): string {
  return url
    .replace(/(\/verify\/)[^/?#]+/g, '$1[redacted]')
    .replace(/([?&](?:vt|token|verification_token|api_key)=)[^&#]*/gi, '$1[redacted]');
}

function ajvIssues(err: FastifyError): ValidationIssue[] {
  const where = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const loc: (string | number)[] = [where, ...v.instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
    const params = v.params;
    if (v.keyword === 'required' && typeof params.missingProperty === 'string') return { loc: [...loc, params.missingProperty], msg: 'Field required', type: 'missing' };
    if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      return { loc, msg: `Input should be ${params.allowedValues.map((a) => `'${String(a)}'`).join(', ')}`, type: 'enum' };
    }
    if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      return { loc: [...loc, params.additionalProperty], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' };
    }
    return { loc, msg: `${loc.slice(1).join('.') || where} ${v.message ?? 'is invalid'}`, type: v.keyword };
  });
}

export async function buildHubApp(o: HubAppOptions): Promise<FastifyInstance> {
  const limits: HubLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const loggerOpt = o.logger === undefined || o.logger === false ? false : o.logger === true ? {} : o.logger;
  const app = Fastify({
    bodyLimit: o.bodyLimit ?? 64 * 1024,
    trustProxy: o.trustProxy ?? false,
    // The SDK sends X-Request-ID; accept it when it is a sane token (it goes into logs), else make one.
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    // No type coercion: a number where text belongs is a 422, as the SDK's own server answers. Query
    // strings are text by nature; their integers are checked by qInt() in the routes.
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
    logger: loggerOpt === false ? false : {
      level: loggerOpt.level ?? 'info',
      ...(loggerOpt.stream ? { stream: loggerOpt.stream } : {}),
      // Keys and secrets never reach a log line, wherever they appear.
      redact: {
        paths: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie', 'api_key', '*.api_key', 'secret', '*.secret', 'token', '*.token', 'verification_token', '*.verification_token'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), requestId: req.id, remoteAddress: req.ip }),
      },
    },
  });

  const hub: HubContext & { allowPrivateWebhooks: boolean } = {
    allowPrivateWebhooks: o.allowPrivateWebhooks ?? false,
    db: o.db,
    dialect: o.dialect,
    version: o.version,
    publicUrl: o.publicUrl,
    kickWebhooks: o.kickWebhooks ?? (() => undefined),
    limit: async () => undefined,
  };

  app.decorateRequest('caller', null);

  await app.register(rateLimit, { global: false, keyGenerator: (req: FastifyRequest) => req.ip });
  const limiters = Object.fromEntries(Object.entries(limits).map(([bucket, l]) => [bucket, app.createRateLimit({
    max: l.max,
    timeWindow: l.windowMs,
    keyGenerator: (req: FastifyRequest & { limitKey?: string }) => `${bucket}:${req.limitKey ?? req.ip}`,
  })])) as unknown as Record<keyof HubLimits, (req: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number; max?: number }>>;
  hub.limit = async (req, reply, bucket, who) => {
    (req as FastifyRequest & { limitKey?: string }).limitKey = who;
    const r = await limiters[bucket](req);
    if (!r.isAllowed && r.isExceeded) {
      const after = Math.max(1, r.ttlInSeconds ?? 1);
      reply.header('retry-after', String(after));
      throw new HubError(429, 'rate limited', { detail: `Rate limit exceeded (${r.max} requests); retry in ${after} s` });
    }
  };

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hallmark incident hub',
        version: o.version,
        description: 'Self-hostable incident hub: the ModelSignature SDK 0.3.0 wire contract plus the sync extension (docs/hub.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    },
  });

  // Form posts from the feedback page (no @fastify/formbody needed for one flat form).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Limits and the key check come before the body is even read: an unauthenticated flood costs no parsing.
  // A request with a valid key counts against that key (a desktop pushing a backlog is not throttled by
  // the office NAT it shares); everything else, failed key checks included, against the client IP.
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers['x-api-key'] === undefined) return hub.limit(req, reply, 'perIp', req.ip);
    try {
      req.caller = await authenticate(o.db, req);
    } catch (e) {
      await hub.limit(req, reply, 'perIp', req.ip);
      throw e;
    }
    if (req.caller) await hub.limit(req, reply, 'perKey', req.caller.keyId);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err: FastifyError, req, reply: FastifyReply) => {
    if (err instanceof HubError) {
      if (err.status >= 500) req.log.error({ err }, 'hub error');
      return reply.code(err.status).send(err.body ?? { detail: err.message });
    }
    if (err.validation) return reply.code(422).send({ detail: ajvIssues(err) });
    const code = err.code ?? '';
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
      return reply.code(422).send({ detail: [{ loc: ['body'], msg: `JSON decode error: ${err.message}`, type: 'json_invalid' }] });
    }
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ detail: `Request body too large (limit ${o.bodyLimit ?? 64 * 1024} bytes)` });
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ detail: `Unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: send application/json` });
    if (err.statusCode === 429) return reply.code(429).send({ detail: err.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ detail: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ detail: `Internal server error (request ${req.id})` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not found: ${req.method} ${redactUrl(req.url.split('?')[0]!)}` }));

  app.get('/api/v1/health', {
    schema: { tags: ['meta'], summary: 'Liveness and the database in use', response: { 200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' }, version: { type: 'string' } } } } },
  }, async () => ({ status: 'ok', database: o.dialect, version: o.version }));

  registerProviderRoutes(app, hub);
  registerModelRoutes(app, hub);
  registerIncidentRoutes(app, hub);
  registerWebhookRoutes(app, hub);
  registerFeedbackRoutes(app, hub);

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
