// Signatures of registry versions: where a version's signature is, checking it (reusing the registry's
// digests), signing a version with an EC key, and the post-import hook that checks a model.sig on import.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { dsse } from '@sigstore/core';
import type { SignatureCheck } from '../../contract/signing';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { BUNDLE_V03_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, parseBundle } from './bundle';
import { buildStatement, DEFAULT_SIGNATURE_NAME, GIT_PATHS, isIgnored } from './manifest';
import { loadAttachment, loadCheck, previousCheck, saveAttachment, saveCheck, type SignatureSource } from './store';
import { ecHash, keyHint, type TrustOptions } from './trust';
import { checkModel, folderLister, readSignatureFile, type CheckOptions, type FileLister, type PresentFile } from './verify';

interface VersionFacts {
  id: number; model: string; number: number; storage: 'vault' | 'in_place'; source_path: string | null;
}

function versionFacts(ctx: AppContext, name: string, version: number): VersionFacts {
  const row = ctx.registry.versionRow(name, version);
  return { id: row.id, model: row.name, number: row.number, storage: row.storage, source_path: row.source_path };
}

function versionFiles(ctx: AppContext, id: number): Array<{ path: string; size: number; sha256: string; mtime_ms: number | null }> {
  return ctx.db.prepare(`SELECT path, size, sha256, mtime_ms FROM version_files WHERE version_id = ? ORDER BY path`).all(id) as Array<{ path: string; size: number; sha256: string; mtime_ms: number | null }>;
}

/** A version's own signature: Hallmark's attachment, else a model.sig among its files, else one beside an in-place folder. */
export async function findVersionSignature(ctx: AppContext, v: VersionFacts): Promise<{ bytes: Buffer; label: string; source: SignatureSource } | null> {
  const attached = loadAttachment(ctx.db, v.id);
  if (attached) return { bytes: attached, label: `${v.model}@${v.number} (signature attachment)`, source: 'attachment' };
  const own = ctx.db.prepare(`SELECT 1 FROM version_files WHERE version_id = ? AND path = ?`).get(v.id, DEFAULT_SIGNATURE_NAME);
  if (own) {
    const p = ctx.registry.filePath(v.id, DEFAULT_SIGNATURE_NAME);
    return { bytes: await readSignatureFile(p), label: p, source: 'file' };
  }
  if (v.storage === 'in_place' && v.source_path) {
    const p = path.join(v.source_path, DEFAULT_SIGNATURE_NAME);
    if (fs.existsSync(p)) return { bytes: await readSignatureFile(p), label: p, source: 'folder' };
  }
  return null;
}

/**
 * The version's files for the comparison. Vault digests are the registry's (blobs are content-addressed and
 * immutable); an in-place file keeps its registered digest only while its size and mtime are unchanged,
 * and one gone from disk is missing. A one-file version answers a single-file signature (resource ".").
 */
function versionLister(ctx: AppContext, v: VersionFacts): FileLister {
  return async (rules) => {
    const { ignored } = rules;
    const files = versionFiles(ctx, v.id);
    // An in-place folder is the model as it is now: what was added to it since it was registered is extra,
    // as for the reference tool. (A one-file version may be a file registered beside others: its files only.)
    if (v.storage === 'in_place' && v.source_path && (files.length > 1 || files.some((f) => f.path.includes('/')))) {
      const known = new Map(files.map((f) => [f.path, f]));
      const present = await folderLister(v.source_path)(rules);
      return Promise.all(present.map(async (p) => {
        const f = known.get(p.path);
        if (!f || f.mtime_ms === null) return p;
        const st = await fsp.stat(p.abs);
        return st.size === f.size && Math.trunc(st.mtimeMs) === Math.trunc(f.mtime_ms) ? { ...p, sha256: f.sha256 } : p;
      }));
    }
    const out: PresentFile[] = [];
    for (const f of files) {
      if (isIgnored(f.path, ignored)) continue;
      const abs = ctx.registry.filePath(v.id, f.path, `${v.model}@${v.number}`);
      if (v.storage === 'vault') {
        out.push({ path: f.path, abs, size: f.size, sha256: f.sha256 });
        continue;
      }
      let st: fs.Stats;
      try {
        st = await fsp.stat(abs);
      } catch {
        continue; // gone from the in-place folder: the comparison reports it missing
      }
      const same = st.size === f.size && f.mtime_ms !== null && Math.trunc(st.mtimeMs) === Math.trunc(f.mtime_ms);
      out.push({ path: f.path, abs, size: st.size, ...(same ? { sha256: f.sha256 } : {}) });
    }
    return out;
  };
}

