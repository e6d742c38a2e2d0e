import { randomBytes } from 'node:crypto';
import type { HubDb } from './db/open';
import type { VerificationsTable } from './db/schema';
import { sha256Hex } from './util';

/** Verification links live 15 minutes (the SDK caches them for expires_in seconds). */
export const VERIFICATION_TTL_S = 900;

export function newVerificationToken(): { token: string; hash: string } {
  const token = `vt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256Hex(token) };
}

export type TokenCheck = { ok: true; row: VerificationsTable } | { ok: false; reason: 'unknown' | 'expired' | 'other_model' };

/** Looks a token up by its hash; only the hash is stored, so a leaked database yields no live links. */
export async function checkToken(db: HubDb, token: string, modelId?: string): Promise<TokenCheck> {
  if (!/^[A-Za-z0-9_-]{10,200}$/.test(token)) return { ok: false, reason: 'unknown' };
  const row = await db.selectFrom('verifications').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.expires_at <= new Date().toISOString()) return { ok: false, reason: 'expired' };
  if (modelId !== undefined && row.model_id !== modelId) return { ok: false, reason: 'other_model' };
  return { ok: true, row };
}

export const tokenProblem = (reason: 'unknown' | 'expired' | 'other_model'): string =>
  reason === 'expired' ? 'This verification link has expired (links are valid for 15 minutes): ask the model for a new one'
    : reason === 'other_model' ? 'This verification link was issued for another model'
      : 'Unknown verification link';
