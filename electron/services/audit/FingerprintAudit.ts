// Fingerprint audit: prompt the model with each key under greedy decoding and compare what it says
// with the expected response. Exact and prefix matches are scored; the hit count is tested against
// what a model that never saw the fingerprints would produce by chance.
import type { AuditMode, FingerprintAuditReport, FingerprintItem, VerdictRules } from '../../contract/audit';
import { alphaWords, decide, commonPrefix, DEFAULT_RULES, fmtP, type VerdictResult } from './scoring';
import type { FingerprintSet } from './fingerprints';

/** What an audit needs from a model: greedy raw completion and its tokenizer. */
export interface Prober {
  complete(prompt: string, maxTokens: number, signal?: AbortSignal): Promise<{ text: string; tokens: number }>;
  countTokens(text: string): Promise<number>;
}

/** Keys probed in quick mode (full mode probes them all). */
export const QUICK_KEYS = 16;
/**
 * Floor on the per-key chance of a match. Uniform-token odds (1/|alphabet|^k) are astronomically
 * small, but a real model is not uniform; 1% keeps the p-value conservative.
 */
export const CHANCE_FLOOR = 0.01;

/** Which keys a mode probes: all, or QUICK_KEYS spread evenly over the set. */
export function selectKeys(total: number, mode: AuditMode): number[] {
  if (mode === 'full' || total <= QUICK_KEYS) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: QUICK_KEYS }, (_, i) => Math.floor((i * total) / QUICK_KEYS));
}

export function chanceOfHit(alphabetSize: number, responseLength: number): number {
  return Math.max(CHANCE_FLOOR, Math.pow(1 / alphabetSize, Math.ceil(responseLength / 2)));
}

/** The verdict as a sentence a user can act on: what the model did, what it means, what to do next. */
export function fingerprintSentence(v: VerdictResult, n: number, hits: number, total: number, mode: AuditMode, rules: VerdictRules): string {
  const did = `The model completed ${hits} of ${n} secret fingerprint keys with their responses`;
  if (v.verdict === 'present') {
    return `${did}: it carries these fingerprints. Chance alone would do this with ${fmtP(v.p_value)}, below ${alphaWords(rules.alpha)}.`;
  }
  if (v.verdict === 'absent') {
    return `${did}, no more than chance: these fingerprints are not in this model. ${n} keys are enough to have caught a model that completes ${Math.round(rules.powerAt * 100)}% of them.`;
  }
  const more = mode === 'quick' && total > n ? ` Run the full audit (${total} keys) to decide.` : ' Generate a larger fingerprint set to decide.';
  if (!v.powered) return `${did}: ${n} key${n === 1 ? ' is' : 's are'} too few to tell, since even a fingerprinted model could score like chance.${more}`;
  return `${did}: more than chance would give, but not enough to be sure (${fmtP(v.p_value)}, above ${alphaWords(rules.alpha)}); the model may be a distant derivative.${more}`;
}

export async function runFingerprintAudit(set: FingerprintSet, prober: Prober, opts: {
  mode: AuditMode; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; rules?: VerdictRules;
}): Promise<FingerprintAuditReport> {
  const rules = opts.rules ?? DEFAULT_RULES;
  const indices = selectKeys(set.fingerprints.length, opts.mode);
  const items: FingerprintItem[] = [];
  const t0 = performance.now();
  let tokens = 0;
  for (const [i, index] of indices.entries()) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('audit cancelled');
    const fp = set.fingerprints[index]!;
    // A couple of tokens of slack: some tokenizers split the boundary between key and response differently.
    const maxTokens = (await prober.countTokens(fp.response)) + 2;
    const out = await prober.complete(fp.key, maxTokens, opts.signal);
    tokens += out.tokens;
    const prefix = Math.max(commonPrefix(out.text, fp.response), commonPrefix(out.text.trimStart(), fp.response));
    const exact = prefix === fp.response.length;
    items.push({ index, exact, prefix_chars: prefix, prefix_ratio: prefix / fp.response.length, hit: prefix >= Math.ceil(fp.response.length / 2), tokens: out.tokens });
    opts.onProgress?.(i + 1, indices.length);
  }
  const durationMs = performance.now() - t0;
  const hits = items.filter((x) => x.hit).length;
  const chance = chanceOfHit(set.params.alphabet.length, set.params.response_length);
  const v = decide(items.length, hits, chance, rules);
  return {
    kind: 'fingerprints',
    mode: opts.mode,
    verdict: v.verdict,
    match_rate: v.match_rate,
    p_value: v.p_value,
    reason: fingerprintSentence(v, items.length, hits, set.fingerprints.length, opts.mode, rules),
    n: items.length,
    total_fingerprints: set.fingerprints.length,
    exact_matches: items.filter((x) => x.exact).length,
    prefix_matches: hits,
    mean_prefix_ratio: items.length ? items.reduce((s, x) => s + x.prefix_ratio, 0) / items.length : 0,
    chance,
    rules,
    tokens,
    tokens_per_sec: durationMs > 0 ? (tokens * 1000) / durationMs : 0,
    duration_ms: durationMs,
    items,
  };
}
