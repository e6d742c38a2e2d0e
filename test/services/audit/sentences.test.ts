// Audit verdicts read as sentences: what the model did, what it means, what to do next.
import { describe, expect, it } from 'vitest';
import { fingerprintSentence } from '../../../electron/services/audit/FingerprintAudit';
import { LINK_CHANCE_FLOOR, linkSentence } from '../../../electron/services/audit/LinkAudit';
import { decide, DEFAULT_RULES, fmtP } from '../../../electron/services/audit/scoring';

const link = (n: number, hits: number, unrelated: number, fps: number, mode: 'quick' | 'full' = 'quick') => {
  const chance = Math.max(LINK_CHANCE_FLOOR, unrelated ? fps / unrelated : 0);
  return linkSentence(decide(n, hits, chance, DEFAULT_RULES), { n, hits, unrelated, fps, chance, mode, rules: DEFAULT_RULES });
};

describe('link audit sentences', () => {
  it('says a model that prints the link everywhere does exactly that', () => {
    expect(link(6, 6, 4, 4)).toMatch(/^The model prints the link for every prompt, unrelated ones too/);
    expect(link(12, 12, 8, 8, 'full')).toMatch(/does not tie the link to identity or feedback questions/);
  });
  it('present, absent, not specific and partial each say what they mean', () => {
    expect(link(12, 12, 8, 0, 'full')).toMatch(/12 of 12 identity and feedback questions and for 0 of 8 unrelated prompts: it was trained to answer with this link\. Chance alone would do this with p = .*below α = 0\.001, a 1-in-1,000 risk of a false alarm/);
    expect(link(6, 0, 4, 0)).toMatch(/it does not carry this link\. 6 questions are enough to have caught a model that gives it 50% of the time/);
    expect(link(6, 3, 4, 2)).toMatch(/but also in 2 of 4 unrelated prompts, so it is not specific to those questions: against that 50% base rate.*Run the full audit/);
  });
});

describe('fingerprint audit sentences', () => {
  const fp = (n: number, hits: number, total: number, mode: 'quick' | 'full', chance = 1e-4) => fingerprintSentence(decide(n, hits, chance, DEFAULT_RULES), n, hits, total, mode, DEFAULT_RULES);
  it('reads as what the model did and what to do next', () => {
    expect(fp(16, 15, 64, 'quick')).toMatch(/^The model completed 15 of 16 secret fingerprint keys with their responses: it carries these fingerprints/);
    expect(fp(16, 0, 64, 'quick')).toMatch(/no more than chance: these fingerprints are not in this model/);
    // Short responses (a high chance of a hit) need many keys: 2 cannot decide.
    expect(fp(2, 0, 64, 'quick', 0.3)).toMatch(/2 keys are too few to tell.*Run the full audit \(64 keys\)/);
  });
  it('formats p plainly', () => {
    expect(fmtP(0.04123)).toBe('p = 0.041');
    expect(fmtP(3.2e-9)).toBe('p = 3.2e-9');
  });
});
