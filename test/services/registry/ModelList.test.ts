// The Models table's row extras: parameters (from inspection), latest scan and audit verdicts, the
// sort and filter on them, verdict facets, and the scan/audit part of compare.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportOptions } from '../../../electron/contract/registry';
import { Registry } from '../../../electron/services/registry/Registry';
import { bytes, importInto, tempHome, writeAt } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
let reg: Registry;
const imp = (o: ImportOptions) => importInto(t.ctx, o);
const file = (name: string, data: Buffer | string) => writeAt(t.dir, name, data);

/** A real safetensors file: one F32 tensor of the given shape. */
function safetensors(shape: number[]): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape, data_offsets: [0, n * 4] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(n * 4)]);
}

/** protocol-2 pickle: os.system("echo pwned") on load. */
function evilPickle(): Buffer {
  const arg = Buffer.from('echo pwned');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(arg.length);
  return Buffer.concat([Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), len, arg, Buffer.from('q\x01\x85q\x02Rq\x03.', 'latin1')]);
}

function addAudit(model: string, version: number, verdict: 'present' | 'absent' | 'inconclusive', finishedAt: string): void {
  const v = reg.version(model, version);
  t.ctx.db.prepare(`INSERT INTO audits (id, model_key, model_label, version_id, model_path, kind, mode, verdict, match_rate, p_value, report, started_at, finished_at)
    VALUES (?, ?, ?, ?, '/x', 'fingerprints', 'quick', ?, 0.9, 0.001, '{}', ?, ?)`).run(`a-${model}-${finishedAt}`, `${model}@${version}`, model, v.id, verdict, finishedAt, finishedAt);
}

beforeEach(() => {
  t = tempHome();
  reg = new Registry(t.ctx.db, t.ctx.blobs);
});
afterEach(async () => t.cleanup());

describe('Models list extras', () => {
  it('lists parameters, the latest scan and audit of the latest version, sorts and filters on them', async () => {
    await imp({ path: file('a/weights.safetensors', safetensors([4, 8])), name: 'clean-st' });
    await imp({ path: file('b/evil.pkl', evilPickle()), name: 'evil' });
    await imp({ path: file('c/blob.bin', bytes(64, 3)), name: 'plain' });
    // "plain" never finished a scan.
    t.ctx.db.prepare(`DELETE FROM scans WHERE version_id = ?`).run(reg.version('plain', 1).id);
    addAudit('clean-st', 1, 'absent', '2024-01-01T00:00:00.000Z');
    addAudit('clean-st', 1, 'present', '2024-02-01T00:00:00.000Z');

    const rows = new Map(reg.listModels({}).rows.map((r) => [r.name, r]));
    expect(rows.get('clean-st')!.parameters).toBe(32);
    expect(rows.get('clean-st')!.scan).toMatchObject({ verdict: 'clean', findings: 0 });
    expect(rows.get('clean-st')!.audit).toMatchObject({ verdict: 'present', kind: 'fingerprints', matchRate: 0.9 });
    expect(rows.get('evil')!.scan).toMatchObject({ verdict: 'findings' });
    expect(rows.get('evil')!.scan!.findings).toBeGreaterThan(0);
    expect(['critical', 'high']).toContain(rows.get('evil')!.scan!.worst);
    expect(rows.get('evil')!.audit).toBeNull();
    expect(rows.get('plain')!.scan).toBeNull();
    expect(rows.get('plain')!.parameters).toBeNull();
    // model() carries the same fields.
    expect(reg.model('clean-st').parameters).toBe(32);

    expect(reg.listModels({ sort: 'scan', dir: 'desc' }).rows.map((r) => r.name)).toEqual(['evil', 'clean-st', 'plain']);
    expect(reg.listModels({ sort: 'audit', dir: 'desc' }).rows[0]!.name).toBe('clean-st');
    expect(reg.listModels({ sort: 'params', dir: 'desc' }).rows[0]!.name).toBe('clean-st');
    expect(reg.listModels({ sort: 'signature' }).total).toBe(3);
    expect(reg.listVersions({ sort: 'scan', dir: 'desc' }).rows[0]!.model).toBe('evil');

    expect(reg.listModels({ scanVerdict: 'findings' }).rows.map((r) => r.name)).toEqual(['evil']);
    expect(reg.listModels({ scanVerdict: 'clean' }).rows.map((r) => r.name)).toEqual(['clean-st']);
    const ns = reg.listModels({ scanVerdict: 'not_scanned' });
    expect([ns.total, ns.rows.map((r) => r.name)]).toEqual([1, ['plain']]);
    expect(Object.fromEntries(reg.facets().scanVerdicts.map((f) => [f.value, f.count]))).toEqual({ clean: 1, findings: 1, not_scanned: 1 });
  });

  it('compare reports both scans, the findings that appeared or were resolved, and both audits', async () => {
    await imp({ path: file('v1/model.pkl', evilPickle()), name: 'm' });
    await imp({ path: file('v2/model.safetensors', safetensors([2, 2])), name: 'm' });
    addAudit('m', 2, 'absent', '2024-03-01T00:00:00.000Z');
    const c = reg.compare('m', 1, 2);
    expect(c.scan.a).toMatchObject({ verdict: 'findings' });
    expect(c.scan.b).toMatchObject({ verdict: 'clean' });
    expect(c.scan.resolved.length).toBeGreaterThan(0);
    expect(c.scan.resolved.map((f) => f.file)).toContain('model.pkl');
    expect(c.scan.added).toEqual([]);
    expect(c.audit).toMatchObject({ a: null, b: { verdict: 'absent' } });
    const back = reg.compare('m', 2, 1);
    expect(back.scan.added.length).toBe(c.scan.resolved.length);
  });
});
