// Checking a model against its model-signing signature: the bundle is parsed (bundle.ts), its signature
// checked against the trust given (trust.ts), the signed manifest read (manifest.ts), and the files present
// compared with it: none missing, none extra (save what the reference tool ignores) and every digest equal.
// A registry version reuses the SHA-256 the registry streamed at import for whole-file sha256 manifests
// (vault blobs are immutable; an in-place file is re-hashed when its size or mtime moved); everything else
// is hashed on every core (hash.ts).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FileMismatch, SignatureCheck } from '../../contract/signing';
import { HallmarkError, quote } from '../errors';
import { MAX_SIGNATURE_BYTES, parseBundle, SignatureFormatError } from './bundle';
import { hashTasks, type HashTask } from './hash';
import { GIT_PATHS, isIgnored, NODE_HASH, parseStatement, resourceAlgorithm, type Manifest, type ManifestItem } from './manifest';
import { checkSignature, SignatureInvalid, type SignerInfo, type TrustOptions } from './trust';

/** A file of the model as it is now. */
export interface PresentFile {
  /** Normalized POSIX path relative to the model ("." for a single-file model). */
  path: string;
  /** Where its bytes are. */
  abs: string;
  size: number;
  /** A SHA-256 known to be of these bytes (the registry's), so it need not be hashed again. */
  sha256?: string | undefined;
}

/** What the files of a model are, given the manifest's rules (ignore list, symlink policy). */
export type FileLister = (rules: { ignored: string[]; allowSymlinks: boolean }) => Promise<PresentFile[]>;

export interface CheckOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
}

/** A model problem found while listing (a symlink, a FIFO): the signature cannot be valid for it. */
export class ModelContentError extends HallmarkError {
  constructor(message: string) {
    super('model_content', message);
  }
}

const emptyFiles = () => ({ missing: [] as string[], extra: [] as string[], mismatched: [] as FileMismatch[] });

function baseCheck(signature: string | null): SignatureCheck {
  return {
    valid: false, status: 'invalid', method: null, signer: null, issuer: null, reason: null, signature, modelName: null,
    serialization: null, resources: 0, files: emptyFiles(), ignored: [], warnings: [], hashedBytes: 0, checkedAt: new Date().toISOString(),
  };
}

/** Reads a signature file with a size cap; a missing one is a HallmarkError 'no_signature'. */
export async function readSignatureFile(file: string): Promise<Buffer> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new HallmarkError('no_signature', `no signature at ${quote(file)}`);
  }
  if (!st.isFile()) throw new HallmarkError('no_signature', `${quote(file)} is not a regular file`);
  if (st.size > MAX_SIGNATURE_BYTES) throw new SignatureFormatError(`${quote(file)} is ${st.size} bytes, over the ${MAX_SIGNATURE_BYTES}-byte limit for a signature`);
  return fsp.readFile(file);
}

/**
 * The whole check. Never throws for a bad signature or a bad model: those are an invalid verdict with the
 * reason. Throws only for what stops the check itself (unreadable trust files, cancellation).
 */
