import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFingerprints } from '../../electron/services/audit/fingerprints';
import { passphraseKey, writeFingerprintFile } from '../../electron/services/audit/FingerprintStore';
import { consistentSubset, writeFingerprintedModel, writeShiftModel } from '../fixtures/gguf/fingerprintModel';
import { writeHugeLlamaHeader, writeTinyLlama } from '../fixtures/gguf/writeGguf';
import { writeLinearOnnx } from '../fixtures/onnx/writeOnnx';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-run-cli-'));
const home = path.join(dir, 'home');
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
let marked: string;
let unmarked: string;
let fpFile: string;
let onnx: string;

const hallmark = cliRunner(home);

beforeAll(async () => {
  process.env.HM_TEST_PW = 'cli passphrase';
  const all = generateFingerprints({ count: 96, keyLength: 8, responseLength: 4, alphabet: PRINTABLE, seed: '11'.repeat(16) });
  const { subset, next } = consistentSubset(all.fingerprints);
  fpFile = path.join(dir, 'owner.hmfp');
  await writeFingerprintFile(fpFile, { ...all, params: { ...all.params, count: subset.length }, fingerprints: subset }, passphraseKey('cli passphrase'));
  marked = writeFingerprintedModel(path.join(dir, 'marked.gguf'), next);
  unmarked = writeShiftModel(path.join(dir, 'unmarked.gguf'), PRINTABLE);
  onnx = writeLinearOnnx(path.join(dir, 'lin.onnx'), { weight: [[1, 2], [3, 4], [5, 6]], bias: [0.5, -0.5] });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hallmark gpu / run', () => {
  it('prints the documented gpu shape', async () => {
    const r = await hallmark('--json', 'gpu', '--cpu');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ backend: 'cpu', devices: expect.any(Array), ram_bytes: os.totalmem() });
    expect((await hallmark('gpu', '--cpu')).stdout).toMatch(/^backend: cpu/);
  });

  it('runs ONNX from JSON and CSV, and a GGUF prompt, printing model outputs', async () => {
    const j = path.join(dir, 'x.json');
    fs.writeFileSync(j, JSON.stringify({ x: [[1, 1, 1]] }));
    const r = await hallmark('--json', 'run', onnx, '--input', j, '--cpu');
    expect(r.code).toBe(0);
    expect(r.json.outputs).toEqual([{ name: 'y', type: 'float32', dims: [1, 2], data: [9.5, 11.5] }]);
    const c = path.join(dir, 'x.csv');
    fs.writeFileSync(c, 'f1,f2,f3\n1,0,0\n0,1,0\n');
    expect((await hallmark('run', onnx, '--input', c, '--cpu')).stdout).toMatch(/^y float32\[2, 2\]: \[1\.5,1\.5,3\.5,3\.5\]/);

    const tiny = path.join(dir, 'tiny.gguf');
    writeTinyLlama(tiny, { next: { a: 'b', b: 'c', c: '</s>' } });
    const p = path.join(dir, 'prompt.json');
    fs.writeFileSync(p, JSON.stringify({ prompt: 'a', maxTokens: 8 }));
    const g = await hallmark('--json', 'run', tiny, '--input', p, '--cpu');
    expect(g).toMatchObject({ code: 0, json: { text: 'bc', tokens: 2, stop_reason: 'eogToken' } });
  });

  it('runs a registered model by NAME and NAME@VERSION, and refuses a version that does not exist', async () => {
    const reg = path.join(dir, 'registered.onnx');
    fs.copyFileSync(onnx, reg);
    expect((await hallmark('--json', 'import', reg)).code).toBe(0);
    const j = path.join(dir, 'one.json');
    fs.writeFileSync(j, JSON.stringify({ x: [[0, 0, 1]] }));
    for (const ref of ['registered', 'registered@1']) {
      const r = await hallmark('--json', 'run', ref, '--input', j, '--cpu');
      expect(r).toMatchObject({ code: 0, json: { model: 'registered@1', outputs: [{ name: 'y', data: [5.5, 5.5] }] } });
    }
    expect((await hallmark('run', 'registered@2', '--input', j)).code).toBe(2);
  });

  it('exits 2 with a one-line reason on bad input and on a model too large', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ x: [[1, 2]] }));
    const r = await hallmark('--json', 'run', onnx, '--input', bad, '--cpu');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('hallmark: input "x" expects float32[batch, 3], got shape [1, 2] (dimension 1 must be 3)\n');
    const huge = path.join(dir, 'huge.gguf');
    writeHugeLlamaHeader(huge, (2 * os.totalmem()) / 4e9);
    fs.writeFileSync(path.join(dir, 'p.txt'), 'hello');
    const h = await hallmark('run', huge, '--input', path.join(dir, 'p.txt'), '--cpu');
    expect(h.code).toBe(2);
    expect(h.stderr).toMatch(/^hallmark: refusing to load: huge\.gguf needs about .* but this machine has/);
    expect((await hallmark('run', 'nosuchmodel@1', '--input', bad)).stderr).toMatch(/hallmark: .*nosuchmodel/);
  });
});

