// Who signed, and can it be trusted: the bundle's signature is checked with @sigstore/verify against one
// of three kinds of trust, as model-signing's verifiers do (model_signing/_signing/sign_ec_key.py,
// sign_certificate.py, sign_sigstore.py):
//  - key: an EC public key (P-256/384/521); the bundle's key hint must be the SHA-256 of the key's PEM;
//  - certificate: a PEM file of trusted CA certificates; the bundle carries the signing certificate and
//    its intermediates; the chain is checked at the leaf's notBefore (model-signing's signing time, as no
//    timestamp is recorded), and the leaf must allow digital signatures or code signing;
//  - sigstore (keyless): the Fulcio certificate, Rekor entries and SCTs against a Sigstore trusted root (the
//    public-good one shipped in resources/sigstore, or one given), offline; the identity (SAN) and the OIDC
//    issuer extension are the signer and, when asked for, must match.
// One deviation from @sigstore/verify: it verifies ECDSA with OpenSSL's default digest (SHA-256) whatever
// the curve, while model-signing signs P-384 with SHA-384 and P-521 with SHA-512, so the signature step
// hashes by curve (model_signing's get_ec_key_hash).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import type { SignatureMethod } from '../../contract/signing';
import { HallmarkError, quote } from '../errors';
import type { ParsedBundle } from './bundle';

export interface TrustOptions {
  key?: string | undefined;
  certificateChain?: string | undefined;
  identity?: string | undefined;
  issuer?: string | undefined;
  trustedRoot?: string | undefined;
}

export interface SignerInfo {
  method: SignatureMethod;
  /** False when no trust was given to check the signature against (the manifest may still be compared). */
  verified: boolean;
  signer: string | null;
  issuer: string | null;
  warnings: string[];
}

/** The signature does not hold: wrong key, untrusted or expired certificate, identity mismatch, bad bytes. */
export class SignatureInvalid extends HallmarkError {
  constructor(message: string) {
    super('signature_invalid', message);
  }
}

const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const CURVE_HASH: Record<string, string> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };
const BEGINNING = new Date(0);
const END = new Date(8640000000000000);

/** The method a bundle was made with, from its key material (model-signing's three kinds). */
export function methodOf(p: ParsedBundle): SignatureMethod {
  if (p.material === 'publicKey') return 'key';
  if (p.material === 'certificate') return 'sigstore';
  return p.bundle.verificationMaterial.tlogEntries.length ? 'sigstore' : 'certificate';
}

/** The SHA-256 of a key's SubjectPublicKeyInfo PEM: model-signing's key hint. */
export function keyHint(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'pem' }) as string).digest('hex');
}

export function ecHash(key: crypto.KeyObject): string {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const h = curve ? CURVE_HASH[curve] : undefined;
  if (!h) throw new HallmarkError('unsupported_key', `model signing uses EC keys on P-256, P-384 or P-521; this is ${key.asymmetricKeyType}${curve ? ` on ${curve}` : ''}`);
  return h;
}

function readText(file: string, what: string): string {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new HallmarkError('not_regular_file', `${what} ${quote(file)} is not a regular file`);
    if (st.size > 4 * 1024 * 1024) throw new HallmarkError('too_large', `${what} ${quote(file)} is ${st.size} bytes: not a PEM file`);
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof HallmarkError) throw e;
    throw new HallmarkError('unreadable', `cannot read ${what} ${quote(file)}: ${(e as Error).message}`);
  }
}

export function loadPublicKey(file: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(readText(file, 'the public key'));
  } catch (e) {
    if (e instanceof HallmarkError) throw e;
    throw new HallmarkError('bad_key', `${quote(file)} is not a PEM public key: ${(e as Error).message}`);
  }
  ecHash(key);
  return key;
}

