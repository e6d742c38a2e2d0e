// Every malicious sample in the corpus is detected with the rules it is about; every benign
// look-alike is clean (no finding above info).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getCorpus, type Sample } from '../../fixtures/corpus/index';
import { inspectPath, inspectSource } from '../../../electron/services/formats/inspect';
import { BufferSource } from '../../../electron/services/formats/io';
import { RULES } from '../../../electron/services/formats/finding';
import { scanPaths, type FileReport } from '../../../electron/services/scan/scanner';
import { zipBytes } from '../../fixtures/corpus/index';

let root: string;
let samples: Sample[];
const results = new Map<string, FileReport[]>();

beforeAll(async () => {
  ({ root, samples } = await getCorpus());
  const report = await scanPaths(samples.map((s) => path.join(root, s.path)));
  for (const s of samples) {
    const abs = path.join(root, s.path);
    results.set(s.path, report.files.filter((f) => f.path === abs || f.path.startsWith(abs + path.sep)));
  }
});

describe('scan corpus', () => {
  it('has a broad corpus', () => {
    expect(samples.filter((s) => s.expect === 'malicious').length).toBeGreaterThan(100);
    expect(samples.filter((s) => s.expect === 'benign').length).toBeGreaterThan(60);
  });

  // A sample the report left out would pass the checks below vacuously: every one must be reported.
  it('reports every sample (a file, or the files of a folder sample)', () => {
    const missing = samples.filter((s) => !results.get(s.path)?.length).map((s) => s.path);
    expect(missing).toEqual([]);
  });

  // SARIF and the Security tab explain a finding from the rule catalog: a rule missing there says nothing.
  it('reports only rules the catalog explains', () => {
    const unknown = new Set([...results.values()].flat().flatMap((f) => f.findings).map((f) => f.rule).filter((r) => !RULES[r]));
    expect([...unknown]).toEqual([]);
  });

  it('detects every malicious sample with its rules', () => {
    const misses: string[] = [];
    for (const s of samples.filter((x) => x.expect === 'malicious')) {
      const findings = results.get(s.path)!.flatMap((f) => f.findings);
      const rules = new Set(findings.map((f) => f.rule));
      const missing = s.rules.filter((r) => !rules.has(r));
      const serious = findings.some((f) => f.severity !== 'info' && f.severity !== 'low');
      if (missing.length || !serious) misses.push(`${s.path}: missing ${missing.join(', ') || '(no medium+ finding)'}; got ${[...rules].join(', ')}`);
    }
    expect(misses).toEqual([]);
  });

  it('reports nothing above info for benign look-alikes', () => {
    const fps: string[] = [];
    for (const s of samples.filter((x) => x.expect === 'benign')) {
      for (const f of results.get(s.path)!.flatMap((r) => r.findings)) if (f.severity !== 'info') fps.push(`${s.path}: ${f.severity} ${f.rule} ${f.detail}`);
    }
    expect(fps).toEqual([]);
  });

  it('locates findings and names the callable', () => {
    const f = results.get('malicious/os_system_p2.pkl')![0]!.findings.find((x) => x.rule === 'pickle.dangerous-import')!;
    expect(f).toMatchObject({ severity: 'critical', location: expect.stringMatching(/^byte \d+, opcode \d+$/) });
    expect(f.detail).toContain('posix.system');
    expect(f.detail).toContain('echo pwned');
    const m = results.get('malicious/torch_zip_payload.pt')![0]!.findings.find((x) => x.rule === 'pickle.dangerous-import')!;
    expect(m.file).toMatch(/torch_zip_payload\.pt!archive\/data\.pkl$/);
  });

  it('gives the same report with blocking reads (the CLI mode) as with async reads (the app)', async () => {
    const paths = samples.map((s) => path.join(root, s.path));
    const [a, b] = await Promise.all([scanPaths(paths), scanPaths(paths, { blockingIo: true })]);
    const strip = (r: typeof a): unknown => r.files.map((f) => ({ path: f.path, format: f.format, bytes: f.bytes, findings: f.findings, error: f.error }));
    expect(strip(b)).toEqual(strip(a));
  });

  it('detects formats from bytes', () => {
    const fmt = (p: string): string => results.get(p)![0]!.format;
    expect(fmt('benign/torch_state_dict.pt')).toBe('pytorch');
    expect(fmt('benign/torch_legacy.pt')).toBe('pytorch-legacy');
    expect(fmt('benign/model.joblib')).toBe('joblib');
    expect(fmt('benign/model.joblib.gz')).toBe('joblib');
    expect(fmt('benign/arrays.npz')).toBe('npz');
    expect(fmt('benign/tiny-llama.gguf')).toBe('gguf');
    expect(fmt('benign/model.safetensors')).toBe('safetensors');
    expect(fmt('benign/model.onnx')).toBe('onnx');
    expect(fmt('benign/model.keras')).toBe('keras');
    expect(fmt('benign/model.h5')).toBe('keras-h5');
    expect(fmt('benign/xgb.json')).toBe('xgboost');
    expect(fmt('benign/lgbm.txt')).toBe('lightgbm');
    expect(fmt('benign/model.cbm')).toBe('catboost');
    expect(fmt('malicious/disguised.safetensors')).toBe('pickle');
    expect(fmt('benign/bundle.tar.gz')).toBe('tar');
  });

  // One detection function serves both: a file inspect calls one format must not be scanned as another.
  it('inspect and scan say the same format for every file', async () => {
    const differ: string[] = [];
    for (const f of [...results.values()].flat()) {
      const i = await inspectPath(f.path);
      if (i.format !== f.format) differ.push(`${path.relative(root, f.path)}: scan ${f.format}, inspect ${i.format}`);
    }
    expect(differ).toEqual([]);
  });

  it('classes files whose format shows only in their name the same way in inspect and scan', async () => {
    // keras.saving.load_model opens any zip named .keras; a bare config.json is all it needs.
    const keras = await zipBytes([['config.json', JSON.stringify({ class_name: 'Sequential', config: { layers: [] } })]]);
    expect((await inspectSource(new BufferSource('m.keras', keras))).format).toBe('keras');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-keras-'));
    fs.writeFileSync(path.join(dir, 'm.keras'), keras);
    try {
      expect((await scanPaths([path.join(dir, 'm.keras')])).files[0]!.format).toBe('keras');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect((await inspectSource(new BufferSource('m.zip', keras))).format).toBe('zip');
    const meta = results.get('malicious/savedmodel_keras_lambda')!.find((f) => f.path.endsWith('keras_metadata.pb'))!;
    expect(meta.format).toBe('tf-savedmodel');
    expect(await inspectPath(meta.path)).toMatchObject({ format: 'tf-savedmodel', variant: 'keras-metadata', objectCount: 1 });
  });
});
