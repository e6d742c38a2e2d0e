// Reading a model-signing signature: a Sigstore bundle (JSON) whose DSSE envelope carries an in-toto
// statement. The outer shape is checked with zod first (so a hostile file gets a named error, not a
// TypeError deep in a library), then @sigstore/bundle validates and decodes it. Nothing here trusts the
// content: the signature is checked in verify.ts, the statement in manifest.ts.
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { z } from 'zod';
import { HallmarkError } from '../errors';

/** A manifest of 100,000 files is ~15 MB; anything far larger is not a signature. */
export const MAX_SIGNATURE_BYTES = 64 * 1024 * 1024;

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** What the reference tool writes (and its key/certificate verifiers require). */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const KNOWN_MEDIA_TYPES = new Set([
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  BUNDLE_V03_MEDIA_TYPE,
]);

const B64 = z.string().max(MAX_SIGNATURE_BYTES).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'not base64');
const CertJson = z.object({ rawBytes: B64.min(1) });

/** The parts of a bundle Hallmark reads, as JSON; unknown fields pass through to @sigstore/bundle. */
const BundleJson = z.object({
  mediaType: z.string(),
  verificationMaterial: z.object({
    publicKey: z.object({ hint: z.string().max(512).optional() }).loose().optional(),
    x509CertificateChain: z.object({ certificates: z.array(CertJson).min(1).max(16) }).optional(),
    certificate: CertJson.optional(),
    tlogEntries: z.array(z.unknown()).max(64).optional(),
  }).loose(),
  dsseEnvelope: z.object({
    payload: B64,
    payloadType: z.string(),
    signatures: z.array(z.object({ sig: B64.min(1), keyid: z.string().optional() })).min(1).max(16),
  }).optional(),
  messageSignature: z.unknown().optional(),
}).loose();

export interface ParsedBundle {
  bundle: Bundle & { content: { $case: 'dsseEnvelope' } };
  json: unknown;
  /** What kind of key material the bundle carries. */
  material: 'publicKey' | 'certificate' | 'x509CertificateChain';
  /** The DSSE payload bytes (the in-toto statement). */
  payload: Buffer;
}

/** Every way a signature can be unusable, with a message that says what is wrong and what to do. */
export class SignatureFormatError extends HallmarkError {
  constructor(message: string) {
    super('bad_signature', message);
  }
}

export function parseBundle(bytes: Buffer | string): ParsedBundle {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (text.length > MAX_SIGNATURE_BYTES) throw new SignatureFormatError(`the signature is ${text.length} bytes, over the ${MAX_SIGNATURE_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SignatureFormatError(`the signature is not JSON (${(e as Error).message}): a model-signing signature is a Sigstore bundle`);
  }
  const shape = BundleJson.safeParse(json);
  if (!shape.success) {
    const i = shape.error.issues[0]!;
    throw new SignatureFormatError(`the signature is not a Sigstore bundle: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  const b = shape.data;
  if (!KNOWN_MEDIA_TYPES.has(b.mediaType)) {
    throw new SignatureFormatError(`unsupported bundle media type ${JSON.stringify(b.mediaType)} (expected ${BUNDLE_V03_MEDIA_TYPE})`);
  }
  if (!b.dsseEnvelope) {
    throw new SignatureFormatError(b.messageSignature !== undefined
      ? 'the bundle signs a single artifact (messageSignature), not a model manifest (a DSSE envelope): it is not a model-signing signature'
      : 'the bundle has no DSSE envelope');
  }
  if (b.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignatureFormatError(`the DSSE payload type is ${JSON.stringify(b.dsseEnvelope.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (b.dsseEnvelope.signatures.length !== 1) throw new SignatureFormatError(`the envelope carries ${b.dsseEnvelope.signatures.length} signatures; model signing uses exactly one`);
  const vm = b.verificationMaterial;
  const kinds = (['publicKey', 'x509CertificateChain', 'certificate'] as const).filter((k) => vm[k] !== undefined);
  if (kinds.length !== 1) throw new SignatureFormatError(kinds.length ? `the bundle carries both ${kinds.join(' and ')}` : 'the bundle carries no public key or certificate');
  // model-signing writes tlogEntries: [] and older releases left it out; @sigstore/bundle wants the field.
  // model-signing's certificate method writes a v0.3 bundle carrying a certificate chain, which the v0.3
  // schema reserves for single certificates: @sigstore/bundle validates it under the v0.2 rules instead.
  const mediaType = kinds[0] === 'x509CertificateChain' && b.mediaType === BUNDLE_V03_MEDIA_TYPE ? 'application/vnd.dev.sigstore.bundle+json;version=0.2' : b.mediaType;
  const normalized = { ...(json as Record<string, unknown>), mediaType, verificationMaterial: { ...vm, tlogEntries: vm.tlogEntries ?? [] } };
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(normalized);
  } catch (e) {
    const fields = (e as { fields?: string[] }).fields;
    throw new SignatureFormatError(`the Sigstore bundle is malformed: ${(e as Error).message}${fields?.length ? ` (${fields.join(', ')})` : ''}`);
  }
  if (bundle.content.$case !== 'dsseEnvelope') throw new SignatureFormatError('the bundle has no DSSE envelope');
  return { bundle: bundle as ParsedBundle['bundle'], json, material: kinds[0]!, payload: Buffer.from(bundle.content.dsseEnvelope.payload) };
}