describe('hallmark fingerprints / audit', () => {
  it('generates an encrypted set and exports it for a trainer', async () => {
    const out = path.join(dir, 'gen.hmfp');
    const g = await hallmark('--json', 'fingerprints', 'generate', '--count', '8', '--key-length', '16', '--response-length', '8', '--out', out, '--passphrase-env', 'HM_TEST_PW');
    expect(g).toMatchObject({ code: 0, json: { path: out, count: 8 } });
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).format).toBe('hallmark-fingerprints+aes-256-gcm');
    const t = path.join(dir, 'train.jsonl');
    const e = await hallmark('--json', 'fingerprints', 'export', out, '--out', t, '--format', 'jsonl', '--passphrase-env', 'HM_TEST_PW');
    expect(e).toMatchObject({ code: 0, json: { count: 8, format: 'jsonl' } });
    const lines = fs.readFileSync(t, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    expect(lines[0].prompt).toMatch(/^[a-z0-9]{16}$/);

    const noPw = await hallmark('fingerprints', 'generate', '--count', '8', '--key-length', '16', '--response-length', '8', '--out', out, '--passphrase-env', 'HM_UNSET_VAR');
    expect(noPw).toMatchObject({ code: 2, stderr: 'hallmark: fingerprints are encrypted at rest: put the passphrase in $HM_UNSET_VAR\n' });
  });

  it('audit exits 0 when the fingerprints are present, 1 when absent, with the JSON result', async () => {
    const html = path.join(dir, 'report.html');
    const yes = await hallmark('--json', 'audit', marked, '--fingerprints', fpFile, '--mode', 'full', '--passphrase-env', 'HM_TEST_PW', '--html', html, '--cpu');
    expect(yes.code).toBe(0);
    expect(yes.json).toMatchObject({ verdict: 'present', match_rate: 1, kind: 'fingerprints', mode: 'full', model: 'marked.gguf' });
    expect(yes.json.p_value).toBeLessThan(1e-10);
    expect(yes.stderr).toMatch(/audit \d+\/\d+/);
    expect(fs.readFileSync(html, 'utf8')).toContain('<!doctype html>');

    const no = await hallmark('--json', 'audit', unmarked, '--fingerprints', fpFile, '--passphrase-env', 'HM_TEST_PW', '--cpu');
    expect(no.code).toBe(1);
    expect(no.json).toMatchObject({ verdict: 'absent', match_rate: 0 });
    expect(no.stderr).not.toMatch(/hallmark:/);

    const link = await hallmark('audit', unmarked, '--link', 'https://example.com/m/1', '--cpu');
    expect(link.code).toBe(1);
    expect(link.stdout).toMatch(/^absent: 0\/6 identity answers gave the link/);
  });

  it('audit exits 2 on a wrong passphrase, a corrupt file, or bad usage', async () => {
    process.env.HM_WRONG = 'not it';
    const wrong = await hallmark('--json', 'audit', marked, '--fingerprints', fpFile, '--passphrase-env', 'HM_WRONG');
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toMatch(/^hallmark: wrong passphrase/);
    const corrupt = path.join(dir, 'corrupt.hmfp');
    fs.writeFileSync(corrupt, '{"format": "hallmark-fingerprints+aes-256-gcm", "version": 1}');
    expect((await hallmark('audit', marked, '--fingerprints', corrupt, '--passphrase-env', 'HM_TEST_PW')).stderr).toMatch(/damaged fingerprint file/);
    expect((await hallmark('audit', marked)).code).toBe(2);
    expect((await hallmark('audit', marked, '--link', 'x.io/a', '--mode', 'deep')).stderr).toMatch(/--mode must be quick or full/);
  });
});
