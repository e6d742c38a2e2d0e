import type { Transaction } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from './context';
import type { HubSchema } from './db/schema';
import { canonicalJson, invalidField, nowIso, sha256Hex } from './util';

const KEY_RE = /^[A-Za-z0-9_\-:.]{1,128}$/;
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface Answer {
  status: number;
  body: unknown;
}

/** A unique-constraint violation from either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Runs a write in one transaction; with an Idempotency-Key header, its answer is stored in that same
 * transaction, so a retry (even after the first answer was lost on the wire) gets the stored answer and
 * writes nothing. The same key with another body or endpoint is refused with a 422.
 */
export async function idempotent(
  hub: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  work: (trx: Transaction<HubSchema>) => Promise<Answer>,
): Promise<unknown> {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) {
    const a = await hub.db.transaction().execute(work);
    hub.kickWebhooks();
    return reply.code(a.status).send(a.body);
  }
  const key = Array.isArray(raw) ? raw[0] ?? '' : raw;
  if (!KEY_RE.test(key)) throw invalidField(['header', 'Idempotency-Key'], 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ - : .');
  const path = req.url.split('?')[0]!;
  const bodyHash = sha256Hex(canonicalJson(req.body ?? null));
  const replay = async (): Promise<unknown> => {
    const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
    const row = await hub.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('idem_key', '=', key).where('created_at', '>', cutoff).executeTakeFirst();
    if (!row) return undefined;
    if (row.method !== req.method || row.path !== path || row.body_hash !== bodyHash) {
      throw invalidField(['header', 'Idempotency-Key'], 'this Idempotency-Key was already used with a different request body or endpoint; use a new key for a new request', 'idempotency_key_reused');
    }
    return reply.code(row.status).header('idempotent-replay', 'true').type('application/json; charset=utf-8').send(row.response);
  };
  const stored = await replay();
  if (stored !== undefined) return stored;
  try {
    const a = await hub.db.transaction().execute(async (trx) => {
      const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
      // An expired record of this key gives way to the new request.
      await trx.deleteFrom('idempotency_keys').where('scope', '=', scope).where('idem_key', '=', key).where('created_at', '<=', cutoff).execute();
      const answer = await work(trx);
      await trx.insertInto('idempotency_keys').values({
        scope, idem_key: key, method: req.method, path, body_hash: bodyHash, status: answer.status,
        response: JSON.stringify(answer.body), created_at: nowIso(),
      }).execute();
      return answer;
    });
    hub.kickWebhooks();
    return reply.code(a.status).send(a.body);
  } catch (e) {
    // The same key raced in from a concurrent retry that committed first: answer what it stored.
    if (isUniqueViolation(e)) {
      const again = await replay();
      if (again !== undefined) return again;
    }
    throw e;
  }
}
