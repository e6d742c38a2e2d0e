// The signed manifest: the in-toto statement model-signing 1.x puts in the DSSE payload, read and written
// exactly as the reference tool does (model_signing/_signing/signing.py, manifest.py, hashing.py):
//  - predicateType https://model_signing/signature/v1.0; one subject whose sha256 is the SHA-256 of every
//    resource digest's bytes in the order listed (the signer sorts resources by path);
//  - predicate.serialization: method "files" (one resource per file, named by its POSIX path relative to the
//    model) or "shards" (one per [start, end) slice of shard_size bytes, named "path:start:end"); hash_type
//    sha256 (the default), blake2b or blake3; allow_symlinks; ignore_paths (relative paths left out);
//  - a single-file model has one resource named ".".
// Verifying ignores the signature file itself, the git paths the reference tool ignores by default (.git,
// .gitattributes, .github, .gitignore) and the signed ignore_paths. Names are checked here: an absolute
// path, "..", NUL or a duplicate is a malformed manifest, never a silent "missing".
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SignatureFormatError } from './bundle';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** model-signing's default ignore list (hashing.Config: ignore_git_paths=True). */
export const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'] as const;
export const DEFAULT_SIGNATURE_NAME = 'model.sig';
/** Hashes Node can compute; blake3 (model-signing's optional one) is reported as unsupported. */
export const NODE_HASH: Record<string, string> = { sha256: 'sha256', blake2b: 'blake2b512' };

const Hex = z.string().regex(/^[0-9a-f]+$/i, 'not hex').max(256);

const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string().max(4096), digest: z.object({ sha256: Hex.length(64) }).loose() })).length(1, 'expected exactly one subject'),
  predicateType: z.string(),
  predicate: z.object({
    serialization: z.object({
      method: z.enum(['files', 'shards']),
      hash_type: z.string().max(64),
      shard_size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
      allow_symlinks: z.boolean(),
      ignore_paths: z.array(z.string().max(4096)).max(10_000).optional(),
    }).loose(),
    resources: z.array(z.object({ name: z.string().max(8192), algorithm: z.string().max(128), digest: Hex })).max(1_000_000),
  }).loose(),
});

export interface ManifestItem {
  /** The resource name as signed. */
  name: string;
  /** Normalized POSIX path relative to the model ("." for a single-file model). */
  path: string;
  /** Shards: the byte range [start, end). */
  start: number | null;
  end: number | null;
  algorithm: string;
  digest: string;
}

export interface Manifest {
  modelName: string;
  rootDigest: string;
  method: 'files' | 'shards';
  hashType: string;
  shardSize: number | null;
  allowSymlinks: boolean;
  ignorePaths: string[];
  items: ManifestItem[];
}

/**
 * A relative POSIX path as PurePosixPath reads it ("a//b" and "./a" are "a/b" and "a"), or an error for
 * what can never name a file inside the model: absolute, "..", NUL, backslash-separated Windows paths.
 */
