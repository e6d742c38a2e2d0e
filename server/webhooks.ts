import { createHmac, randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HubDb } from './db/open';
import { newId, nowIso } from './util';

export interface WebhookOptions {
  /** First retry delay; each further one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts before a delivery is given up (status "failed"). */
  maxAttempts: number;
  /** How often the queue is polled when nothing kicks it. */
  pollMs: number;
  timeoutMs: number;
  /** Deliver to loopback and private addresses (tests, a hub inside one network). Off by default: a provider must not make the hub probe its own network. */
  allowPrivateTargets: boolean;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  baseDelayMs: 10_000, maxDelayMs: 3_600_000, maxAttempts: 8, pollMs: 1000, timeoutMs: 10_000, allowPrivateTargets: false,
};

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** `sha256=<hex>` over `<timestamp>.<body>`: what a receiver recomputes with its secret. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const blocked = new net.BlockList();
for (const [a, p] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['::ffff:0:0', 96]] as const) blocked.addSubnet(a, p, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  if (!family) return true;
  return blocked.check(ip, family);
}

/** Why a webhook URL is refused, or null. Resolves the host: a name pointing inside the network is refused too. */
export async function webhookTargetProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url is not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'url must be http(s)';
  if (u.username || u.password) return 'url must not carry credentials';
  if (allowPrivate) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addrs: string[];
  try {
    addrs = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `the host ${JSON.stringify(host)} does not resolve`;
  }
  if (addrs.some(isPrivateAddress)) return 'url points at a loopback, private or link-local address (start the hub with --allow-private-webhooks to permit it)';
  return null;
}

/**
 * The resolver a delivery connects with: every address the name resolves to is checked again at connect time.
 * Checking the URL first and letting fetch resolve it again would let a name that answers "public" to the check
 * and "127.0.0.1" to the connection (DNS rebinding) reach the hub's own network.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, '', 0);
      const bad = allowPrivate ? undefined : addrs.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolved to ${bad.address}, a loopback, private or link-local address; refused at connect time`);
        e.code = 'EPRIVATE';
        return callback(e, '', 0);
      }
      if ((options as LookupAllOptions).all) return callback(null, addrs);
      const first = addrs[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One POST, connected through guardedLookup; redirects are not followed (a 3xx is the receiver's answer). */
export function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(allowPrivate),
      signal: AbortSignal.timeout(timeoutMs),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The durable delivery queue: deliveries are rows written in the same transaction as the incident change,
 * so a restart loses none; each attempt is logged; failures retry with exponential backoff.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(private readonly db: HubDb, private readonly o: WebhookOptions, private readonly log: (msg: string, extra?: Record<string, unknown>) => void = () => undefined) {}

  start(): void {
    this.schedule(0);
  }

  /** Run the queue now (a write just queued deliveries). */
  kick(): void {
    if (this.closed) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().catch((e: unknown) => this.log('webhook queue error', { error: String(e) })).finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else this.schedule(this.o.pollMs);
      });
    }, ms);
    this.timer.unref();
  }

  /** Delivers what is due; returns when this batch is done. */
  async tick(): Promise<void> {
    for (let round = 0; round < 10 && !this.closed; round++) {
      const now = nowIso();
      const due = await this.db.selectFrom('webhook_deliveries').innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select(['webhook_deliveries.id', 'webhook_deliveries.event', 'webhook_deliveries.payload', 'webhook_deliveries.attempts', 'webhook_deliveries.next_attempt_at', 'webhooks.url', 'webhooks.secret'])
        .where('webhook_deliveries.status', '=', 'pending').where('webhook_deliveries.next_attempt_at', '<=', now).where('webhooks.is_active', '=', 1)
        .orderBy('webhook_deliveries.next_attempt_at').limit(20).execute();
      if (!due.length) return;
      await Promise.all(due.map((d) => this.deliver(d)));
    }
  }

  private async deliver(d: { id: string; event: string; payload: string; attempts: number; next_attempt_at: string; url: string; secret: string }): Promise<void> {
    // Claim it with a lease (another hub process on the same database, or a crash mid-attempt, retries after it).
    const lease = new Date(Date.now() + this.o.timeoutMs + 30_000).toISOString();
    const claimed = await this.db.updateTable('webhook_deliveries').set({ next_attempt_at: lease })
      .where('id', '=', d.id).where('next_attempt_at', '=', d.next_attempt_at).where('status', '=', 'pending').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const attempt = Number(d.attempts) + 1;
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const problem = await webhookTargetProblem(d.url, this.o.allowPrivateTargets);
      if (problem) throw new Error(problem);
      const ts = String(Math.floor(Date.now() / 1000));
      statusCode = await postWebhook(d.url, d.payload, {
        'content-type': 'application/json',
        'user-agent': 'Hallmark-Hub-Webhooks/1',
        'x-hallmark-event': d.event,
        'x-hallmark-delivery': d.id,
        'x-hallmark-timestamp': ts,
        'x-hallmark-signature': signPayload(d.secret, ts, d.payload),
      }, this.o.timeoutMs, this.o.allowPrivateTargets);
      if (statusCode < 200 || statusCode >= 300) error = `receiver answered HTTP ${statusCode}`;
    } catch (e) {
      error = e instanceof Error ? (e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${this.o.timeoutMs} ms` : e.message) : String(e);
    }
    const now = nowIso();
    const ok = error === null;
    const giveUp = !ok && attempt >= this.o.maxAttempts;
    const delay = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('webhook_attempts').values({ id: newId('att'), delivery_id: d.id, attempt, at: now, status_code: statusCode, error, duration_ms: Date.now() - started }).execute();
      await trx.updateTable('webhook_deliveries').set({
        status: ok ? 'delivered' : giveUp ? 'failed' : 'pending',
        attempts: attempt,
        next_attempt_at: ok || giveUp ? now : new Date(Date.now() + delay).toISOString(),
        last_status_code: statusCode,
        last_error: error,
        updated_at: now,
      }).where('id', '=', d.id).execute();
    });
    if (!ok) this.log('webhook delivery failed', { delivery: d.id, attempt, error, retry_in_ms: giveUp ? null : delay });
  }
}
