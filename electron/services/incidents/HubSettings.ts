// Where the hub is and the API key for it. The key is never stored in the clear: in the app it is sealed
// by the OS keychain (Electron safeStorage, a SecretSealer handed in by electron/main, as the fingerprint
// app key is); in the CLI and browser mode with a passphrase (scrypt → AES-256-GCM, as fingerprint files).
// HALLMARK_HUB_KEY overrides for CI pipelines; it is read, never stored or logged.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Sqlite } from '../../../native/Database';
import type { SecretSealer } from '../audit/appSecret';
import { passphraseKey } from '../audit/FingerprintStore';
import { HallmarkError } from '../errors';

const SealedKey = z.discriminatedUnion('kind', [
  z.object({ format: z.literal('hallmark-hub-key/v1'), kind: z.literal('keychain'), sealed: z.string() }),
  z.object({
    format: z.literal('hallmark-hub-key/v1'), kind: z.literal('passphrase'),
    kdf: z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int() }),
    salt: z.string(), iv: z.string(), tag: z.string(), ciphertext: z.string(),
  }),
]);
type SealedKey = z.infer<typeof SealedKey>;

export const HUB_KEY_ENV = 'HALLMARK_HUB_KEY';
export const HUB_PASSPHRASE_ENV = 'HALLMARK_HUB_PASSPHRASE';
const AAD = Buffer.from('hallmark hub key v1');

export function getState(db: Sqlite, key: string): string | null {
  const r = db.prepare(`SELECT value FROM hub_state WHERE key = ?`).get(key) as { value: string } | undefined;
  return r ? r.value : null;
}
export function setState(db: Sqlite, key: string, value: string | null): void {
  if (value === null) db.prepare(`DELETE FROM hub_state WHERE key = ?`).run(key);
  else db.prepare(`INSERT INTO hub_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
}

export function hubUrl(db: Sqlite): string | null {
  return getState(db, 'url');
}

export function storedKeyKind(db: Sqlite): 'keychain' | 'passphrase' | 'none' {
  const raw = getState(db, 'key');
  if (!raw) return 'none';
  try {
    return SealedKey.parse(JSON.parse(raw)).kind;
  } catch {
    return 'none';
  }
}

/** Seals `apiKey`: with the keychain when a sealer is given (the app), else with the passphrase. */
export async function sealKey(apiKey: string, sealer: SecretSealer | null, passphrase: string | null | undefined): Promise<string> {
  if (sealer && !passphrase) {
    return JSON.stringify({ format: 'hallmark-hub-key/v1', kind: 'keychain', sealed: sealer.encrypt(apiKey).toString('base64') } satisfies SealedKey);
  }
  if (!passphrase) throw new HallmarkError('passphrase_required', `the hub key is stored encrypted: give a passphrase (CLI: $${HUB_PASSPHRASE_ENV}), or use $${HUB_KEY_ENV} without storing it`);
  const keys = passphraseKey(passphrase);
  const kdf = keys.kdf();
  if (kdf.name !== 'scrypt') throw new Error('unreachable');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const k = await keys.deriveKey(salt, kdf);
  const c = createCipheriv('aes-256-gcm', k, iv);
  c.setAAD(AAD);
  const ct = Buffer.concat([c.update(apiKey, 'utf8'), c.final()]);
  return JSON.stringify({
    format: 'hallmark-hub-key/v1', kind: 'passphrase', kdf, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ciphertext: ct.toString('base64'),
  } satisfies SealedKey);
}

/**
 * The key to use now: $HALLMARK_HUB_KEY, else the stored one unsealed (keychain or passphrase).
 * Null when none is stored; an error when one is stored but cannot be opened.
 */
export async function resolveKey(db: Sqlite, sealer: SecretSealer | null, passphrase: string | null | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const fromEnv = env[HUB_KEY_ENV];
  if (fromEnv) return fromEnv.trim();
  const raw = getState(db, 'key');
  if (!raw) return null;
  let sealed: SealedKey;
  try {
    sealed = SealedKey.parse(JSON.parse(raw));
  } catch {
    throw new HallmarkError('wrong_key', 'the stored hub key is damaged: enter the key again in Settings (or hallmark hub-login)');
  }
  if (sealed.kind === 'keychain') {
    if (!sealer) throw new HallmarkError('passphrase_required', `the hub key is sealed by the desktop app's keychain: run sync from the app, or give $${HUB_KEY_ENV}`);
    try {
      return sealer.decrypt(Buffer.from(sealed.sealed, 'base64'));
    } catch (e) {
      throw new HallmarkError('wrong_key', `the OS keychain cannot unseal the hub key (${(e as Error).message}): enter it again in Settings`);
    }
  }
  const pw = passphrase ?? env[HUB_PASSPHRASE_ENV];
  if (!pw) throw new HallmarkError('passphrase_required', `the hub key is encrypted with a passphrase: set $${HUB_PASSPHRASE_ENV} (or give it in the dialog)`);
  const k = await passphraseKey(pw).deriveKey(Buffer.from(sealed.salt, 'base64'), sealed.kdf);
  try {
    const d = createDecipheriv('aes-256-gcm', k, Buffer.from(sealed.iv, 'base64'));
    d.setAAD(AAD);
    d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(sealed.ciphertext, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new HallmarkError('wrong_key', 'wrong passphrase for the stored hub key');
  }
}