function pemCertificates(file: string): X509Certificate[] {
  const text = readText(file, 'the certificate chain');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new HallmarkError('bad_certificate', `${quote(file)} holds no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return X509Certificate.parse(b);
    } catch (e) {
      throw new HallmarkError('bad_certificate', `certificate ${i + 1} of ${quote(file)} cannot be parsed: ${(e as Error).message}`);
    }
  });
}

/** The public-good Sigstore trusted root shipped with the app (see resources/sigstore/README.md). */
export function shippedTrustedRootPath(): string {
  const candidates = [
    process.env.HALLMARK_RESOURCES ? path.join(process.env.HALLMARK_RESOURCES, 'sigstore', 'trusted_root.json') : null,
    (process as { resourcesPath?: string }).resourcesPath ? path.join((process as { resourcesPath?: string }).resourcesPath!, 'sigstore', 'trusted_root.json') : null,
    path.resolve('resources', 'sigstore', 'trusted_root.json'),
    path.resolve(__dirnameSafe(), '..', '..', 'resources', 'sigstore', 'trusted_root.json'),
    path.resolve(__dirnameSafe(), '..', '..', '..', 'resources', 'sigstore', 'trusted_root.json'),
    path.resolve(__dirnameSafe(), '..', '..', '..', '..', 'resources', 'sigstore', 'trusted_root.json'),
  ].filter((p): p is string => p !== null);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new HallmarkError('no_trusted_root', 'the Sigstore trusted root (resources/sigstore/trusted_root.json) is missing from this installation; pass --trusted-root FILE');
  return found;
}

function __dirnameSafe(): string {
  // ESM bundle (out/cli), CommonJS (Electron main) and vitest all reach here; none may crash on the other's globals.
  try {
    return typeof __dirname === 'string' ? __dirname : path.dirname(new URL(import.meta.url).pathname);
  } catch {
    return process.cwd();
  }
}

function loadTrustedRoot(file: string): TrustMaterial {
  let json: unknown;
  try {
    json = JSON.parse(readText(file, 'the trusted root'));
  } catch (e) {
    if (e instanceof HallmarkError) throw e;
    throw new HallmarkError('bad_trusted_root', `${quote(file)} is not JSON: ${(e as Error).message}`);
  }
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (e) {
    throw new HallmarkError('bad_trusted_root', `${quote(file)} is not a Sigstore trusted root: ${(e as Error).message}`);
  }
}

/** Replaces the entity's signature check with one hashing by curve (see the header). */
function curveAwareEntity(entity: SignedEntity): SignedEntity {
  const original = entity.signature;
  const signature = Object.create(original) as typeof original;
  signature.verifySignature = (key: crypto.KeyObject) => {
    const pae = (original as unknown as { preAuthEncoding: Buffer }).preAuthEncoding;
    const sig = (original as unknown as { signature: Buffer }).signature;
    try {
      return crypto.verify(ecHash(key), pae, key, sig);
    } catch {
      return false;
    }
  };
  return { ...entity, signature };
}

function describe(e: unknown): string {
  const err = e as { message?: string; cause?: unknown; code?: string };
  const cause = err.cause as { message?: string } | undefined;
  return `${err.message ?? String(e)}${cause?.message && cause.message !== err.message ? ` (${cause.message})` : ''}`;
}

function certificateIdentity(cert: X509Certificate): { san: string | null; issuer: string | null } {
  let issuer: string | null = null;
  const v2 = cert.extension(OID_FULCIO_ISSUER_V2);
  if (v2) issuer = v2.valueObj.subs?.[0]?.value.toString('ascii') ?? null;
  else issuer = cert.extension(OID_FULCIO_ISSUER_V1)?.value.toString('ascii') ?? null;
  return { san: cert.subjectAltName ?? null, issuer };
}

/** Node's view of a certificate (readable subject, extended key usages); the chain itself is checked by @sigstore. */
function nodeCert(der: Buffer): crypto.X509Certificate | null {
  try {
    return new crypto.X509Certificate(der);
  } catch {
    return null;
  }
}

/**
 * Checks the bundle's signature against the trust given. Throws SignatureInvalid when it does not hold;
 * returns verified false when no trust fitting the method was given (the caller reports "unverified").
 */
export function checkSignature(p: ParsedBundle, trust: TrustOptions): SignerInfo {
  const method = methodOf(p);
  const warnings: string[] = [];
  const entity = curveAwareEntity(toSignedEntity(p.bundle));
  const given = [trust.key && 'key', trust.certificateChain && 'certificate', (trust.identity || trust.issuer || trust.trustedRoot) && 'sigstore'].filter(Boolean);
  if (given.length > 1) throw new HallmarkError('usage', 'give one kind of trust: --key, --certificate-chain, or --identity/--issuer');

  if (method === 'key') {
    const hint = p.bundle.verificationMaterial.content.$case === 'publicKey' ? p.bundle.verificationMaterial.content.publicKey.hint : '';
    if (!trust.key) {
      if (given.length) throw new SignatureInvalid(`the model was signed with a key (key hint ${hint || 'none'}), not a certificate: verify it with --key PUB.pem`);
      return { method, verified: false, signer: hint ? `key ${hint.slice(0, 16)}…` : null, issuer: null, warnings: ['signed with a key: give the public key (--key) to check who signed it'] };
    }
    const key = loadPublicKey(trust.key);
    const fingerprint = keyHint(key);
    if (hint && hint !== fingerprint) throw new SignatureInvalid(`signed with another key: the signature's key hint is ${hint}, the given key's is ${fingerprint}`);
    if (!hint) warnings.push('the signature records no key hint (an older model-signing release); the key was tried directly');
    const material = toTrustMaterial(TrustedRoot.fromJSON({}), () => ({ publicKey: key, validFor: () => true }));
    try {
      new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
    } catch (e) {
      throw new SignatureInvalid(`the signature does not verify with the given key: ${describe(e)}`);
    }
    return { method, verified: true, signer: `key ${fingerprint}`, issuer: null, warnings };
  }

  const { cert: leaf, der: leafDer } = leafOf(p);
  const id = certificateIdentity(leaf);
  const leafNode = nodeCert(leafDer);
  if (method === 'certificate') {
    if (!trust.certificateChain) {
      if (trust.key) throw new SignatureInvalid('the model was signed with a certificate, not a bare key: verify it with --certificate-chain CA.pem');
      if (given.length) throw new SignatureInvalid('the model was signed with a certificate chain (model-signing\'s certificate method), not Sigstore keyless: verify it with --certificate-chain CA.pem');
      return { method, verified: false, signer: id.san ?? leafNode?.subject.replace(/\n/g, ', ') ?? null, issuer: null, warnings: ['signed with a certificate: give the trusted CA certificates (--certificate-chain) to check it'] };
    }
    const anchors = pemCertificates(trust.certificateChain);
    // Intermediates the bundle carries help build the path, but only the given certificates are anchors: a
    // self-signed certificate from the bundle (or the leaf again) is never added.
    const chainDer = p.bundle.verificationMaterial.content.$case === 'x509CertificateChain'
      ? p.bundle.verificationMaterial.content.x509CertificateChain.certificates.slice(1).map((c) => Buffer.from(c.rawBytes))
      : [];
    let chain: X509Certificate[];
    try {
      chain = chainDer.map((d) => X509Certificate.parse(d));
    } catch (e) {
      throw new SignatureInvalid(`a certificate in the signature's chain cannot be parsed: ${(e as Error).message}`);
    }
    const intermediates = chain.filter((c) => !c.subject.equals(c.issuer) && !c.equals(leaf));
    const material: TrustMaterial = {
      certificateAuthorities: [{ certChain: [...intermediates, ...anchors], validFor: { start: BEGINNING, end: END } }],
      timestampAuthorities: [], tlogs: [], ctlogs: [],
      publicKey: () => { throw new SignatureInvalid('a certificate signature has no key hint'); },
    };
    verifyWithLeafTime(material, entity, leaf, 'the given CA certificates');
    // model-signing's rule: the leaf must allow digitalSignature, or have the code-signing extended key usage.
    const codeSigning = leafNode?.keyUsage?.includes('1.3.6.1.5.5.7.3.3') ?? false;
    if (!leaf.extKeyUsage?.digitalSignature && !codeSigning) {
      throw new SignatureInvalid('the signing certificate may not be used for signing (no digitalSignature key usage, no code-signing extended key usage)');
    }
    if (leaf.notAfter < new Date()) warnings.push(expiredNote(leaf));
    return { method, verified: true, signer: id.san ?? leafNode?.subject.replace(/\n/g, ', ') ?? 'certificate', issuer: leafNode?.issuer.replace(/\n/g, ', ') ?? null, warnings };
  }

  // sigstore (keyless)
  if (trust.key || trust.certificateChain) throw new SignatureInvalid('the model was signed with Sigstore (keyless): verify it with --identity and --issuer');
  const rootFile = trust.trustedRoot ?? shippedTrustedRootPath();
  const material = loadTrustedRoot(rootFile);
  const policy = {
    ...(trust.identity ? { subjectAlternativeName: trust.identity } : {}),
    ...(trust.issuer ? { extensions: { issuer: trust.issuer } } : {}),
  };
  // A private trusted root may have no transparency log or CT log (a test CA, an internal Fulcio): require
  // what it can vouch for, and take the signing time from the certificate when nothing else records one.
  const opts = {
    tlogThreshold: material.tlogs.length ? 1 : 0,
    ctlogThreshold: material.ctlogs.length ? 1 : 0,
    timestampThreshold: material.tlogs.length || material.timestampAuthorities.length ? 1 : 0,
  };
  try {
    const verifier = opts.timestampThreshold ? new Verifier(material, opts) : leafTimeVerifier(material, opts, leaf);
    verifier.verify(entity, policy);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'UNTRUSTED_SIGNER_ERROR') throw new SignatureInvalid(`signed by ${id.san ?? 'an unknown identity'} (issuer ${id.issuer ?? 'unknown'}), not the identity asked for: ${describe(e)}`);
    throw new SignatureInvalid(`the Sigstore signature does not verify against ${trust.trustedRoot ? quote(trust.trustedRoot) : 'the public-good Sigstore trusted root'}: ${describe(e)}`);
  }
  if (!opts.timestampThreshold && leaf.notAfter < new Date()) warnings.push(expiredNote(leaf));
  if (!trust.identity || !trust.issuer) warnings.push('the signer identity was not pinned: pass --identity and --issuer to require a particular signer');
  return { method, verified: true, signer: id.san, issuer: id.issuer, warnings };
}

