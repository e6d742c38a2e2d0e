import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubDb } from './db/open';
import type { Dialect } from './db/migrations';

/** Requests per window for one limiter. */
export interface Limit {
  max: number;
  windowMs: number;
}

export interface HubLimits {
  /** Requests without a valid API key (anonymous, or a failed key check), per client IP. */
  perIp: Limit;
  /** Requests with a valid API key, per key. */
  perKey: Limit;
  /** Open provider registration (the bootstrap), per IP. */
  register: Limit;
  /** Incident reports and feedback-page submissions without an API key, per IP. */
  anonymousReport: Limit;
}

export const DEFAULT_LIMITS: HubLimits = {
  perIp: { max: 600, windowMs: 60_000 },
  perKey: { max: 6000, windowMs: 60_000 },
  register: { max: 10, windowMs: 3_600_000 },
  anonymousReport: { max: 20, windowMs: 600_000 },
};

/** What every route module gets. */
export interface HubContext {
  db: HubDb;
  dialect: Dialect;
  version: string;
  /** The base URL links are built on (feedback pages, verification links), no trailing slash. */
  publicUrl: () => string;
  /** Throws a 429 when `req` is over `limit` (keyed by `bucket` + `who`). */
  limit: (req: FastifyRequest, reply: FastifyReply, bucket: keyof HubLimits, who: string) => Promise<void>;
  /** Wakes the webhook worker after a write queued deliveries. */
  kickWebhooks: () => void;
}
