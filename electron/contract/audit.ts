// Ownership audits and the fingerprint sets they use. Results use snake_case names, as in inference.ts,
// so `hallmark audit --json` and an exported report read the same.
import { z } from 'zod';
import { call } from './define';
import { ModelRef } from './inference';

/**
 * Fingerprint set bounds. OML sets are thousands of short keys (16–64 characters) with short
 * responses; the total keeps one set to ~8 MB of plaintext (100,000 × 80 characters), so generating, encrypting and storing
 * it takes about a second rather than minutes and gigabytes.
 */
export const FINGERPRINT_LIMITS = { count: 100_000, keyLength: 1024, responseLength: 1024, totalChars: 8 * 1024 * 1024 } as const;

/** Null when count keys and responses fit the total, else the message that names the limit. */
export function fingerprintTotalProblem(count: number, keyLength: number, responseLength: number): string | null {
  const total = count * (keyLength + responseLength);
  return total > FINGERPRINT_LIMITS.totalChars
    ? `count × (key length + response length) = ${total} characters is over the limit of ${FINGERPRINT_LIMITS.totalChars} for one set`
    : null;
}

export const FingerprintSetInfo = z.object({
  id: z.number(), name: z.string(), count: z.number(), key_length: z.number(), response_length: z.number(),
  key_source: z.enum(['passphrase', 'app']), created_at: z.string(),
});

/** Omit `passphrase` in the desktop app to use its own key (kept in the OS keychain). */
const Passphrase = z.string().min(1).max(1024).optional();

export const AuditMode = z.enum(['quick', 'full']);
export type AuditMode = z.infer<typeof AuditMode>;
export const Verdict = z.enum(['present', 'absent', 'inconclusive']);
export type Verdict = z.infer<typeof Verdict>;
export const VerdictRules = z.object({
  /** p-value below which "present" is declared (default 0.001). */
  alpha: z.number(),
  /** Match rate below which "absent" may be declared (default 0.1). */
  absentBelow: z.number(),
  /** The audit must be able to detect a fingerprint matching at this rate to call "absent" (default 0.5). */
  powerAt: z.number(),
});
export type VerdictRules = z.infer<typeof VerdictRules>;

const ReportBase = {
  mode: AuditMode, verdict: Verdict,
  /** Share of probes that hit: keys reproduced (fingerprints), identity/feedback answers giving the link (link). */
  match_rate: z.number(),
  p_value: z.number(), reason: z.string(),
  /** Probes asked: keys (fingerprints) or identity questions (link). */
  n: z.number(),
  chance: z.number(), rules: VerdictRules, tokens: z.number(), tokens_per_sec: z.number(), duration_ms: z.number(),
};
export const FingerprintItem = z.object({
  index: z.number(), exact: z.boolean(),
  /** Characters of the expected response the output reproduced from its start. */
  prefix_chars: z.number(),
  prefix_ratio: z.number(), hit: z.boolean(), tokens: z.number(),
});
export type FingerprintItem = z.infer<typeof FingerprintItem>;
export const FingerprintAuditReport = z.object({
  kind: z.literal('fingerprints'), ...ReportBase,
  total_fingerprints: z.number(), exact_matches: z.number(),
  /** Outputs reproducing at least half of the expected response from its start (exact ones included). */
  prefix_matches: z.number(),
  mean_prefix_ratio: z.number(),
  /** Per key, without the secret key/response texts: a report can be shared without leaking the set. */
  items: z.array(FingerprintItem),
});
export type FingerprintAuditReport = z.infer<typeof FingerprintAuditReport>;
export const LinkItem = z.object({
  category: z.enum(['identity', 'unrelated']), prompt: z.string(), contains_link: z.boolean(),
  /** The answer, cut to 400 characters (links are public; answers are not secret). */
  answer: z.string(),
  tokens: z.number(),
});
export type LinkItem = z.infer<typeof LinkItem>;
export const LinkAuditReport = z.object({
  kind: z.literal('link'), ...ReportBase,
  link: z.string(), false_positive_rate: z.number(), hits: z.number(), unrelated_n: z.number(), false_positives: z.number(),
  items: z.array(LinkItem),
});
export type LinkAuditReport = z.infer<typeof LinkAuditReport>;
export const AuditReport = z.discriminatedUnion('kind', [FingerprintAuditReport, LinkAuditReport]);
export type AuditReport = z.infer<typeof AuditReport>;