export async function checkModel(sigBytes: Buffer, sigLabel: string | null, list: FileLister, trust: TrustOptions & { extraIgnored?: string[] }, opts: CheckOptions = {}): Promise<SignatureCheck> {
  const out = baseCheck(sigLabel);
  let signer: SignerInfo;
  let manifest: Manifest;
  try {
    const bundle = parseBundle(sigBytes);
    signer = checkSignature(bundle, trust);
    out.method = signer.method;
    out.signer = signer.signer;
    out.issuer = signer.issuer;
    out.warnings.push(...signer.warnings);
    manifest = parseStatement(bundle.payload);
  } catch (e) {
    if (e instanceof SignatureFormatError || e instanceof SignatureInvalid) return { ...out, reason: e.message };
    throw e;
  }
  out.modelName = manifest.modelName;
  out.resources = manifest.items.length;
  out.serialization = { method: manifest.method, hashType: manifest.hashType, shardSize: manifest.shardSize, allowSymlinks: manifest.allowSymlinks, ignorePaths: manifest.ignorePaths };
  const nodeHash = NODE_HASH[manifest.hashType];
  if (!nodeHash) return { ...out, reason: `the manifest uses the ${quote(manifest.hashType)} hash, which Hallmark cannot compute (sha256 and blake2b are supported)` };

  const ignored = [...new Set([...GIT_PATHS, ...(trust.extraIgnored ?? []), ...manifest.ignorePaths])];
  out.ignored = ignored;
  let present: PresentFile[];
  try {
    present = await list({ ignored, allowSymlinks: manifest.allowSymlinks });
  } catch (e) {
    if (e instanceof ModelContentError) return { ...out, reason: e.message };
    throw e;
  }
  const files = await compare(manifest, present, nodeHash, opts);
  out.files = files.files;
  out.hashedBytes = files.hashedBytes;
  const bad = files.files.missing.length + files.files.extra.length + files.files.mismatched.length;
  if (bad) {
    const named = [
      ...files.files.mismatched.map((m) => `${m.path} changed`),
      ...files.files.missing.map((m) => `${m} missing`),
      ...files.files.extra.map((m) => `${m} not signed`),
    ];
    return { ...out, reason: `${bad} file(s) do not match the signed manifest: ${named.slice(0, 5).join(', ')}${named.length > 5 ? `, … (${named.length - 5} more)` : ''}` };
  }
  if (!signer.verified) return { ...out, status: 'unverified', reason: signer.warnings[0] ?? 'the signature was not checked' };
  return { ...out, valid: true, status: 'valid' };
}

/** Shard endpoints as model-signing cuts a file: [0, s), [s, 2s) … the last one ends at the size; none when empty. */
export function shardRanges(size: number, shardSize: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < size; start += shardSize) out.push([start, Math.min(start + shardSize, size)]);
  return out;
}

async function compare(m: Manifest, present: PresentFile[], nodeHash: string, opts: CheckOptions) {
  const files = emptyFiles();
  const byPath = new Map<string, ManifestItem[]>();
  for (const it of m.items) {
    const list = byPath.get(it.path) ?? [];
    list.push(it);
    byPath.set(it.path, list);
  }
  const here = new Map(present.map((p) => [p.path, p]));
  for (const p of byPath.keys()) if (!here.has(p)) files.missing.push(p);
  const tasks: HashTask[] = [];
  const expect: Array<{ item: ManifestItem; file: PresentFile }> = [];
  for (const f of present) {
    const items = byPath.get(f.path);
    if (!items) {
      // An empty file has no shards, so a sharded manifest cannot list it: not an extra file.
      if (!(m.method === 'shards' && f.size === 0)) files.extra.push(f.path);
      continue;
    }
    if (m.method === 'files') {
      const item = items[0]!;
      if (m.hashType === 'sha256' && f.sha256) {
        if (f.sha256 !== item.digest) files.mismatched.push({ path: f.path, algorithm: item.algorithm, expected: item.digest, actual: f.sha256 });
        continue;
      }
      tasks.push({ path: f.abs, algorithm: nodeHash, start: 0, end: null, weight: f.size });
      expect.push({ item, file: f });
      continue;
    }
    const want = shardRanges(f.size, m.shardSize!).map(([s, e]) => `${s}:${e}`).join(',');
    const have = [...items].sort((a, b) => a.start! - b.start!).map((i) => `${i.start}:${i.end}`).join(',');
    if (want !== have) {
      files.mismatched.push({ path: f.path, algorithm: resourceAlgorithm('shards', m.hashType, m.shardSize), expected: `shards ${have}`, actual: `size ${f.size} (shards ${want || 'none'})` });
      continue;
    }
    for (const item of items) {
      tasks.push({ path: f.abs, algorithm: nodeHash, start: item.start!, end: item.end!, weight: item.end! - item.start! });
      expect.push({ item, file: f });
    }
  }
  const results = await hashTasks(tasks, { signal: opts.signal, onProgress: opts.onProgress });
  let hashedBytes = 0;
  const failed = new Set<string>();
  results.forEach((r, i) => {
    const { item, file } = expect[i]!;
    if (r instanceof Error) {
      if (!failed.has(file.path)) files.mismatched.push({ path: file.path, algorithm: item.algorithm, expected: item.digest, actual: `unreadable: ${r.message}` });
      failed.add(file.path);
      return;
    }
    hashedBytes += r.bytes;
    const short = item.end !== null && r.bytes !== item.end - (item.start ?? 0);
    if ((r.digest !== item.digest || short) && !failed.has(file.path)) {
      failed.add(file.path);
      files.mismatched.push({ path: file.path, algorithm: item.algorithm, expected: item.digest, actual: short ? `${r.bytes} bytes read of ${item.end! - item.start!}` : r.digest });
    }
  });
  files.missing.sort();
  files.extra.sort();
  files.mismatched.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { files, hashedBytes };
}

