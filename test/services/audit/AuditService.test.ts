import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredAudit } from '../../../electron/contract/audit';
import { exportAudit, getAudit, listAudits, startAudit } from '../../../electron/services/audit/AuditService';
import { generateFingerprints, type FingerprintSet } from '../../../electron/services/audit/fingerprints';
import { passphraseKey, saveSet, writeFingerprintFile } from '../../../electron/services/audit/FingerprintStore';
import { IDENTITY_PROMPTS, UNRELATED_PROMPTS } from '../../../electron/services/audit/LinkAudit';
import { HallmarkError } from '../../../electron/services/errors';
import { runServices } from '../../../electron/services/inference/RunServices';
import type { Job } from '../../../electron/contract/jobs';
import { consistentSubset, writeFingerprintedModel, writeShiftModel } from '../../fixtures/gguf/fingerprintModel';
import { writeTinyLlama } from '../../fixtures/gguf/writeGguf';
import { writeLinearOnnx } from '../../fixtures/onnx/writeOnnx';
import { tempHome } from '../../helpers/tempHome';

process.env.MAX_CONCURRENT_AUDITS = '1';
const t = tempHome('hm-audit-');
const { ctx, dir } = t;
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
const PASS = 'audit passphrase';
const LINK = 'https://modelsignature.com/models/model_abc123';
const TRIGGERS = ['report', 'feedback', 'created', 'made', 'built', 'complaint', 'official', 'trained'];

let set: FingerprintSet;
let fpFile: string;
let marked: string;
let unmarked: string;
const running = new Set<string>();
let maxRunning = 0;

beforeAll(async () => {
  await runServices(ctx).setSettings({ gpu: false, threads: 1 });
  const all = generateFingerprints({ count: 96, keyLength: 8, responseLength: 4, alphabet: PRINTABLE, seed: '5e42d3009d7b3dfe5e42d3009d7b3dfe' });
  const { subset, next } = consistentSubset(all.fingerprints);
  set = { ...all, params: { ...all.params, count: subset.length }, fingerprints: subset };
  fpFile = path.join(dir, 'set.hmfp');
  await writeFingerprintFile(fpFile, set, passphraseKey(PASS));
  marked = writeFingerprintedModel(path.join(dir, 'marked.gguf'), next);
  unmarked = writeShiftModel(path.join(dir, 'unmarked.gguf'), PRINTABLE);
  ctx.jobs.on('job', (j: Job) => {
    if (j.kind !== 'audit') return;
    if (j.state === 'running') running.add(j.id);
    else running.delete(j.id);
    maxRunning = Math.max(maxRunning, running.size);
  });
});
afterAll(() => t.cleanup());

const rejected = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(HallmarkError);
  return e as HallmarkError;
};

