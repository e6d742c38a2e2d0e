import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-cli-'));
const home = path.join(dir, 'home');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hallmark = cliRunner(home);

describe('hallmark CLI (registry)', () => {
  it('follows the documented JSON shapes and exit codes', async () => {
    const f = path.join(dir, 'clf.onnx');
    fs.writeFileSync(f, 'onnx-bytes-v1');
    const imp = await hallmark('--json', 'import', f, '--allow-unknown', '--tag', 'demo', '--metrics', '{"acc":0.91}');
    expect(imp.code).toBe(0);
    expect(imp.json).toMatchObject({ model: 'clf', version: 1, created: true, files: [{ path: 'clf.onnx', size: 13 }] });
    expect(imp.stderr).toMatch(/import 100%/); // progress goes to stderr

    const list = await hallmark('--json', 'list', 'clf');
    expect(list.json).toEqual([expect.objectContaining({ model: 'clf', version: 1, stage: 'none', framework: 'onnx', tags: ['demo'], created_at: expect.any(String) })]);

    const promote = await hallmark('--json', 'promote', 'clf@1', 'production');
    expect(promote.json).toMatchObject({ model: 'clf', version: 1, stage: 'production' });

    const versions = await hallmark('--json', 'versions', 'clf');
    expect(versions.json[0]).toMatchObject({ version: 1, stage: 'production', files: 1, metrics: { acc: 0.91 }, parent: null });

    const verify = await hallmark('--json', 'verify', 'clf@1');
    expect(verify).toMatchObject({ code: 0, json: { ok: true, mismatches: [] } });

    // In place, then changed on disk: verify exits 1 and lists the mismatch.
    const g = path.join(dir, 'inplace.bin');
    fs.writeFileSync(g, 'original');
    expect((await hallmark('import', g, '--in-place', '--allow-unknown')).code).toBe(0);
    fs.writeFileSync(g, 'tampered');
    const bad = await hallmark('--json', 'verify', 'inplace');
    expect(bad.code).toBe(1);
    expect(bad.json.mismatches[0]).toMatchObject({ path: 'inplace.bin' });

    const out = path.join(dir, 'clf.zip');
    const exp = await hallmark('--json', 'export', 'clf@1', out);
    expect(exp.json).toEqual({ path: out, bytes: fs.statSync(out).size });

    fs.writeFileSync(f, 'onnx-bytes-v2');
    await hallmark('import', f, '--allow-unknown', '--metrics', '{"acc":0.95}');
    const cmp = await hallmark('--json', 'compare', 'clf@1', 'clf@2');
    expect(cmp.json.metrics).toEqual([{ key: 'acc', a: 0.91, b: 0.95, delta: expect.closeTo(0.04, 9) }]);
    expect(cmp.json.files.changed[0].path).toBe('clf.onnx');
  });

  it('promote refuses a version with critical findings unless --force, naming them (exit 2)', async () => {
    // protocol-2 pickle: os.system("echo pwned") on load.
    const arg = Buffer.from('echo pwned');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(arg.length);
    const f = path.join(dir, 'crash.pkl');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), len, arg, Buffer.from('q\x01\x85q\x02Rq\x03.', 'latin1')]));
    const imp = await hallmark('import', f);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/imported crash@1 \(1 file\(s\)\) with \d+ critical finding/);
    const impJson = await hallmark('--json', 'import', f);
    expect(impJson.json.danger).toMatchObject({ critical: expect.any(Number), rules: expect.arrayContaining([expect.objectContaining({ severity: 'critical', file: 'crash.pkl' })]) });

    const refused = await hallmark('promote', 'crash@1', 'production');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/refusing to promote crash@1 to production: it has \d+ critical finding.*in crash\.pkl.*--force/);
    expect((await hallmark('--json', 'versions', 'crash')).json[0].stage).toBe('none');
    // Archiving or clearing the stage never needs --force.
    expect((await hallmark('promote', 'crash@1', 'archived')).code).toBe(0);

    const forced = await hallmark('--json', 'promote', 'crash@1', 'production', '--force');
    expect(forced.code).toBe(0);
    expect(forced.json).toMatchObject({ model: 'crash', version: 1, stage: 'production' });
    expect(forced.stderr).toMatch(/warning: promoted despite \d+ critical finding/);
  });

  it('usage errors and failures exit 2 with a one-line reason', async () => {
    expect((await hallmark('promote', 'clf', 'production')).stderr).toMatch(/needs a version/);
    expect((await hallmark('promote', 'clf@1', 'gold')).code).toBe(2);
    const badJson = await hallmark('import', path.join(dir, 'clf.onnx'), '--metrics', '{acc:1}');
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--metrics is not valid JSON/);
    expect((await hallmark('import', '/dev/null')).stderr).toMatch(/character device/);
    expect((await hallmark('verify', 'ghost')).stderr).toMatch(/no model named "ghost"/);
    expect((await hallmark('frobnicate')).code).toBe(2);
  });
});

describe('hallmark gc', () => {
  it('removes blobs no version references (an import killed before its commit) and keeps the rest', async () => {
    const gcHome = path.join(dir, 'gc-home');
    const gc = cliRunner(gcHome);
    const kept = path.join(dir, 'kept.bin');
    fs.writeFileSync(kept, 'referenced bytes');
    expect((await gc('import', kept, '--allow-unknown')).code).toBe(0);
    // A blob copied in but never committed, as a crash between copy and commit leaves it.
    const { AppContext } = await import('../../electron/services/AppContext');
    const ctx = AppContext.open({ home: gcHome });
    const orphanSrc = path.join(dir, 'orphan.bin');
    fs.writeFileSync(orphanSrc, 'orphaned bytes');
    const orphan = await ctx.blobs.ingestFile(orphanSrc);
    const keptSha = (ctx.db.prepare(`SELECT sha256 FROM version_files`).get() as { sha256: string }).sha256;
    await ctx.dispose();

    const r = await gc('--json', 'gc');
    expect(r).toMatchObject({ code: 0, json: { removed: 1 } });
    const after = AppContext.open({ home: gcHome });
    try {
      expect(after.blobs.has(orphan.sha256)).toBe(false);
      expect(after.blobs.has(keptSha)).toBe(true);
      expect(fs.readdirSync(after.blobs.trash)).toEqual([]);
    } finally {
      await after.dispose();
    }
    expect((await gc('--json', 'gc')).json).toEqual({ removed: 0 });
  });
});
