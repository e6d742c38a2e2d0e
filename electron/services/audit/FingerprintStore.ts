// Fingerprints are secrets (whoever knows the keys can filter them out of a stolen model), so they
// are only ever stored encrypted: AES-256-GCM, the key from a passphrase via scrypt (CLI, browser)
// or from the app's own secret (Electron main passes one protected by safeStorage).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Sqlite } from '../../../native/Database';
import { HallmarkError, quote } from '../errors';
import { FingerprintSetSchema, type FingerprintSet } from './fingerprints';

export type KeySource = 'passphrase' | 'app';

/** Derives the 32-byte file key for a given salt. */
export interface KeyProvider {
  readonly source: KeySource;
  deriveKey(salt: Buffer, kdf: Kdf): Promise<Buffer>;
  /** The KDF parameters recorded in new envelopes. */
  kdf(): Kdf;
}

const Kdf = z.discriminatedUnion('name', [
  z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int() }),
  z.object({ name: z.literal('hkdf-sha256') }),
]);
export type Kdf = z.infer<typeof Kdf>;

const scrypt = (pw: string, salt: Buffer, len: number, o: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(pw, salt, len, o, (e, k) => (e ? reject(e) : resolve(k))));

/** scrypt N=2^15, r=8, p=1 (~32 MiB, ~0.1 s): slow enough to hurt guessing, quick enough for a CLI. */
export function passphraseKey(passphrase: string, cost: { N?: number; r?: number; p?: number } = {}): KeyProvider {
  if (!passphrase) throw new HallmarkError('invalid_input', 'the passphrase is empty');
  const params = { N: cost.N ?? 2 ** 15, r: cost.r ?? 8, p: cost.p ?? 1 };
  return {
    source: 'passphrase',
    kdf: () => ({ name: 'scrypt', ...params }),
    deriveKey: async (salt, kdf) => {
      if (kdf.name !== 'scrypt') throw new HallmarkError('wrong_key', 'this fingerprint set was encrypted with the app key, not a passphrase');
      // Parameters come from the envelope; cap them so a crafted file cannot ask for gigabytes.
      if (kdf.N > 2 ** 20 || kdf.r > 32 || kdf.p > 16) throw new HallmarkError('corrupt_fingerprints', 'the fingerprint file asks for unreasonable scrypt parameters');
      return scrypt(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + (1 << 20) });
    },
  };
}

/** The app's secret (≥ 32 random bytes, kept by Electron main under safeStorage) → per-file keys via HKDF. */
export function appKey(secret: Buffer): KeyProvider {
  if (secret.length < 32) throw new HallmarkError('invalid_input', 'the app key must be at least 32 bytes');
  return {
    source: 'app',
    kdf: () => ({ name: 'hkdf-sha256' }),
    deriveKey: async (salt, kdf) => {
      if (kdf.name !== 'hkdf-sha256') throw new HallmarkError('wrong_key', 'this fingerprint set was encrypted with a passphrase; give the passphrase');
      return Buffer.from(hkdfSync('sha256', secret, salt, 'hallmark fingerprints v1', 32));
    },
  };
}

const EnvelopeMeta = z.object({
  count: z.number().int().positive(),
  key_length: z.number().int().positive(),
  response_length: z.number().int().positive(),
  created_at: z.string(),
});
export type EnvelopeMeta = z.infer<typeof EnvelopeMeta>;

const Envelope = z.object({
  format: z.literal('hallmark-fingerprints+aes-256-gcm'),
  version: z.literal(1),
  key_source: z.enum(['passphrase', 'app']),
  kdf: Kdf,
  /** Not secret, readable without the key, and authenticated (GCM additional data). */
  meta: EnvelopeMeta,
  salt: z.string(),
  iv: z.string(),
  tag: z.string(),
  ciphertext: z.string(),
});
export type Envelope = z.infer<typeof Envelope>;

const aad = (e: Pick<Envelope, 'format' | 'version' | 'key_source' | 'kdf' | 'meta'>) =>
  Buffer.from(JSON.stringify([e.format, e.version, e.key_source, e.kdf, e.meta]));

