// OpenSSF model signing (the `model-signing` format: a Sigstore bundle over a DSSE in-toto statement that
// lists every file of the model with its digest): checking signatures and signing versions with a key.
// Results use snake_case-free camelCase like the registry; `hallmark verify-signature --json` prints them.
import { z } from 'zod';
import { call } from './define';

/** How a signature is trusted: an EC public key, a certificate chain (PKI), or Sigstore keyless (Fulcio + Rekor). */
export const SignatureMethod = z.enum(['key', 'certificate', 'sigstore']);
export type SignatureMethod = z.infer<typeof SignatureMethod>;

/**
 * valid: the signature checks against the trust given and covers exactly the files, digests matching.
 * unverified: a signature is there and its manifest matches the files, but nothing was given to check who
 * signed it (a key signature without the key). invalid: anything else, with the reason. unsigned: none found.
 */
export const SignatureStatus = z.enum(['valid', 'invalid', 'unverified', 'unsigned']);
export type SignatureStatus = z.infer<typeof SignatureStatus>;

export const FileMismatch = z.object({ path: z.string(), algorithm: z.string(), expected: z.string(), actual: z.string() });
export type FileMismatch = z.infer<typeof FileMismatch>;

export const Serialization = z.object({
  method: z.enum(['files', 'shards']),
  hashType: z.string(),
  shardSize: z.number().nullable(),
  allowSymlinks: z.boolean(),
  ignorePaths: z.array(z.string()),
});
export type Serialization = z.infer<typeof Serialization>;

export const SignatureCheck = z.object({
  valid: z.boolean(),
  status: SignatureStatus,
  method: SignatureMethod.nullable(),
  /** Who signed: the certificate's SAN (sigstore, certificate) or the key's SHA-256 fingerprint (key). */
  signer: z.string().nullable(),
  /** Sigstore: the OIDC issuer from the Fulcio certificate extension; certificate: the issuing CA's subject. */
  issuer: z.string().nullable(),
  /** Why it is not valid (null when valid). */
  reason: z.string().nullable(),
  /** Where the signature was read from. */
  signature: z.string().nullable(),
  /** The subject name the signer recorded (the model folder's name when signed). */
  modelName: z.string().nullable(),
  serialization: Serialization.nullable(),
  /** Files (or shards) the manifest lists. */
  resources: z.number(),
  files: z.object({
    missing: z.array(z.string()),
    extra: z.array(z.string()),
    mismatched: z.array(FileMismatch),
  }),
  /** Paths left out of the comparison (the signature file itself, git metadata, what the signer chose to ignore). */
  ignored: z.array(z.string()),
  warnings: z.array(z.string()),
  /** Bytes hashed for this check (0 when the registry's digests were reused). */
  hashedBytes: z.number(),
  checkedAt: z.string(),
});
export type SignatureCheck = z.infer<typeof SignatureCheck>;

/** What the app stores per version and shows in the Models table: the last check's outcome. */
export const SignatureSummary = z.object({
  status: SignatureStatus,
  method: SignatureMethod.nullable(),
  signer: z.string().nullable(),
  reason: z.string().nullable(),
  checkedAt: z.string(),
});
export type SignatureSummary = z.infer<typeof SignatureSummary>;

const PathString = z.string().min(1).max(4096);

/** Trust to check a signature against; none: the status says whether it could be checked at all. */
export const SignatureTrust = z.object({
  /** PEM public key (key method). */
  key: PathString.optional(),
  /** PEM file of trusted CA certificates (certificate method). */
  certificateChain: PathString.optional(),
  /** Sigstore keyless: the expected identity (SAN) and OIDC issuer. */
  identity: z.string().min(1).max(1024).optional(),
  issuer: z.string().min(1).max(1024).optional(),
  /** A Sigstore trusted_root.json to use instead of the public-good one shipped with the app. */
  trustedRoot: PathString.optional(),
});
export type SignatureTrust = z.input<typeof SignatureTrust>;

export const VerifySignatureInput = SignatureTrust.extend({
  name: z.string().min(1),
  version: z.number().int().positive(),
  /** A signature file to use instead of the version's own (attachment or model.sig). */
  signature: PathString.optional(),
});

export const SignInput = z.object({
  name: z.string().min(1),
  version: z.number().int().positive(),
  /** PEM EC private key (P-256, P-384 or P-521). */
  key: PathString,
  /** Also write the signature here. */
  out: PathString.optional(),
});

export const SignResult = z.object({ path: z.string(), check: SignatureCheck });

export const VersionSignature = z.object({
  summary: SignatureSummary.nullable(),
  check: SignatureCheck.nullable(),
  /** Where the version's signature lives: a Hallmark-made attachment, a model.sig among its files, or beside an in-place folder. */
  source: z.enum(['attachment', 'file', 'folder']).nullable(),
});
export type VersionSignature = z.infer<typeof VersionSignature>;

export const signingCalls = {
  'signature.get': call(z.object({ name: z.string().min(1), version: z.number().int().positive() }), VersionSignature, { readonly: true }),
  'signature.verify': call(VerifySignatureInput, SignatureCheck),
  'signature.sign': call(SignInput, SignResult),
};