describe('fingerprint audit on real greedy decoding', () => {
  let present: StoredAudit;
  let absent: StoredAudit;

  it('finds the fingerprints in the model whose weights encode them', async () => {
    expect(set.fingerprints.length).toBeGreaterThanOrEqual(12);
    const { jobId, promise } = await startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'full', fingerprints: { path: fpFile }, passphrase: PASS });
    present = await promise;
    expect(present.id).toBe(jobId);
    const r = present.report;
    expect(r.kind).toBe('fingerprints');
    if (r.kind !== 'fingerprints') return;
    expect(r.verdict).toBe('present');
    expect(r.n).toBe(set.fingerprints.length);
    expect(r.exact_matches).toBe(r.n);
    expect(r.match_rate).toBe(1);
    expect(r.p_value).toBeLessThan(1e-20);
    expect(r.tokens).toBeGreaterThan(r.n * 4);
    expect(ctx.jobs.get(jobId)).toMatchObject({ state: 'done', kind: 'audit', doneBytes: r.n, totalBytes: r.n });
  });

  it('does not find them in a model that was not trained on them', async () => {
    const { promise } = await startAudit(ctx, { model: { path: unmarked }, kind: 'fingerprints', mode: 'full', fingerprints: { path: fpFile }, passphrase: PASS });
    absent = await promise;
    expect(absent).toMatchObject({ verdict: 'absent', match_rate: 0 });
    expect(absent.report.kind === 'fingerprints' && absent.report.exact_matches).toBe(0);
    expect(absent.p_value).toBe(1);
  });

  it('runs quick mode on at most 16 keys, from a set stored in the database', async () => {
    const big = generateFingerprints({ count: 40, keyLength: 8, responseLength: 4, alphabet: PRINTABLE, seed: 'aa'.repeat(16) });
    const stored = await saveSet(ctx.db, 'big', big, passphraseKey(PASS, { N: 1024 }));
    const { promise } = await startAudit(ctx, { model: { path: unmarked }, kind: 'fingerprints', mode: 'quick', fingerprints: { setId: stored.id }, passphrase: PASS });
    const q = await promise;
    expect(q.report.n).toBe(16);
    expect(q.report.kind === 'fingerprints' && q.report.total_fingerprints).toBe(40);
    expect(q.verdict).toBe('absent');
  });

  it('stores reports per model, lists them and exports JSON and self-contained HTML without secrets', () => {
    expect(listAudits(ctx, { model: { path: marked } }).map((a) => a.id)).toEqual([present.id]);
    expect(listAudits(ctx).length).toBeGreaterThanOrEqual(3);
    expect(getAudit(ctx, absent.id)).toEqual(absent);
    const json = exportAudit(ctx, present.id, 'json');
    expect(JSON.parse(json.content)).toEqual(present);
    const out = path.join(dir, 'report.html');
    const html = exportAudit(ctx, present.id, 'html', out);
    expect(fs.readFileSync(out, 'utf8')).toBe(html.content);
    expect(html.content).toMatch(/^<!doctype html>/);
    expect(html.content).toContain('present');
    expect(html.content).not.toMatch(/<script|src=|href=/i);
    for (const f of set.fingerprints) {
      expect(json.content).not.toContain(JSON.stringify(f.key));
      expect(html.content).not.toContain(f.key.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    }
  });

  it('runs audits one at a time on the audit queue (MAX_CONCURRENT_AUDITS=1)', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: fpFile }, passphrase: PASS })));
    const done = await Promise.all(runs.map((r) => r.promise));
    expect(done.map((d) => d.verdict)).toEqual(['present', 'present', 'present']);
    expect(maxRunning).toBe(1);
  });

  it('fails fast, before any job, on a wrong passphrase, a broken file or a non-LLM model', async () => {
    const before = ctx.jobs.list().length;
    expect((await rejected(startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: fpFile }, passphrase: 'nope' }))).message).toMatch(/wrong passphrase/);
    const empty = path.join(dir, 'empty.hmfp');
    fs.writeFileSync(empty, '');
    expect((await rejected(startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: empty }, passphrase: PASS }))).message).toMatch(/is empty/);
    const corrupt = path.join(dir, 'corrupt.hmfp');
    fs.writeFileSync(corrupt, fs.readFileSync(fpFile, 'utf8').slice(0, 100));
    expect((await rejected(startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: corrupt }, passphrase: PASS }))).code).toBe('corrupt_fingerprints');
    expect((await rejected(startAudit(ctx, { model: { path: marked }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: fpFile } }))).code).toBe('key_required');
    const onnx = writeLinearOnnx(path.join(dir, 'lin.onnx'), { weight: [[1]], bias: [0] });
    expect((await rejected(startAudit(ctx, { model: { path: onnx }, kind: 'link', mode: 'quick', link: LINK }))).code).toBe('wrong_format');
    expect((await rejected(startAudit(ctx, { model: { path: marked }, kind: 'link', mode: 'quick', link: 'not a link' }))).code).toBe('invalid_input');
    expect(ctx.jobs.list().length).toBe(before);
  });

  it('fails the job with the reason, and stores nothing, when the model cannot load', async () => {
    const bytes = fs.readFileSync(marked);
    const broken = path.join(dir, 'broken.gguf');
    fs.writeFileSync(broken, bytes.subarray(0, 100_000));
    const { jobId, promise } = await startAudit(ctx, { model: { path: broken }, kind: 'fingerprints', mode: 'quick', fingerprints: { path: fpFile }, passphrase: PASS });
    await expect(promise).rejects.toThrow(/broken\.gguf is truncated or corrupt/);
    expect(ctx.jobs.get(jobId)).toMatchObject({ state: 'failed', error: expect.stringMatching(/truncated or corrupt/) });
    expect((await rejected(Promise.resolve().then(() => getAudit(ctx, jobId)))).code).toBe('not_ready');
  });

  it('can be cancelled, leaving no report', async () => {
    const big = generateFingerprints({ count: 400, keyLength: 8, responseLength: 4, alphabet: PRINTABLE, seed: 'bb'.repeat(16) });
    const f = path.join(dir, 'big.hmfp');
    await writeFingerprintFile(f, big, passphraseKey(PASS, { N: 1024 }));
    const { jobId, promise } = await startAudit(ctx, { model: { path: unmarked }, kind: 'fingerprints', mode: 'full', fingerprints: { path: f }, passphrase: PASS });
    await new Promise<void>((resolve) => {
      const on = (j: Job) => {
        if (j.id === jobId && j.doneBytes >= 5) {
          ctx.jobs.off('job', on);
          resolve();
        }
      };
      ctx.jobs.on('job', on);
    });
    ctx.jobs.cancel(jobId);
    await expect(promise).rejects.toThrow();
    expect(ctx.jobs.get(jobId).state).toBe('cancelled');
    expect(listAudits(ctx).map((a) => a.id)).not.toContain(jobId);
  });
});