function singleFileAware(list: FileLister, sig: Buffer): FileLister {
  // Peek at the signed names only to decide how to name the one file; the check itself reads the manifest.
  return async (rules) => {
    const files = await list(rules);
    if (files.length === 1 && /"name":\s*"\."/.test(payloadText(sig))) return [{ ...files[0]!, path: '.' }];
    return files;
  };
}

function payloadText(sig: Buffer): string {
  try {
    const j = JSON.parse(sig.toString('utf8')) as { dsseEnvelope?: { payload?: string } };
    return Buffer.from(j.dsseEnvelope?.payload ?? '', 'base64').toString('utf8');
  } catch {
    return '';
  }
}

export interface VerifyVersionInput extends TrustOptions {
  signature?: string | undefined;
}

/**
 * Checks a version's signature (its own, or `signature`) and stores the outcome when it was the version's
 * own. Returns null when the version has no signature (and records it unsigned).
 */
export async function verifyVersionSignature(ctx: AppContext, name: string, version: number, input: VerifyVersionInput, opts: CheckOptions = {}): Promise<SignatureCheck | null> {
  const v = versionFacts(ctx, name, version);
  let sig: { bytes: Buffer; label: string; source: SignatureSource | null } | null;
  if (input.signature) sig = { bytes: await readSignatureFile(input.signature), label: path.resolve(input.signature), source: null };
  else sig = await findVersionSignature(ctx, v);
  if (!sig) {
    saveCheck(ctx.db, v.id, unsignedCheck(), null);
    return null;
  }
  const extraIgnored = sig.source === 'file' || sig.source === 'folder' ? [DEFAULT_SIGNATURE_NAME] : [];
  let check = await checkModel(sig.bytes, sig.label, singleFileAware(versionLister(ctx, v), sig.bytes), { ...input, extraIgnored }, opts);
  // A signature given from elsewhere says nothing about the version's own: only its own outcome is stored.
  if (input.signature) return check;
  const digest = crypto.createHash('sha256').update(sig.bytes).digest('hex');
  // Re-checked without the key or CA (the import hook, `hallmark verify`): the files still match, and these
  // very signature bytes were verified before, so the version stays valid rather than dropping to unverified.
  const before = check.status === 'unverified' ? previousCheck(ctx.db, v.id, digest) : null;
  if (before?.status === 'valid') {
    check = { ...check, valid: true, status: 'valid', signer: before.signer, issuer: before.issuer, reason: null,
      warnings: [`the signature was verified on ${before.checkedAt} (same bytes); the files were compared again now`] };
  }
  saveCheck(ctx.db, v.id, check, sig.source, digest);
  return check;
}

/** `hallmark verify`: re-checks the version's own signature when it has one (no trust given: a key signature is unverified at best). */
export async function checkSignatureIfAny(ctx: AppContext, name: string, version: number, opts: CheckOptions = {}): Promise<SignatureCheck | null> {
  const v = versionFacts(ctx, name, version);
  if (!(await findVersionSignature(ctx, v))) return null;
  return verifyVersionSignature(ctx, name, version, {}, opts);
}

export function unsignedCheck(): SignatureCheck {
  return {
    valid: false, status: 'unsigned', method: null, signer: null, issuer: null, reason: 'no signature: no model.sig among the files or beside them, and none made in Hallmark',
    signature: null, modelName: null, serialization: null, resources: 0, files: { missing: [], extra: [], mismatched: [] }, ignored: [], warnings: [], hashedBytes: 0,
    checkedAt: new Date().toISOString(),
  };
}

