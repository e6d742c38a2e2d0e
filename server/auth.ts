import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { HubDb } from './db/open';
import { forbidden, HubError, nowIso, sha256Hex, unauthorized } from './util';

export const SCOPES = ['incidents:read', 'incidents:write', 'models:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const KEY_PREFIX = 'hm_live_';
/** 32 random bytes, base64url: 256 bits, so one SHA-256 (no slow KDF) is enough to store it. */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: sha256Hex(key), prefix: key.slice(0, KEY_PREFIX.length + 8) };
}

export interface Caller {
  providerId: string;
  keyId: string;
  scopes: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const KEY_SHAPE = /^[A-Za-z0-9_-]{16,200}$/;
/** last_used_at is a hint, not an audit log: write it at most once a minute per key. */
const LAST_USED_EVERY_MS = 60_000;

/**
 * Resolves X-API-Key to its provider. A key that is present but unknown, revoked or expired is a 401
 * whatever the route: a client must learn its key is bad, not be treated as anonymous.
 */
export async function authenticate(db: HubDb, req: FastifyRequest): Promise<Caller | null> {
  const raw = req.headers['x-api-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] ?? '' : raw;
  if (!KEY_SHAPE.test(key)) throw unauthorized('Invalid API key');
  const hash = sha256Hex(key);
  const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
  // The lookup is by hash (an index); compare again in constant time so no code path branches on a prefix match.
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) throw unauthorized('Invalid API key');
  if (!row.is_active) throw unauthorized('This API key has been revoked');
  const now = nowIso();
  if (row.expires_at && row.expires_at <= now) throw unauthorized('This API key has expired');
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > LAST_USED_EVERY_MS) {
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { providerId: row.provider_id, keyId: row.id, scopes: new Set(row.scopes.split(' ').filter(Boolean)) };
}

/** The caller, who must hold `scope` (admin holds every scope). */
export function requireScope(req: FastifyRequest, scope: Scope | null): Caller {
  const c = req.caller;
  if (!c) throw new HubError(401, 'Missing API key', { detail: 'Missing API key: send it in the X-API-Key header' });
  if (scope && !c.scopes.has(scope) && !c.scopes.has('admin')) throw forbidden(`This API key lacks the ${scope} scope`);
  return c;
}
