// The hub's HTTP API as the desktop uses it (sync-api.md). Every answer is distrusted: a timeout per
// request, a cap on the body read, no redirects followed (a hub that redirects elsewhere could send the
// key's requests to a third party on the next call), a JSON content type, and zod validation of the shape.
import { z } from 'zod';
import { INCIDENT_CATEGORIES, INCIDENT_SEVERITIES, INCIDENT_STATUSES } from '../../contract/incidents';

export const RemoteIncident = z.object({
  id: z.string().regex(/^inc_[A-Za-z0-9_-]{1,100}$/),
  model_id: z.string().min(1).max(200),
  category: z.enum(INCIDENT_CATEGORIES),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  title: z.string().max(10_000),
  description: z.string().max(100_000),
  reporter_email: z.string().max(1000).nullable().optional(),
  notes: z.string().max(100_000).nullable().optional(),
  verified: z.boolean(),
  source: z.string().max(40),
  client_ref: z.string().max(200).nullable(),
  revision: z.number().int().min(1),
  seq: z.number().int().min(1),
  created_at: z.string().max(40),
  updated_at: z.string().max(40),
});
export type RemoteIncident = z.infer<typeof RemoteIncident>;

const SyncPage = z.object({ incidents: z.array(RemoteIncident).max(500), next_cursor: z.string().regex(/^\d{1,18}$/), has_more: z.boolean() });
const Conflict = z.object({ message: z.string(), conflicting_fields: z.array(z.string()).optional(), incident: RemoteIncident });
const Registered = z.object({ model_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/), version: z.union([z.string(), z.number()]).optional(), feedback_url: z.string().url().optional() });
const ModelInfo = z.object({ model_id: z.string().optional(), id: z.string().optional(), feedback_url: z.string().url() });
const Health = z.object({ status: z.literal('ok'), database: z.string().optional() });

export type HubErrorKind = 'offline' | 'timeout' | 'auth' | 'rate_limited' | 'server' | 'client' | 'bad_response' | 'conflict';

/** Why a call failed, and whether trying again later can help. */
export class HubError extends Error {
  constructor(readonly kind: HubErrorKind, message: string, readonly status: number | null = null, readonly retryAfterS: number | null = null, readonly body: unknown = null) {
    super(message);
    this.name = 'HubError';
  }
  /** Network trouble, 5xx and 429 pass; a 4xx or a garbled answer will not fix itself by retrying the same bytes. */
  get retryable(): boolean {
    return this.kind === 'offline' || this.kind === 'timeout' || this.kind === 'rate_limited' || this.kind === 'server';
  }
}

export interface HubClientOptions {
  timeoutMs?: number;
  /** Largest answer read (a sync page of 500 incidents at the hub's limits stays far below). */
  maxBodyBytes?: number;
  fetch?: typeof fetch;
}