export async function encryptSet(set: FingerprintSet, keys: KeyProvider): Promise<Envelope> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const head = {
    format: 'hallmark-fingerprints+aes-256-gcm' as const, version: 1 as const, key_source: keys.source, kdf: keys.kdf(),
    meta: { count: set.fingerprints.length, key_length: set.params.key_length, response_length: set.params.response_length, created_at: set.created_at },
  };
  const key = await keys.deriveKey(salt, head.kdf);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(head));
  const ciphertext = Buffer.concat([c.update(JSON.stringify(set), 'utf8'), c.final()]);
  return { ...head, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

export async function decryptSet(env: Envelope, keys: KeyProvider): Promise<FingerprintSet> {
  const key = await keys.deriveKey(Buffer.from(env.salt, 'base64'), env.kdf);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv, 'base64'));
    d.setAAD(aad(env));
    d.setAuthTag(Buffer.from(env.tag, 'base64'));
    plain = Buffer.concat([d.update(Buffer.from(env.ciphertext, 'base64')), d.final()]);
  } catch {
    // GCM cannot tell a wrong key from tampering; say both.
    throw new HallmarkError('wrong_key', env.key_source === 'passphrase'
      ? 'wrong passphrase, or the fingerprint file was modified (decryption failed authentication)'
      : 'the app key does not open this fingerprint set, or it was modified (decryption failed authentication)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new HallmarkError('corrupt_fingerprints', 'the decrypted fingerprint set is not JSON');
  }
  const r = FingerprintSetSchema.safeParse(parsed);
  if (!r.success) throw new HallmarkError('corrupt_fingerprints', `the decrypted fingerprint set is malformed: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

/** Parses an envelope's JSON text with messages that say what is wrong with the file. */
export function parseEnvelope(text: string, where: string): Envelope {
  if (!text.trim()) throw new HallmarkError('corrupt_fingerprints', `${where} is empty`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HallmarkError('corrupt_fingerprints', `${where} is not a Hallmark fingerprint file (not JSON)`);
  }
  const fmt = (json as { format?: unknown } | null)?.format;
  if (fmt === 'hallmark-fingerprints') throw new HallmarkError('corrupt_fingerprints', `${where} holds unencrypted fingerprints; Hallmark only reads encrypted sets (generate one with "hallmark fingerprints generate")`);
  if (fmt !== 'hallmark-fingerprints+aes-256-gcm') throw new HallmarkError('corrupt_fingerprints', `${where} is not a Hallmark fingerprint file (format ${quote(fmt ?? null)})`);
  const r = Envelope.safeParse(json);
  if (!r.success) throw new HallmarkError('corrupt_fingerprints', `${where} is a damaged fingerprint file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Writes next to the target, fsyncs and renames: a crash leaves the old file or the new one, never half. */
/**
 * Writes `file` all at once (temp file, fsync, then into place). Unless `overwrite`, an existing
 * file is refused rather than replaced: a fingerprint set or app key lost to a typo in --out
 * cannot be regenerated.
 */
export function writeFileAtomic(file: string, data: string, mode = 0o600, overwrite = false): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (overwrite) fs.renameSync(tmp, file);
    else placeNew(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new HallmarkError('exists', `${quote(file)} already exists; choose another name or overwrite it with --force`);
    throw e;
  }
}

/** Moves tmp to file only if file does not exist: link() fails with EEXIST atomically, unlike exists-then-rename. */
function placeNew(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (fs.existsSync(file)) throw Object.assign(new Error(`${file} exists`), { code: 'EEXIST' });
    fs.renameSync(tmp, file);
    return;
  }
  fs.rmSync(tmp, { force: true });
}

export async function writeFingerprintFile(file: string, set: FingerprintSet, keys: KeyProvider, overwrite = false): Promise<{ path: string; count: number }> {
  const env = await encryptSet(set, keys);
  writeFileAtomic(file, JSON.stringify(env, null, 2) + '\n', 0o600, overwrite);
  return { path: path.resolve(file), count: set.fingerprints.length };
}

export function readEnvelopeFile(file: string): Envelope {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HallmarkError('not_found', `cannot read fingerprint file ${quote(file)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseEnvelope(text, `fingerprint file ${quote(path.basename(file))}`);
}

export async function readFingerprintFile(file: string, keys: KeyProvider): Promise<FingerprintSet> {
  return decryptSet(readEnvelopeFile(file), keys);
}

// ---- sets kept in the database (the app's library) ----------------------------------------------

export interface StoredSetInfo {
  id: number;
  name: string;
  count: number;
  key_length: number;
  response_length: number;
  key_source: KeySource;
  created_at: string;
}

export async function saveSet(db: Sqlite, name: string, set: FingerprintSet, keys: KeyProvider): Promise<StoredSetInfo> {
  const env = await encryptSet(set, keys);
  const createdAt = new Date().toISOString();
  const r = db.prepare(`INSERT INTO fingerprint_sets (name, count, key_length, response_length, key_source, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .run(name, set.fingerprints.length, set.params.key_length, set.params.response_length, keys.source, JSON.stringify(env), createdAt);
  return { id: Number(r.lastInsertRowid), name, count: set.fingerprints.length, key_length: set.params.key_length, response_length: set.params.response_length, key_source: keys.source, created_at: createdAt };
}

export function listSets(db: Sqlite): StoredSetInfo[] {
  return db.prepare(`SELECT id, name, count, key_length, response_length, key_source, created_at FROM fingerprint_sets ORDER BY id DESC`).all() as StoredSetInfo[];
}

export function setEnvelope(db: Sqlite, id: number): Envelope {
  const row = db.prepare(`SELECT envelope FROM fingerprint_sets WHERE id = ?`).get(id) as { envelope: string } | undefined;
  if (!row) throw new HallmarkError('not_found', `no fingerprint set with id ${id}`);
  return parseEnvelope(row.envelope, `fingerprint set ${id}`);
}

export async function loadSet(db: Sqlite, id: number, keys: KeyProvider): Promise<FingerprintSet> {
  return decryptSet(setEnvelope(db, id), keys);
}

export function deleteSet(db: Sqlite, id: number): boolean {
  return db.prepare(`DELETE FROM fingerprint_sets WHERE id = ?`).run(id).changes > 0;
}

// ---- the app key --------------------------------------------------------------------------------

/** The passphrase when one is given, else the context's app key (set by Electron main), else a clear error. */
export function keyProviderFor(ctx: { appKey: KeyProvider | null }, passphrase: string | undefined | null): KeyProvider {
  if (passphrase) return passphraseKey(passphrase);
  const k = ctx.appKey;
  if (!k) throw new HallmarkError('key_required', 'fingerprints are encrypted at rest: give a passphrase (no app key is available in this mode)');
  return k;
}