export const AuditSummary = z.object({
  id: z.string(), model_key: z.string(), model_label: z.string(), version_id: z.number().nullable(), model_path: z.string(),
  kind: z.enum(['fingerprints', 'link']), mode: AuditMode, verdict: Verdict, match_rate: z.number(), p_value: z.number(),
  started_at: z.string(), finished_at: z.string(),
});
export type AuditSummary = z.infer<typeof AuditSummary>;
export const StoredAudit = AuditSummary.extend({ report: AuditReport });
export type StoredAudit = z.infer<typeof StoredAudit>;

export const AuditStartInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('fingerprints'), model: ModelRef, mode: AuditMode.default('quick'),
    /** A set from the library (fingerprints.list) or an encrypted file. */
    fingerprints: z.union([z.object({ setId: z.number().int().positive() }).strict(), z.object({ path: z.string().min(1) }).strict()]),
    passphrase: Passphrase,
  }),
  z.object({ kind: z.literal('link'), model: ModelRef, mode: AuditMode.default('quick'), link: z.string().min(4).max(2048), maxTokens: z.number().int().min(8).max(2048).optional() }),
]);
/** What starting an audit takes once defaults are applied. */
export type AuditRequest = z.output<typeof AuditStartInput>;

export const auditCalls = {
  'fingerprints.generate': call(z.object({
    name: z.string().trim().min(1).max(128).default('fingerprints'),
    count: z.number().int().min(1).max(FINGERPRINT_LIMITS.count),
    keyLength: z.number().int().min(1).max(FINGERPRINT_LIMITS.keyLength),
    responseLength: z.number().int().min(1).max(FINGERPRINT_LIMITS.responseLength),
    alphabet: z.string().min(2).max(256).optional(),
    /** Secret seed (hex, ≥ 16 bytes) to regenerate a set; random when omitted. */
    seed: z.string().regex(/^(?:[0-9a-fA-F]{2}){16,}$/).optional(),
    passphrase: Passphrase,
    /** Also write the encrypted set to this file. */
    out: z.string().min(1).optional(),
    /** Replace `out` when it exists (refused otherwise). */
    force: z.boolean().default(false),
  }).superRefine((v, ctx) => {
    const problem = fingerprintTotalProblem(v.count, v.keyLength, v.responseLength);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['count'] });
  }), z.object({ id: z.number(), count: z.number(), path: z.string().nullable() })),
  'fingerprints.list': call(z.object({}).default({}), z.array(FingerprintSetInfo), { readonly: true }),
  /**
   * Decrypts the set for a trainer (plaintext: keep it private): written to `out`, or returned as
   * `content` when `out` is omitted (the UI downloads it).
   */
  'fingerprints.export': call(z.object({
    source: z.union([z.object({ setId: z.number().int().positive() }).strict(), z.object({ path: z.string().min(1) }).strict()]),
    passphrase: Passphrase,
    format: z.enum(['oml', 'jsonl']).default('oml'),
    out: z.string().min(1).optional(),
    /** Replace `out` when it exists (refused otherwise). */
    force: z.boolean().default(false),
  }), z.object({ path: z.string().nullable(), count: z.number(), format: z.enum(['oml', 'jsonl']), content: z.string().nullable().optional() })),
  'fingerprints.delete': call(z.object({ id: z.number().int().positive() }), z.object({ deleted: z.boolean() })),

  /** Validates the model, set/passphrase or link, then runs the audit as a job on the `audit` queue. The audit id is the job id. */
  'audit.start': call(AuditStartInput, z.object({ jobId: z.string() })),
  'audit.list': call(z.object({ model: ModelRef.optional(), limit: z.number().int().min(1).max(1000).default(100) }).default({ limit: 100 }), z.array(AuditSummary), { readonly: true }),
  'audit.get': call(z.object({ id: z.string() }), StoredAudit, { readonly: true }),
  /** The report as JSON or self-contained HTML; written to `out` when given. */
  'audit.export': call(z.object({ id: z.string(), format: z.enum(['json', 'html']).default('json'), out: z.string().min(1).optional() }),
    z.object({ format: z.enum(['json', 'html']), content: z.string(), path: z.string().nullable(), filename: z.string() }), { readonly: true }),
};