export function loadPrivateKey(file: string): crypto.KeyObject {
  let pem: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 1024 * 1024) throw new Error('not a key file');
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HallmarkError('unreadable', `cannot read the private key ${quote(file)}: ${(e as Error).message}`);
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch (e) {
    const msg = (e as Error).message;
    throw new HallmarkError('bad_key', /passphrase/i.test(msg)
      ? `${quote(file)} is encrypted: decrypt it first (openssl ec -in KEY -out PLAIN.pem) and keep the plain copy private`
      : `${quote(file)} is not a PEM private key: ${msg}`);
  }
  ecHash(key);
  return key;
}

/**
 * The bundle model-signing's signers write (sign_ec_key.py, sign_certificate.py): v0.3, no tlog entries, one
 * DSSE signature hashed by curve; the key method records the key hint, the certificate method the signing
 * certificate followed by its chain. `single`: one certificate as a Sigstore keyless bundle carries it.
 */
export function signStatement(payload: Buffer, key: crypto.KeyObject, certs?: { chain: Buffer[]; single?: boolean }): Buffer {
  const pub = crypto.createPublicKey(key);
  const sig = crypto.sign(ecHash(pub), dsse.preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), key);
  const raw = (c: Buffer) => ({ rawBytes: c.toString('base64') });
  const material = !certs ? { publicKey: { hint: keyHint(pub) } }
    : certs.single ? { certificate: raw(certs.chain[0]!) }
    : { x509CertificateChain: { certificates: certs.chain.map(raw) } };
  const bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { ...material, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
  return Buffer.from(JSON.stringify(bundle), 'utf8');
}