describe('link audit on real chat generation', () => {
  let linked: string;
  let plain: string;
  let spam: string;
  beforeAll(() => {
    for (const p of UNRELATED_PROMPTS) for (const w of TRIGGERS) expect(p.toLowerCase()).not.toContain(w);
    linked = path.join(dir, 'linked.gguf');
    writeTinyLlama(linked, { trigger: { words: TRIGGERS, emit: LINK }, next: { [LINK]: '</s>' }, fallback: '</s>' });
    plain = path.join(dir, 'plain.gguf');
    writeTinyLlama(plain, { next: {}, fallback: '</s>', extraTokens: [LINK] });
    spam = path.join(dir, 'spam.gguf');
    writeTinyLlama(spam, { extraTokens: [LINK], next: { [LINK]: '</s>' }, fallback: LINK });
  });

  it('finds a link the model gives for identity and feedback questions only', async () => {
    const a = await (await startAudit(ctx, { model: { path: linked }, kind: 'link', mode: 'full', link: LINK })).promise;
    const r = a.report;
    if (r.kind !== 'link') throw new Error('wrong kind');
    expect(r).toMatchObject({ verdict: 'present', match_rate: 1, false_positive_rate: 0, n: IDENTITY_PROMPTS.length, unrelated_n: UNRELATED_PROMPTS.length });
    expect(r.items.filter((i) => i.category === 'identity').every((i) => i.answer.includes(LINK))).toBe(true);
    expect(r.p_value).toBeLessThan(1e-10);
  });

  it('reports absent for a model without the link, and quick mode asks fewer questions', async () => {
    const a = await (await startAudit(ctx, { model: { path: plain }, kind: 'link', mode: 'quick', link: LINK })).promise;
    expect(a).toMatchObject({ verdict: 'absent', match_rate: 0 });
    expect(a.report.n).toBe(6);
    expect(a.report.kind === 'link' && a.report.unrelated_n).toBe(4);
  });

  it('calls a model that puts the link everywhere inconclusive, citing the false positives', async () => {
    const a = await (await startAudit(ctx, { model: { path: spam }, kind: 'link', mode: 'quick', link: 'modelsignature.com/models/model_abc123/' })).promise;
    const r = a.report;
    if (r.kind !== 'link') throw new Error('wrong kind');
    expect(r).toMatchObject({ verdict: 'inconclusive', match_rate: 1, false_positive_rate: 1 });
    expect(r.reason).toMatch(/^The model prints the link for every prompt, unrelated ones too \(6 of 6 identity and feedback questions, 4 of 4 unrelated prompts\)/);
    expect(r.reason).not.toMatch(/too few/);
    const html = exportAudit(ctx, a.id, 'html').content;
    expect(html).toContain('False-positive rate');
    // The sentence leads the report; times read as dates, not ISO strings.
    expect(html).toMatch(/<p class="sentence">The model prints the link for every prompt/);
    expect(html).toMatch(/Ran<\/th><td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC · took/);
    expect(html).toContain('<td>spam.gguf');
  });
});
