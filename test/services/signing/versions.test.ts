// Signatures of registry versions: checked on import (the version hook), stored per version, shown and
// filtered in the Models list, re-checked by `hallmark verify`, made by `hallmark sign`; and the shipped
// Sigstore trusted root is the one @sigstore/tuf embeds.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStatement } from '../../../electron/services/signing/versions';
import { buildStatement } from '../../../electron/services/signing/manifest';
import { loadCheck } from '../../../electron/services/signing/store';
import { cliRunner } from '../../helpers/cli';
import { bytes, importInto, tempHome, writeAt } from '../../helpers/tempHome';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
let t: ReturnType<typeof tempHome>;
let keyFile: string;
let pubFile: string;
let priv: crypto.KeyObject;

function signedFolder(name: string, tamper = false): string {
  const dir = path.join(t.dir, name);
  const w = bytes(20_000, 5);
  writeAt(dir, 'weights.bin', w);
  writeAt(dir, 'config.json', '{}');
  fs.writeFileSync(path.join(dir, 'model.sig'), signStatement(buildStatement(name, [{ path: 'weights.bin', sha256: sha(w) }, { path: 'config.json', sha256: sha('{}') }], ['.git', 'model.sig']), priv));
  if (tamper) writeAt(dir, 'config.json', '{"evil": true}');
  return dir;
}

beforeAll(() => {
  t = tempHome();
  const kp = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  priv = kp.privateKey;
  keyFile = path.join(t.dir, 'k.pem');
  pubFile = path.join(t.dir, 'k.pub.pem');
  fs.writeFileSync(keyFile, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(pubFile, kp.publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(() => t.cleanup());

describe('signatures of versions', () => {
  it('checks a model.sig on import (vault and in place) and stores the outcome the Models list shows and filters', async () => {
    const good = await importInto(t.ctx, { path: signedFolder('good-model'), name: 'good-model' });
    const bad = await importInto(t.ctx, { path: signedFolder('bad-model', true), name: 'bad-model', inPlace: true });
    await importInto(t.ctx, { path: writeAt(t.dir, 'plain/m.onnx', bytes(100, 2)), name: 'plain-model' });
    const g = loadCheck(t.ctx.db, t.ctx.registry.versionRow(good.model, good.version).id);
    expect(g.summary).toMatchObject({ status: 'unverified', method: 'key' }); // no key on import
    expect(g.source).toBe('file');
    const b = loadCheck(t.ctx.db, t.ctx.registry.versionRow(bad.model, bad.version).id);
    expect(b.summary?.status).toBe('invalid');
    expect(b.check?.files.mismatched.map((m) => m.path)).toEqual(['config.json']);

    const list = t.ctx.registry.listModels({});
    const by = Object.fromEntries(list.rows.map((r) => [r.name, r.signature?.status ?? 'unsigned']));
    expect(by).toMatchObject({ 'good-model': 'unverified', 'bad-model': 'invalid', 'plain-model': 'unsigned' });
    expect(t.ctx.registry.listModels({ signature: 'invalid' }).rows.map((r) => r.name)).toEqual(['bad-model']);
    expect(t.ctx.registry.listModels({ signature: 'unsigned' }).rows.map((r) => r.name)).toEqual(['plain-model']);
    expect(t.ctx.registry.listModels({ sort: 'signature', dir: 'desc' }).rows[0]!.name).toBe('bad-model');
    const facets = Object.fromEntries(t.ctx.registry.facets().signatures.map((f) => [f.value, f.count]));
    expect(facets).toEqual({ invalid: 1, unverified: 1, unsigned: 1 });
  });

  it('verify-signature NAME@VERSION reuses the registry digests; hallmark verify re-checks and keeps it valid', async () => {
    const run = cliRunner(t.home);
    await t.ctx.dispose();
    const v = await run('--json', 'verify-signature', 'good-model@1', '--key', pubFile);
    expect(v.code).toBe(0);
    expect(v.json).toMatchObject({ valid: true, method: 'key', hashedBytes: 0 });
    const again = await run('--json', 'verify', 'good-model@1');
    expect(again.code).toBe(0);
    expect(again.json.signature).toMatchObject({ status: 'valid' });
    const bad = await run('--json', 'verify', 'bad-model@1');
    expect(bad.code).toBe(1);
    expect(bad.json.signature.files.mismatched[0].path).toBe('config.json');
    const none = await run('verify-signature', 'plain-model@1', '--key', pubFile);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no signature/);
    const usage = await run('verify-signature', 'good-model@1', '--key', pubFile, '--identity', 'a@b.c', '--issuer', 'https://x');
    expect(usage.code).toBe(2);
  });

  it('hallmark sign: a vault version gets an attachment (files unchanged), then verifies valid', async () => {
    const run = cliRunner(t.home);
    const s = await run('--json', 'sign', 'plain-model@1', '--key', keyFile, '--out', path.join(t.dir, 'out.sig'));
    expect(s.code, s.stderr).toBe(0);
    expect(s.json.path).toBe(path.join(t.dir, 'out.sig'));
    expect(s.json.check).toMatchObject({ valid: true });
    const v = await run('--json', 'verify-signature', 'plain-model@1', '--key', pubFile);
    expect(v.json).toMatchObject({ valid: true, files: { missing: [], extra: [], mismatched: [] } });
    const p = await run('--json', 'versions', 'plain-model');
    expect(p.json[0].files).toBe(1);
    const precious = writeAt(t.dir, 'notes.txt', 'do not overwrite');
    const clobber = await run('sign', 'plain-model@1', '--key', keyFile, '--out', precious);
    expect(clobber.code).toBe(2);
    expect(clobber.stderr).toMatch(/not a model signature/);
    expect(fs.readFileSync(precious, 'utf8')).toBe('do not overwrite');
    const wrong = await run('sign', 'plain-model@1', '--key', pubFile);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/private key/);
  });
});

describe('the shipped Sigstore trusted root', () => {
  it('is the trusted root embedded in the installed @sigstore/tuf seeds', () => {
    const seeds = JSON.parse(fs.readFileSync('node_modules/@sigstore/tuf/seeds.json', 'utf8')) as Record<string, { targets: Record<string, string> }>;
    const embedded = Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev']!.targets['trusted_root.json']!, 'base64');
    expect(fs.readFileSync('resources/sigstore/trusted_root.json').equals(embedded)).toBe(true);
  });
});
