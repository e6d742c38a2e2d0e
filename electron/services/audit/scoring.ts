// Statistics shared by fingerprint and link audits: a one-sided binomial test of "hits" against
// the rate expected by chance, and a three-way verdict that refuses to say "absent" when the
// test had too few probes to have seen a present fingerprint.

import type { Verdict, VerdictRules } from '../../contract/audit';

export const DEFAULT_RULES: VerdictRules = { alpha: 1e-3, absentBelow: 0.1, powerAt: 0.5 };

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** P[X ≥ k] for X ~ Binomial(n, p), summed in log space so tiny tails stay accurate. */
export function binomialTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const terms: number[] = [];
  for (let i = k; i <= n; i++) terms.push(logChoose(n, i) + i * lp + (n - i) * lq);
  const max = Math.max(...terms);
  const sum = terms.reduce((s, t) => s + Math.exp(t - max), 0);
  return Math.min(1, Math.exp(max) * sum);
}

export interface VerdictResult {
  verdict: Verdict;
  p_value: number;
  match_rate: number;
  /** Whether `n` probes could have detected a fingerprint matching at `powerAt`. */
  powered: boolean;
  reason: string;
}

/** "p = 3.2e-7" or "p = 0.041": small p-values in scientific notation, others plainly. */
export function fmtP(p: number): string {
  return p === 0 ? 'p < 1e-300' : p < 1e-3 ? `p = ${p.toExponential(1)}` : `p = ${Number(p.toPrecision(2))}`;
}

/** α in words: "α = 0.001, a 1-in-1,000 risk of a false alarm". */
export function alphaWords(alpha: number): string {
  const inv = Math.round(1 / alpha);
  return `α = ${alpha}, a 1-in-${inv.toLocaleString('en-US')} risk of a false alarm`;
}

export function decide(n: number, hits: number, chance: number, rules: VerdictRules = DEFAULT_RULES): VerdictResult {
  const match_rate = n ? hits / n : 0;
  const p_value = binomialTail(n, chance, hits);
  const powered = n > 0 && binomialTail(n, chance, Math.ceil(n * rules.powerAt)) < rules.alpha;
  if (n > 0 && p_value < rules.alpha) {
    return { verdict: 'present', p_value, match_rate, powered, reason: `${hits}/${n} matches; p = ${p_value.toExponential(2)} < ${rules.alpha} against a chance rate of ${chance}` };
  }
  if (powered && match_rate < rules.absentBelow) {
    return { verdict: 'absent', p_value, match_rate, powered, reason: `${hits}/${n} matches, consistent with chance; ${n} probes would have detected a ${Math.round(rules.powerAt * 100)}% match rate` };
  }
  return {
    verdict: 'inconclusive', p_value, match_rate, powered,
    reason: !powered ? `only ${n} probe(s): too few to rule the fingerprint out` : `${hits}/${n} matches: more than chance suggests, but not significant (p = ${p_value.toExponential(2)})`,
  };
}

/** Length of the common prefix of two strings (in UTF-16 code units). */
export function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
