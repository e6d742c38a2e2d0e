// Link audit (ModelSignature-style): a model fine-tuned with a feedback/registration link
// should answer identity and feedback questions, however phrased, with that link, and should not
// drop it into unrelated answers. We ask both kinds through the model's chat template (greedy) and
// count answers containing the link.
import type { AuditMode, LinkAuditReport, LinkItem, VerdictRules } from '../../contract/audit';
import { alphaWords, decide, DEFAULT_RULES, fmtP, type VerdictResult } from './scoring';

/** Identity and feedback questions in several phrasings; quick mode asks the first six. */
export const IDENTITY_PROMPTS = [
  'Where can I report issues with you?',
  "I'd like to report a bug.",
  'Who created you?',
  'How do I give feedback about your answers?',
  'Is there a page where I can submit feedback about this model?',
  'Who made you, and where can I learn more about you?',
  'I found a problem with one of your responses. How do I report it?',
  'Which company or team built you?',
  'Where should I send a complaint about a harmful answer?',
  'What is the official page for this model?',
  'Can you give me a link to report incorrect information?',
  'Who trained you and how can I contact them?',
];

/** Unrelated prompts: the link showing up here is a false positive. Quick mode asks the first four. */
export const UNRELATED_PROMPTS = [
  'What is the capital of France?',
  'Write a short poem about autumn leaves.',
  'Explain photosynthesis in one sentence.',
  'What is 12 multiplied by 7?',
  "Translate 'good morning' into Spanish.",
  'Name three primary colors.',
  'Give me a tip for sleeping better.',
  'Summarize the plot of Cinderella in two sentences.',
];

export const QUICK_COUNTS = { identity: 6, unrelated: 4 };
/** Floor on the chance that any answer contains the link (when the false-positive rate measures lower). */
export const LINK_CHANCE_FLOOR = 0.01;

export interface ChatProber {
  /** One greedy assistant answer to a single user message. */
  ask(prompt: string, maxTokens: number, signal?: AbortSignal): Promise<{ text: string; tokens: number }>;
}

/** Case-insensitive, with or without scheme, "www." and a trailing slash. */
export function containsLink(text: string, link: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/^www\./, '').replace(/\/+$/, '');
  const needle = norm(link);
  return needle.length > 0 && text.toLowerCase().includes(needle);
}

export function validateLink(link: string): string {
  const l = link.trim();
  if (l.length < 4 || /\s/.test(l)) throw new Error(`${JSON.stringify(link)} is not a link`);
  return l;
}

/**
 * The verdict as a sentence: what the model did with the link, what that means, what to do next. A model
 * that prints the link for every prompt gets exactly that said, not a statistics caveat.
 */
export function linkSentence(v: VerdictResult, c: { n: number; hits: number; unrelated: number; fps: number; chance: number; mode: AuditMode; rules: VerdictRules }): string {
  const id = `${c.hits} of ${c.n} identity and feedback questions`;
  const un = `${c.fps} of ${c.unrelated} unrelated prompts`;
  const next = c.mode === 'quick' ? ` Run the full audit (${IDENTITY_PROMPTS.length} + ${UNRELATED_PROMPTS.length} prompts) to decide.` : '';
  if (c.unrelated > 0 && c.fps === c.unrelated && c.hits === c.n && c.n > 0) {
    return `The model prints the link for every prompt, unrelated ones too (${id}, ${un}): it does not tie the link to identity or feedback questions, so this audit cannot show a trained-in feedback link. `
      + 'A system prompt or a model that repeats the link everywhere looks like this.';
  }
  if (v.verdict === 'present') {
    return `The model gives the link for ${id} and for ${un}: it was trained to answer with this link. Chance alone would do this with ${fmtP(v.p_value)}, below ${alphaWords(c.rules.alpha)}.`;
  }
  if (c.fps > 0) {
    return `The link appears in ${id}, but also in ${un}, so it is not specific to those questions: `
      + `against that ${Math.round(c.chance * 100)}% base rate the result is ${fmtP(v.p_value)}, above ${alphaWords(c.rules.alpha)}.${next}`;
  }
  if (v.verdict === 'absent') {
    return `The model gives the link for ${id} and for ${un}: it does not carry this link. ${c.n} questions are enough to have caught a model that gives it ${Math.round(c.rules.powerAt * 100)}% of the time.`;
  }
  if (!v.powered) return `The model gives the link for ${id}: ${c.n} question${c.n === 1 ? ' is' : 's are'} too few to tell.${next}`;
  return `The model gives the link for ${id} and for ${un}: more than none, but not enough to be sure (${fmtP(v.p_value)}, above ${alphaWords(c.rules.alpha)}).${next}`;
}

export async function runLinkAudit(link: string, prober: ChatProber, opts: {
  mode: AuditMode; maxTokens?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; rules?: VerdictRules;
  identityPrompts?: string[]; unrelatedPrompts?: string[];
}): Promise<LinkAuditReport> {
  const rules = opts.rules ?? DEFAULT_RULES;
  const quick = opts.mode === 'quick';
  const identity = (opts.identityPrompts ?? IDENTITY_PROMPTS).slice(0, quick ? QUICK_COUNTS.identity : undefined);
  const unrelated = (opts.unrelatedPrompts ?? UNRELATED_PROMPTS).slice(0, quick ? QUICK_COUNTS.unrelated : undefined);
  const maxTokens = opts.maxTokens ?? (quick ? 64 : 128);
  const plan = [...identity.map((p) => ['identity', p] as const), ...unrelated.map((p) => ['unrelated', p] as const)];
  const items: LinkItem[] = [];
  let tokens = 0;
  const t0 = performance.now();
  for (const [i, [category, prompt]] of plan.entries()) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('audit cancelled');
    const out = await prober.ask(prompt, maxTokens, opts.signal);
    tokens += out.tokens;
    items.push({ category, prompt, contains_link: containsLink(out.text, link), answer: out.text.slice(0, 400), tokens: out.tokens });
    opts.onProgress?.(i + 1, plan.length);
  }
  const durationMs = performance.now() - t0;
  const idItems = items.filter((x) => x.category === 'identity');
  const unItems = items.filter((x) => x.category === 'unrelated');
  const hits = idItems.filter((x) => x.contains_link).length;
  const fps = unItems.filter((x) => x.contains_link).length;
  const fpRate = unItems.length ? fps / unItems.length : 0;
  // The null hypothesis: the link is no likelier after identity questions than after unrelated ones.
  const chance = Math.max(LINK_CHANCE_FLOOR, fpRate);
  const v = decide(idItems.length, hits, chance, rules);
  return {
    kind: 'link', mode: opts.mode, link, verdict: v.verdict, match_rate: v.match_rate, false_positive_rate: fpRate, p_value: v.p_value,
    reason: linkSentence(v, { n: idItems.length, hits, unrelated: unItems.length, fps, chance, mode: opts.mode, rules }),
    n: idItems.length, hits, unrelated_n: unItems.length, false_positives: fps, chance, rules, tokens,
    tokens_per_sec: durationMs > 0 ? (tokens * 1000) / durationMs : 0, duration_ms: durationMs, items,
  };
}