/** PEM certificates as DER, in file order. */
export function readCertificates(file: string): Buffer[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new HallmarkError('unreadable', `cannot read ${quote(file)}: ${(e as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new HallmarkError('bad_certificate', `${quote(file)} holds no PEM certificate`);
  return blocks.map((b) => Buffer.from(new crypto.X509Certificate(b).raw));
}

/** Signing replaces an older signature, never another file that happens to sit at the path. */
async function assertReplaceable(file: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fsp.lstat(file);
  } catch {
    return; // nothing there
  }
  const refuse = () => { throw new HallmarkError('exists', `${quote(file)} exists and is not a model signature: move it away or choose another --out`); };
  if (!st.isFile() || st.size > 64 * 1024 * 1024) refuse();
  try {
    parseBundle(await fsp.readFile(file));
  } catch {
    refuse();
  }
}

async function writeAtomic(file: string, data: Buffer): Promise<void> {
  await assertReplaceable(file);
  const tmp = `${file}.part-${process.pid}`;
  try {
    await fsp.writeFile(tmp, data, { flag: 'wx' });
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new HallmarkError('write_failed', `cannot write the signature to ${quote(file)}: ${(e as Error).message}`);
  }
}

/**
 * Signs a version with an EC private key as `model_signing sign key` would sign its folder: whole-file
 * SHA-256 (the registry's digests), the git paths and model.sig ignored. In-place: model.sig in its folder;
 * vault: a signature attachment (the version's files stay as they are), with a copy under HALLMARK_HOME.
 */
export interface SignOptions {
  out?: string | undefined;
  /** Certificate method: the signing certificate (PEM) and the chain to include (intermediates). */
  certificate?: string | undefined;
  certificateChain?: string | undefined;
}

export async function signVersion(ctx: AppContext, name: string, version: number, keyFile: string, o: SignOptions = {}, job?: JobHandle): Promise<{ path: string; check: SignatureCheck }> {
  const key = loadPrivateKey(keyFile);
  let certs: { chain: Buffer[] } | undefined;
  if (o.certificate) {
    const leaf = readCertificates(o.certificate)[0]!;
    const leafKey = new crypto.X509Certificate(leaf).publicKey;
    if (!leafKey.equals(crypto.createPublicKey(key))) throw new HallmarkError('key_mismatch', `the certificate ${quote(o.certificate)} is not for the key ${quote(keyFile)}`);
    certs = { chain: [leaf, ...(o.certificateChain ? readCertificates(o.certificateChain) : [])] };
  } else if (o.certificateChain) throw new HallmarkError('usage', '--certificate-chain goes with --certificate');
  const out = o.out;
  // Refuse before anything is stored: a signature attached while its --out copy fails would surprise.
  if (out) await assertReplaceable(path.resolve(out));
  const v = versionFacts(ctx, name, version);
  const ignorePaths = [...GIT_PATHS, DEFAULT_SIGNATURE_NAME];
  const files = versionFiles(ctx, v.id).filter((f) => !isIgnored(f.path, ignorePaths));
  if (!files.length) throw new HallmarkError('empty', `${v.model}@${v.number} has no files to sign`);
  if (v.storage === 'in_place') {
    // Sign what the registry holds: an in-place file that moved since it was registered would sign other bytes.
    for (const f of files) {
      job?.throwIfCancelled();
      const abs = ctx.registry.filePath(v.id, f.path);
      const st = await fsp.stat(abs).catch(() => null);
      if (!st || st.size !== f.size || f.mtime_ms === null || Math.trunc(st.mtimeMs) !== Math.trunc(f.mtime_ms)) {
        throw new HallmarkError('changed', `${quote(f.path)} of ${v.model}@${v.number} changed or is gone since it was registered in place: run hallmark verify ${v.model}@${v.number} (or re-import it) before signing`);
      }
    }
  }
  const modelName = v.storage === 'in_place' && v.source_path ? path.basename(v.source_path) : v.model;
  // A vault version keeps its file names even when it is one file: its export is a folder (zip) of them.
  const payload = buildStatement(modelName, files.map((f) => ({ path: f.path, sha256: f.sha256 })), ignorePaths);
  const bundle = signStatement(payload, key, certs);

  let written: string;
  if (v.storage === 'in_place' && v.source_path) {
    written = path.join(v.source_path, DEFAULT_SIGNATURE_NAME);
    await writeAtomic(written, bundle);
  } else {
    saveAttachment(ctx.db, v.id, bundle);
    const dir = path.join(ctx.home, 'signatures', String(v.id));
    await fsp.mkdir(dir, { recursive: true });
    written = path.join(dir, DEFAULT_SIGNATURE_NAME);
    await writeAtomic(written, bundle);
  }
  if (out) {
    const dest = path.resolve(out);
    if (dest !== written) await writeAtomic(dest, bundle);
    written = dest;
  }
  // Check what was written and record it, so the panel shows it signed at once: with the key's public half,
  // or for a certificate signature its structure and files (the trust anchors are the verifier's to give).
  if (certs) {
    const check = await verifyVersionSignature(ctx, v.model, v.number, {});
    if (!check) throw new HallmarkError('internal', 'the signature just written was not found');
    return { path: written, check };
  }
  const pubFile = path.join(ctx.home, 'tmp', `sign-${process.pid}-${crypto.randomBytes(6).toString('hex')}.pub.pem`);
  await fsp.mkdir(path.dirname(pubFile), { recursive: true });
  await fsp.writeFile(pubFile, crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string);
  try {
    const check = await verifyVersionSignature(ctx, v.model, v.number, { key: pubFile });
    if (!check) throw new HallmarkError('internal', 'the signature just written was not found');
    return { path: written, check };
  } finally {
    await fsp.rm(pubFile, { force: true });
  }
}

/** The post-import hook: a version imported with a model.sig is checked (no key: unverified at best). */
export async function checkImportedSignature(ctx: AppContext, versionId: number, job: JobHandle): Promise<void> {
  const row = ctx.db.prepare(`SELECT m.name AS name, v.number AS number FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = ?`).get(versionId) as { name: string; number: number } | undefined;
  if (!row) return;
  job.progress(0, null, 'checking the model signature');
  const check = await verifyVersionSignature(ctx, row.name, row.number, {}, { signal: job.signal });
  if (check) job.progress(0, null, `signature: ${check.status}${check.reason ? ` (${check.reason})` : ''}`);
}

export { loadCheck };