function expiredNote(leaf: X509Certificate): string {
  return `the signing certificate expired on ${leaf.notAfter.toISOString()}; nothing in the signature records when it signed, so it was checked as of its issuance (${leaf.notBefore.toISOString()}), as model-signing does`;
}

function leafOf(p: ParsedBundle): { cert: X509Certificate; der: Buffer } {
  const c = p.bundle.verificationMaterial.content;
  const der = c.$case === 'certificate' ? Buffer.from(c.certificate.rawBytes)
    : c.$case === 'x509CertificateChain' ? Buffer.from(c.x509CertificateChain.certificates[0]!.rawBytes) : null;
  try {
    if (der) return { cert: X509Certificate.parse(der), der };
  } catch (e) {
    throw new SignatureInvalid(`the signing certificate cannot be parsed: ${(e as Error).message}`);
  }
  throw new SignatureInvalid('the bundle carries no certificate');
}

/** A Verifier that, with no timestamp in the bundle, checks the chain at the leaf's notBefore (model-signing's rule). */
function leafTimeVerifier(material: TrustMaterial, opts: { tlogThreshold: number; ctlogThreshold: number; timestampThreshold: number }, leaf: X509Certificate): Verifier {
  const v = new Verifier(material, opts);
  const inner = v as unknown as { verifyTimestamps: (e: SignedEntity) => Date[] };
  const original = inner.verifyTimestamps.bind(v);
  inner.verifyTimestamps = (e: SignedEntity) => {
    const t = original(e);
    return t.length ? t : [leaf.notBefore];
  };
  return v;
}

function verifyWithLeafTime(material: TrustMaterial, entity: SignedEntity, leaf: X509Certificate, what: string): void {
  try {
    leafTimeVerifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }, leaf).verify(entity);
  } catch (e) {
    throw new SignatureInvalid(`the certificate signature does not verify against ${what}: ${describe(e)}`);
  }
}
