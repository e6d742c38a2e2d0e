// Post-import hook: every imported version is inspected and scanned, results stored and served by
// the scan.* / inspect.* handlers (vault blobs are judged by their version-relative names).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../../electron/services/AppContext';
import { scanHandlers } from '../../../electron/services/api/scan';
import { importPath } from '../../../electron/services/registry/Importer';
import { inspectAndScan } from '../../../electron/services/scan/plugin';
import { getCorpus } from '../../fixtures/corpus/index';

let root: string;
let home: string;
let ctx: AppContext;

beforeAll(async () => {
  root = (await getCorpus()).root;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-scanver-'));
  ctx = AppContext.open({ home, versionHooks: [inspectAndScan] });
});

afterAll(async () => {
  await ctx.dispose();
  fs.rmSync(home, { recursive: true, force: true });
});

const imp = (rel: string, name: string) => ctx.jobs.run({ kind: 'import', title: name }, (job) => importPath(ctx, { path: path.join(root, rel), name }, job));
const call = <K extends keyof typeof scanHandlers>(k: K, input: unknown) => (scanHandlers[k] as (i: unknown, c: AppContext) => unknown)(input, ctx);

describe('version inspect + scan', () => {
  it('inspects and scans a clean single-file import', async () => {
    await imp('benign/tiny-llama.gguf', 'tiny');
    const insp = (await call('inspect.version', { name: 'tiny' })) as { format: string; inspection: Record<string, unknown>; files: unknown[] };
    expect(insp.format).toBe('gguf');
    expect(insp.inspection).toMatchObject({ format: 'gguf', architecture: 'llama', contextLength: 2048, name: 'tiny-llama.gguf' });
    const latest = (await call('scan.latest', { name: 'tiny' })) as { verdict: string; model: string; version: number; counts: { critical: number } };
    expect(latest).toMatchObject({ verdict: 'clean', model: 'tiny', version: 1 });
    const fmt = ctx.db.prepare(`SELECT format FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'tiny'`).get() as { format: string };
    expect(fmt.format).toBe('gguf');
  });

  it('stores findings for a malicious import and filters, exports JSON and SARIF', async () => {
    await imp('malicious/torch_zip_payload.pt', 'evil');
    const list = (await call('scan.list', { verdict: 'findings', limit: 100, offset: 0 })) as { total: number; runs: Array<{ id: number; model: string; worst: string }> };
    const run = list.runs.find((r) => r.model === 'evil')!;
    expect(run.worst).toBe('critical');
    const bySev = (await call('scan.list', { minSeverity: 'critical', limit: 100, offset: 0 })) as { runs: Array<{ model: string }> };
    expect(bySev.runs.map((r) => r.model)).toContain('evil');
    const byRule = (await call('scan.list', { rule: 'pickle.dangerous-import', limit: 100, offset: 0 })) as { runs: Array<{ model: string }> };
    expect(byRule.runs.map((r) => r.model)).toEqual(['evil']);
    const detail = (await call('scan.get', { id: run.id, minSeverity: 'high' })) as { files: Array<{ path: string; findings: Array<{ rule: string; file: string }> }> };
    expect(detail.files[0]!.findings[0]).toMatchObject({ rule: 'pickle.dangerous-import', file: 'torch_zip_payload.pt!archive/data.pkl' });
    const sarif = (await call('scan.export', { id: run.id, format: 'sarif' })) as { filename: string; content: string };
    expect(sarif.filename).toMatch(/\.sarif$/);
    expect(JSON.parse(sarif.content).version).toBe('2.1.0');
    const json = (await call('scan.export', { id: run.id, format: 'json' })) as { content: string };
    expect(JSON.parse(json.content).files[0].findings.length).toBeGreaterThan(0);
  });

  it('resolves names and external data among the version files, not the vault layout', async () => {
    await imp('benign/onnx_external', 'onnx-ext');
    expect(await call('scan.latest', { name: 'onnx-ext' })).toMatchObject({ verdict: 'clean' });
    await imp('malicious/hf_disguised_bin', 'disguised');
    const run = (await call('scan.latest', { name: 'disguised' })) as { id: number };
    const d = (await call('scan.get', { id: run.id, minSeverity: 'high' })) as { files: Array<{ findings: Array<{ rule: string }> }> };
    expect(d.files.flatMap((f) => f.findings.map((x) => x.rule))).toEqual(expect.arrayContaining(['file.disguised', 'pickle.dangerous-import']));
    await imp('benign/hf_model', 'hf');
    const insp = (await call('inspect.version', { name: 'hf' })) as { format: string; inspection: { config: Record<string, unknown> } };
    expect(insp.format).toBe('hf-folder');
    expect(insp.inspection.config).toMatchObject({ model_type: 'llama' });
  });

  it('re-scans on demand in a job', async () => {
    const { jobId } = (await call('scan.version', { name: 'evil' })) as { jobId: string };
    const job = await ctx.jobs.wait(jobId, 30_000);
    expect(job.state).toBe('done');
    expect(job.result).toMatchObject({ verdict: 'findings' });
    expect(((await call('scan.list', { name: 'evil', limit: 10, offset: 0 })) as { total: number }).total).toBe(2);
  });

  it('lists a model\'s runs across all its versions, or one version\'s', async () => {
    const before = (await call('scan.list', { name: 'evil', limit: 100, offset: 0 })) as { total: number; runs: Array<{ model: string; version: number }> };
    // A second version of the same model: its import scan joins the model's list.
    await ctx.jobs.run({ kind: 'import', title: 'v2' }, (job) => importPath(ctx, { path: path.join(root, 'benign/model.onnx'), name: 'evil', newVersion: true }, job));
    const all = (await call('scan.list', { name: 'evil', limit: 100, offset: 0 })) as { total: number; runs: Array<{ model: string; version: number }> };
    expect(all.total).toBe(before.total + 1);
    expect(new Set(all.runs.map((r) => r.version)).size).toBe(2);
    expect(all.runs.every((r) => r.model === 'evil')).toBe(true);
    const v1 = (await call('scan.list', { name: 'evil', version: 1, limit: 100, offset: 0 })) as { total: number };
    expect(v1.total).toBe(before.total);
    await expect(Promise.resolve().then(() => call('scan.list', { name: 'no-such-model', limit: 10, offset: 0 }))).rejects.toMatchObject({ code: 'not_found' });
  });

  it('scans ad-hoc paths and lists rules', async () => {
    const r = (await call('scan.paths', { paths: [path.join(root, 'benign/model.onnx')], store: true })) as { scanId: number; files: unknown[] };
    expect(r.scanId).toBeGreaterThan(0);
    expect(((await call('scan.rules', {})) as Array<{ id: string }>).map((x) => x.id)).toContain('pickle.dangerous-import');
    expect(await call('inspect.path', { path: path.join(root, 'benign/model.onnx') })).toMatchObject({ format: 'onnx', opset: 17 });
  });
});

describe('cancellation', () => {
  it('stops a scan instead of reporting a finding', async () => {
    const { scanPaths, ScanCancelledError } = await import('../../../electron/services/scan/scanner');
    const ac = new AbortController();
    ac.abort();
    await expect(scanPaths([path.join(root, 'benign/hf_model')], { signal: ac.signal })).rejects.toBeInstanceOf(ScanCancelledError);
  });
});