/** Normalised base: http(s), no query or fragment, no trailing slash. */
export function normaliseHubUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new HubError('client', `the hub URL ${JSON.stringify(raw)} is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HubError('client', `the hub URL must be http or https, got ${JSON.stringify(raw)}`);
  if (u.username || u.password || u.search || u.hash) throw new HubError('client', `the hub URL must not carry credentials, a query or a fragment: ${JSON.stringify(raw)}`);
  return u.toString().replace(/\/+$/, '');
}

export class HubClient {
  readonly base: string;
  private readonly timeoutMs: number;
  private readonly maxBody: number;
  private readonly doFetch: typeof fetch;

  constructor(base: string, private readonly apiKey: string | null, o: HubClientOptions = {}) {
    this.base = normaliseHubUrl(base);
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.maxBody = o.maxBodyBytes ?? 4 * 1024 * 1024;
    this.doFetch = o.fetch ?? fetch;
  }

  health(signal?: AbortSignal) {
    return this.request('GET', '/api/v1/health', { schema: Health, auth: false, signal });
  }

  /** A cheap authenticated call: tells a wrong key (401) or scope (403) from a working one. */
  checkKey(signal?: AbortSignal) {
    return this.request('GET', '/api/v1/sync/incidents?cursor=0&limit=1', { schema: SyncPage, signal });
  }

  report(body: Record<string, unknown>, idempotencyKey: string, signal?: AbortSignal) {
    return this.request('POST', '/api/v1/incidents/report', { body, idempotencyKey, schema: RemoteIncident, signal });
  }

  /** 409 answers are returned (kind 'conflict' with the hub's current incident), not thrown. */
  async patch(id: string, body: Record<string, unknown>, idempotencyKey: string, signal?: AbortSignal): Promise<{ ok: true; incident: RemoteIncident } | { ok: false; incident: RemoteIncident; fields: string[] | null; message: string }> {
    try {
      return { ok: true, incident: await this.request('PATCH', `/api/v1/incidents/${encodeURIComponent(id)}`, { body, idempotencyKey, schema: RemoteIncident, signal }) };
    } catch (e) {
      if (e instanceof HubError && e.kind === 'conflict') {
        const c = Conflict.safeParse(e.body);
        if (!c.success) throw new HubError('bad_response', `the hub answered 409 without the current incident (${c.error.issues[0]?.message ?? 'wrong shape'})`, 409);
        return { ok: false, incident: c.data.incident, fields: c.data.conflicting_fields ?? null, message: c.data.message };
      }
      throw e;
    }
  }

  changes(cursor: string, limit: number, signal?: AbortSignal) {
    return this.request('GET', `/api/v1/sync/incidents?cursor=${encodeURIComponent(cursor)}&limit=${limit}`, { schema: SyncPage, signal });
  }

  registerModel(body: Record<string, unknown>, signal?: AbortSignal) {
    return this.request('POST', '/api/v1/models/register', { body, schema: Registered, signal });
  }

  model(id: string, signal?: AbortSignal) {
    return this.request('GET', `/api/v1/models/${encodeURIComponent(id)}`, { schema: ModelInfo, signal });
  }

  private async request<T extends z.ZodType>(method: string, p: string, o: { schema: T; body?: unknown; idempotencyKey?: string; auth?: boolean; signal?: AbortSignal | undefined }): Promise<z.output<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.auth !== false) {
      if (!this.apiKey) throw new HubError('auth', 'no hub API key: set it in Settings (or HALLMARK_HUB_KEY for the CLI)');
      headers['x-api-key'] = this.apiKey;
    }
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const where = `${method} ${this.base}${p.replace(/\?.*$/, '')}`;
    let res: Response;
    let text: string;
    try {
      res = await this.doFetch(this.base + p, { method, headers, redirect: 'manual', signal, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
      text = await readCapped(res, this.maxBody, where);
    } catch (e) {
      if (e instanceof HubError) throw e;
      if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new HubError('offline', 'cancelled');
      if (timeout.aborted) throw new HubError('timeout', `the hub did not answer within ${Math.round(this.timeoutMs / 1000)} s (${where})`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError('offline', `cannot reach the hub at ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const status = res.status;
    if (status >= 300 && status < 400) {
      throw new HubError('bad_response', `the hub answered a redirect (${status}${res.headers.get('location') ? ` to ${res.headers.get('location')}` : ''}) to ${where}; set the hub URL to the hub's own address`, status);
    }
    let json: unknown;
    const isJson = /^application\/(.+\+)?json\b/i.test(res.headers.get('content-type') ?? '');
    try {
      json = isJson ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status >= 400) {
      const detail = describeDetail(json) ?? (text.trim() ? `${text.trim().slice(0, 120).replace(/\s+/g, ' ')}` : 'no details');
      if (status === 401) throw new HubError('auth', `the hub refused the API key (401: ${detail}); check the key in Settings`, status);
      if (status === 403) throw new HubError('client', `the hub refused this (403: ${detail})`, status);
      if (status === 409) throw new HubError('conflict', detail, status, null, json);
      if (status === 429) throw new HubError('rate_limited', `the hub is rate limiting (429)`, status, retryAfter(res.headers.get('retry-after')));
      if (status === 408 || status >= 500) throw new HubError('server', `the hub failed (${status}: ${detail}) on ${where}`, status, retryAfter(res.headers.get('retry-after')));
      throw new HubError('client', `the hub refused ${where} (${status}: ${detail})`, status, null, json);
    }
    if (!isJson || json === undefined) {
      throw new HubError('bad_response', `the hub's answer to ${where} is not JSON (${res.headers.get('content-type') ?? 'no content type'}: ${JSON.stringify(text.slice(0, 60))}); is ${this.base} a Hallmark hub?`, status);
    }
    const parsed = o.schema.safeParse(json);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new HubError('bad_response', `the hub's answer to ${where} has the wrong shape (${i ? `${i.path.join('.') || '(body)'}: ${i.message}` : 'invalid'}); is ${this.base} a compatible hub?`, status);
    }
    return parsed.data;
  }
}

async function readCapped(res: Response, max: number, where: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new HubError('bad_response', `the hub's answer to ${where} is ${declared} bytes, over the ${max}-byte limit`, res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw new HubError('bad_response', `the hub's answer to ${where} is over the ${max}-byte limit`, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function retryAfter(v: string | null): number | null {
  if (!v) return null;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return n;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, (t - Date.now()) / 1000) : null;
}

function describeDetail(json: unknown): string | null {
  if (!json || typeof json !== 'object') return null;
  const o = json as { detail?: unknown; message?: unknown };
  if (typeof o.detail === 'string') return o.detail.slice(0, 300);
  if (Array.isArray(o.detail)) return o.detail.map((d) => (d && typeof d === 'object' && typeof (d as { msg?: unknown }).msg === 'string' ? (d as { msg: string }).msg : '')).filter(Boolean).join('; ').slice(0, 300) || null;
  if (typeof o.message === 'string') return o.message.slice(0, 300);
  return null;
}
