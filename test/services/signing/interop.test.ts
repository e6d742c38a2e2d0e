// Interoperability with the reference tool, PyPI model-signing 1.1.1 (the venv from
// scripts/python-venv.sh signing, HALLMARK_SIGNING_PYTHON): what it signs Hallmark verifies, what Hallmark
// signs it verifies, for the key and the certificate methods; and after one changed byte, an added file,
// a removed file or another key, both reject, Hallmark naming the file.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../electron/services/AppContext';
import { exportVersion } from '../../../electron/services/registry/exportVersion';
import { verifyPath } from '../../../electron/services/signing/verify';
import { signVersion, verifyVersionSignature } from '../../../electron/services/signing/versions';
import { bytes, importInto, tempHome, writeAt } from '../../helpers/tempHome';
import { TestPki, type Cert } from '../../helpers/pki';
import { cliRunner } from '../../helpers/cli';

const python = process.env.HALLMARK_SIGNING_PYTHON;

/** `model_signing ARGS`: true when it exits 0. */
function ref(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(python!, ['-m', 'model_signing', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, out: `${r.stdout}\n${r.stderr}` };
}

function keyPair(dir: string, name: string, curve = 'prime256v1'): { priv: string; pub: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
  const priv = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  fs.writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

function makeModel(dir: string): string {
  writeAt(dir, 'config.json', '{"architectures": ["Tiny"], "hidden_size": 8}\n');
  writeAt(dir, 'model.safetensors', bytes(300_000, 7));
  writeAt(dir, 'tokenizer/vocab.txt', 'a\nb\nc\n');
  writeAt(dir, '.gitattributes', '*.safetensors filter=lfs\n');
  writeAt(dir, '.git/HEAD', 'ref: refs/heads/main\n');
  return dir;
}

function copy(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

describe.skipIf(!python && !process.env.CI)('interoperability with model-signing 1.1.1', () => {
  let dir: string;
  let home: ReturnType<typeof tempHome>;
  let ctx: AppContext;
  let k: { priv: string; pub: string };
  let other: { priv: string; pub: string };
  let signedByRef: string;

  beforeAll(() => {
    if (!python) throw new Error('HALLMARK_SIGNING_PYTHON is not set: `npm test` sets it from scripts/python-venv.sh signing');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-interop-'));
    home = tempHome();
    ctx = home.ctx;
    k = keyPair(dir, 'alice');
    other = keyPair(dir, 'mallory');
    signedByRef = makeModel(path.join(dir, 'signed-by-ref'));
    const r = ref('sign', 'key', signedByRef, '--private_key', k.priv, '--signature', path.join(signedByRef, 'model.sig'));
    expect(r.ok, r.out).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await home?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verifies what the reference tool signed with a key (P-256 and P-384), in the services and the CLI', async () => {
    const c = await verifyPath(signedByRef, { key: k.pub });
    expect(c).toMatchObject({ valid: true, status: 'valid', method: 'key', files: { missing: [], extra: [], mismatched: [] } });
    expect(c.ignored).toEqual(expect.arrayContaining(['model.sig', '.git', '.gitattributes']));
    const cli = await cliRunner(path.join(dir, 'cli-home'))('--json', 'verify-signature', signedByRef, '--key', k.pub);
    expect(cli.code).toBe(0);
    expect(cli.json).toMatchObject({ valid: true, method: 'key', files: { missing: [], extra: [], mismatched: [] } });
    expect(cli.json.signer).toContain('key ');

    const p384 = keyPair(dir, 'p384', 'secp384r1');
    const m = copy(signedByRef, path.join(dir, 'p384-model'));
    fs.rmSync(path.join(m, 'model.sig'));
    expect(ref('sign', 'key', m, '--private_key', p384.priv, '--signature', path.join(m, 'model.sig')).ok).toBe(true);
    expect((await verifyPath(m, { key: p384.pub })).valid).toBe(true);
  }, 120_000);

  it('one changed byte, an added file, a removed file, another key: both tools reject and Hallmark names the file', async () => {
    const changed = copy(signedByRef, path.join(dir, 'changed'));
    const f = path.join(changed, 'model.safetensors');
    const b = fs.readFileSync(f);
    b[123_456] = (b[123_456]! + 1) & 0xff;
    fs.writeFileSync(f, b);
    const added = copy(signedByRef, path.join(dir, 'added'));
    writeAt(added, 'tokenizer/extra.txt', 'surprise');
    const removed = copy(signedByRef, path.join(dir, 'removed'));
    fs.rmSync(path.join(removed, 'tokenizer/vocab.txt'));

    const c1 = await verifyPath(changed, { key: k.pub });
    expect(c1.valid).toBe(false);
    expect(c1.files.mismatched.map((m) => m.path)).toEqual(['model.safetensors']);
    expect(c1.reason).toContain('model.safetensors');
    const c2 = await verifyPath(added, { key: k.pub });
    expect(c2).toMatchObject({ valid: false, files: { extra: ['tokenizer/extra.txt'], missing: [], mismatched: [] } });
    const c3 = await verifyPath(removed, { key: k.pub });
    expect(c3).toMatchObject({ valid: false, files: { missing: ['tokenizer/vocab.txt'], extra: [], mismatched: [] } });
    const c4 = await verifyPath(signedByRef, { key: other.pub });
    expect(c4.valid).toBe(false);
    expect(c4.reason).toMatch(/another key/);

    for (const m of [changed, added, removed]) {
      const r = ref('verify', 'key', m, '--signature', path.join(m, 'model.sig'), '--public_key', k.pub);
      expect(r.ok, `reference accepted ${m}`).toBe(false);
    }
    expect(ref('verify', 'key', signedByRef, '--signature', path.join(signedByRef, 'model.sig'), '--public_key', other.pub).ok).toBe(false);
    // and the untouched model still verifies with the reference tool: the rejections above are about the change
    expect(ref('verify', 'key', signedByRef, '--signature', path.join(signedByRef, 'model.sig'), '--public_key', k.pub).ok).toBe(true);
    const cli = await cliRunner(path.join(dir, 'cli-home'))('--json', 'verify-signature', changed, '--key', k.pub);
    expect(cli.code).toBe(1);
    expect(cli.json.files.mismatched[0].path).toBe('model.safetensors');
  }, 120_000);

  it('signs an in-place version; the reference tool verifies the folder, and rejects it once changed', async () => {
    const m = makeModel(path.join(dir, 'in-place'));
    const imp = await importInto(ctx, { path: m, name: 'inplace-model', inPlace: true });
    const s = await signVersion(ctx, imp.model, imp.version, k.priv);
    expect(s.path).toBe(path.join(m, 'model.sig'));
    expect(s.check).toMatchObject({ valid: true, method: 'key' });
    const r = ref('verify', 'key', m, '--signature', s.path, '--public_key', k.pub);
    expect(r.ok, r.out).toBe(true);
    writeAt(m, 'config.json', '{"architectures": ["Evil"], "hidden_size": 8}\n');
    expect(ref('verify', 'key', m, '--signature', s.path, '--public_key', k.pub).ok).toBe(false);
    const c = await verifyVersionSignature(ctx, imp.model, imp.version, { key: k.pub });
    expect(c?.files.mismatched.map((x) => x.path)).toEqual(['config.json']);
    // a file added to the folder after signing: the reference tool rejects it, and so does NAME@VERSION
    const m2 = makeModel(path.join(dir, 'in-place-2'));
    const imp2 = await importInto(ctx, { path: m2, name: 'inplace-model-2', inPlace: true });
    await signVersion(ctx, imp2.model, imp2.version, k.priv);
    writeAt(m2, 'tokenizer/added.json', '{}');
    expect(ref('verify', 'key', m2, '--signature', path.join(m2, 'model.sig'), '--public_key', k.pub).ok).toBe(false);
    const c2 = await verifyVersionSignature(ctx, imp2.model, imp2.version, { key: k.pub });
    expect(c2).toMatchObject({ valid: false, files: { extra: ['tokenizer/added.json'], missing: [], mismatched: [] } });
  }, 120_000);

  it('signs a vault version as an attachment that goes into the exported zip, which the reference tool verifies', async () => {
    const m = makeModel(path.join(dir, 'vault-src'));
    const imp = await importInto(ctx, { path: m, name: 'vault-model' });
    const before = fs.readdirSync(m).sort();
    const s = await signVersion(ctx, imp.model, imp.version, k.priv);
    expect(s.check.valid).toBe(true);
    expect(fs.readdirSync(m).sort()).toEqual(before); // the source folder is not touched
    const files = ctx.registry.version(imp.model, imp.version).files.map((f) => f.path);
    expect(files).not.toContain('model.sig'); // the version itself is unchanged
    const zip = path.join(dir, 'vault.zip');
    await ctx.jobs.run({ kind: 'export', title: 't' }, (job) => exportVersion(ctx, imp.model, imp.version, zip, job));
    const out = path.join(dir, 'unzipped');
    execFileSync(python!, ['-m', 'zipfile', '-e', zip, out]);
    expect(fs.existsSync(path.join(out, 'model.sig'))).toBe(true);
    const r = ref('verify', 'key', out, '--signature', path.join(out, 'model.sig'), '--public_key', k.pub);
    expect(r.ok, r.out).toBe(true);
    expect((await verifyPath(out, { key: k.pub })).valid).toBe(true);
  }, 120_000);

  describe('certificate method', () => {
    let pki: TestPki;
    let root: Cert;
    let leaf: Cert;
    let chain: string;
    beforeAll(() => {
      pki = new TestPki(path.join(dir, 'pki'));
      root = pki.root();
      const int = pki.intermediate('Test Intermediate', root);
      leaf = pki.leaf('alice-signing', int, { email: 'alice@example.com' });
      chain = int.cert;
    });

    it('verifies what the reference tool signed with a certificate chain, and refuses an untrusted root', async () => {
      const m = copy(signedByRef, path.join(dir, 'cert-ref'));
      fs.rmSync(path.join(m, 'model.sig'));
      const r = ref('sign', 'certificate', m, '--private_key', leaf.key, '--signing_certificate', leaf.cert, '--certificate_chain', chain, '--signature', path.join(m, 'model.sig'));
      expect(r.ok, r.out).toBe(true);
      const c = await verifyPath(m, { certificateChain: root.cert });
      expect(c).toMatchObject({ valid: true, method: 'certificate', signer: 'alice@example.com' });
      const stranger = pki.root('Stranger Root');
      const bad = await verifyPath(m, { certificateChain: stranger.cert });
      expect(bad.valid).toBe(false);
      expect(bad.reason).toMatch(/certificate/);
      expect(ref('verify', 'certificate', m, '--signature', path.join(m, 'model.sig'), '--certificate_chain', stranger.cert).ok).toBe(false);
    }, 120_000);

    it('signs with a certificate; the reference tool verifies it against the root', async () => {
      const m = makeModel(path.join(dir, 'cert-hallmark'));
      const imp = await importInto(ctx, { path: m, name: 'cert-model', inPlace: true });
      const s = await signVersion(ctx, imp.model, imp.version, leaf.key, { certificate: leaf.cert, certificateChain: chain });
      expect(s.check.status).toBe('unverified'); // no trust anchors given to the self-check
      const r = ref('verify', 'certificate', m, '--signature', s.path, '--certificate_chain', root.cert);
      expect(r.ok, r.out).toBe(true);
      expect((await verifyVersionSignature(ctx, imp.model, imp.version, { certificateChain: root.cert }))?.valid).toBe(true);
    }, 120_000);
  });
});
if (!python && !process.env.CI) console.warn('interop.test: skipped, no HALLMARK_SIGNING_PYTHON (bash scripts/python-venv.sh signing, then export it)');