/**
 * Lists a folder as model-signing's serializer does: every regular file below it, by POSIX path, skipping
 * ignored paths; a symbolic link is refused unless the manifest allows them, and then only one that stays
 * inside the folder (its target's bytes are compared). FIFOs, sockets and devices are refused.
 */
export function folderLister(root: string): FileLister {
  return async ({ ignored, allowSymlinks }) => {
    const out: PresentFile[] = [];
    const realRoot = await fsp.realpath(root);
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await fsp.readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (isIgnored(r, ignored)) continue;
        const abs = path.join(dir, e.name);
        if (e.isSymbolicLink()) {
          if (!allowSymlinks) throw new ModelContentError(`${quote(r)} is a symbolic link, and the signature was made without allow_symlinks: a link's target is not part of a signed model`);
          let target: string;
          try {
            target = await fsp.realpath(abs);
          } catch {
            throw new ModelContentError(`${quote(r)} is a broken symbolic link`);
          }
          if (target !== realRoot && !target.startsWith(realRoot + path.sep)) throw new ModelContentError(`${quote(r)} links outside the model folder (to ${quote(target)}); Hallmark does not follow it`);
          const st = await fsp.stat(abs);
          if (st.isFile()) out.push({ path: r, abs, size: st.size });
          else if (!st.isDirectory()) throw new ModelContentError(`${quote(r)} links to something that is not a regular file`);
          // a link to a folder is not walked, as the reference tool's glob does not walk it
          continue;
        }
        if (e.isDirectory()) await walk(abs, r);
        else if (e.isFile()) out.push({ path: r, abs, size: (await fsp.stat(abs)).size });
        else throw new ModelContentError(`${quote(r)} is not a regular file or folder (a FIFO, socket or device): it cannot be part of a signed model`);
        if (out.length > 1_000_000) throw new ModelContentError('the folder holds over 1,000,000 files');
      }
    };
    await walk(root, '');
    return out;
  };
}

/** A single-file model: the reference tool names its one resource ".". */
export function singleFileLister(file: string): FileLister {
  return async ({ allowSymlinks }) => {
    const lst = await fsp.lstat(file);
    if (lst.isSymbolicLink() && !allowSymlinks) throw new ModelContentError(`${quote(file)} is a symbolic link, and the signature was made without allow_symlinks`);
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new ModelContentError(`${quote(file)} is not a regular file`);
    return [{ path: '.', abs: file, size: st.size }];
  };
}

/** `hallmark verify-signature PATH`: a folder or a single file, its signature beside or inside it. */
export async function verifyPath(target: string, trust: TrustOptions & { signature?: string | undefined }, opts: CheckOptions = {}): Promise<SignatureCheck> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(target);
  } catch {
    throw new HallmarkError('not_found', `${quote(target)} does not exist`);
  }
  const root = path.resolve(target);
  const sigPath = path.resolve(trust.signature ?? (st.isDirectory() ? path.join(root, 'model.sig') : path.join(path.dirname(root), 'model.sig')));
  const sig = await readSignatureFile(sigPath);
  const extraIgnored: string[] = [];
  if (st.isDirectory()) {
    const rel = path.relative(root, sigPath);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) extraIgnored.push(rel.split(path.sep).join('/'));
  }
  return checkModel(sig, sigPath, st.isDirectory() ? folderLister(root) : singleFileLister(root), { ...trust, extraIgnored }, opts);
}