export function normalizeRelative(name: string, what: string): string {
  if (name.includes('\0')) throw new SignatureFormatError(`the manifest's ${what} ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith('/')) throw new SignatureFormatError(`the manifest's ${what} ${JSON.stringify(name)} is an absolute path: a signature may only name files inside the model`);
  if (/^[A-Za-z]:[\\/]/.test(name) || name.startsWith('\\')) throw new SignatureFormatError(`the manifest's ${what} ${JSON.stringify(name)} is an absolute Windows path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SignatureFormatError(`the manifest's ${what} ${JSON.stringify(name)} climbs out of the model with ".."`);
  return parts.length ? parts.join('/') : '.';
}

/** The algorithm name model-signing records per resource for a serialization. */
export function resourceAlgorithm(method: 'files' | 'shards', hashType: string, shardSize: number | null): string {
  return method === 'shards' && hashType !== 'blake3' ? `${hashType}-sharded-${shardSize}` : hashType;
}

/** Parses and checks the statement; throws SignatureFormatError naming what is wrong. */
export function parseStatement(payload: Buffer): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new SignatureFormatError(`the signed payload is not JSON: ${(e as Error).message}`);
  }
  const type = (raw as { _type?: unknown } | null)?._type;
  if (type !== STATEMENT_TYPE) throw new SignatureFormatError(`the signed payload is not an in-toto v1 statement (_type ${JSON.stringify(type)})`);
  const pt = (raw as { predicateType?: unknown }).predicateType;
  if (pt !== PREDICATE_TYPE) {
    throw new SignatureFormatError(`the statement's predicate type is ${JSON.stringify(pt)}, not a model-signing v1.0 manifest (${PREDICATE_TYPE})`);
  }
  const parsed = StatementSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new SignatureFormatError(`the model-signing statement is malformed: ${i.path.join('.')}: ${i.message}`);
  }
  const s = parsed.data;
  const ser = s.predicate.serialization;
  if (ser.method === 'shards' && ser.shard_size === undefined) throw new SignatureFormatError('the manifest shards files but records no shard_size');
  const shardSize = ser.method === 'shards' ? ser.shard_size! : null;
  const expectedAlg = resourceAlgorithm(ser.method, ser.hash_type, shardSize);

  // The subject digest binds the list: SHA-256 over the digest bytes, in the order listed.
  const root = createHash('sha256');
  const seen = new Set<string>();
  const items: ManifestItem[] = [];
  for (const r of s.predicate.resources) {
    root.update(Buffer.from(r.digest, 'hex'));
    let path: string;
    let start: number | null = null;
    let end: number | null = null;
    if (ser.method === 'shards') {
      const parts = r.name.split(':');
      if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !/^\d+$/.test(parts[2]!)) {
        throw new SignatureFormatError(`the shard name ${JSON.stringify(r.name)} is not "path:start:end"`);
      }
      path = normalizeRelative(parts[0]!, 'resource');
      start = Number(parts[1]);
      end = Number(parts[2]);
      if (!Number.isSafeInteger(end) || end <= start || end - start > shardSize!) {
        throw new SignatureFormatError(`the shard ${JSON.stringify(r.name)} is not a range of at most shard_size (${shardSize}) bytes`);
      }
    } else {
      path = normalizeRelative(r.name, 'resource');
    }
    const key = start === null ? path : `${path}:${start}:${end}`;
    if (seen.has(key)) throw new SignatureFormatError(`the manifest lists ${JSON.stringify(key)} twice`);
    seen.add(key);
    items.push({ name: r.name, path, start, end, algorithm: r.algorithm, digest: r.digest.toLowerCase() });
  }
  if (root.digest('hex') !== s.subject[0]!.digest.sha256.toLowerCase()) {
    throw new SignatureFormatError("the manifest is inconsistent: its resources do not hash to the subject's digest");
  }
  for (const it of items) {
    if (it.algorithm !== expectedAlg) {
      throw new SignatureFormatError(`resource ${JSON.stringify(it.name)} uses ${JSON.stringify(it.algorithm)}, but the serialization says ${JSON.stringify(expectedAlg)}`);
    }
  }
  if (items.some((i) => i.path === '.') && items.some((i) => i.path !== '.')) {
    throw new SignatureFormatError('the manifest mixes a single-file model (".") with named files');
  }
  return {
    modelName: s.subject[0]!.name, rootDigest: s.subject[0]!.digest.sha256.toLowerCase(),
    method: ser.method, hashType: ser.hash_type, shardSize, allowSymlinks: ser.allow_symlinks,
    ignorePaths: (ser.ignore_paths ?? []).map((p) => normalizeRelative(p, 'ignore path')).filter((p) => p !== '.'),
    items,
  };
}

/** True when `rel` is one of `ignored` or inside one of them (pathlib's is_relative_to). */
export function isIgnored(rel: string, ignored: readonly string[]): boolean {
  return ignored.some((p) => rel === p || rel.startsWith(p + '/'));
}

/** PurePosixPath ordering: by path components, each compared by code point (how the signer sorts). */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * The statement model-signing's Payload builds for a file manifest (sha256, files), with its JSON as
 * protobuf's MessageToJson writes it (two-space indent, field order as the reference tool emits).
 */
export function buildStatement(modelName: string, files: Array<{ path: string; sha256: string }>, ignorePaths: string[]): Buffer {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  const root = createHash('sha256');
  for (const f of sorted) root.update(Buffer.from(f.sha256, 'hex'));
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: modelName, digest: { sha256: root.digest('hex') } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      serialization: { method: 'files', ignore_paths: ignorePaths, hash_type: 'sha256', allow_symlinks: false },
      resources: sorted.map((f) => ({ name: f.path, algorithm: 'sha256', digest: f.sha256 })),
    },
  };
  return Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
}
