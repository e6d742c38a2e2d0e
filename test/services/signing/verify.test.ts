// Checking signatures without the reference tool: keyless (Sigstore) bundles made offline with a test
// "Fulcio" CA given as a custom trusted root, and bad input of every kind: each gets a clear verdict, never
// a crash, never "valid" by default.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatement, PREDICATE_TYPE, STATEMENT_TYPE } from '../../../electron/services/signing/manifest';
import { checkModel, folderLister, verifyPath } from '../../../electron/services/signing/verify';
import { signStatement } from '../../../electron/services/signing/versions';
import { bytes, writeAt } from '../../helpers/tempHome';
import { TestPki, type Cert } from '../../helpers/pki';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
let dir: string;
let model: string;
let priv: crypto.KeyObject;
let pub: string;

/** A statement as model-signing writes one, with whatever resources and serialization a case needs. */
function statement(resources: Array<{ name: string; digest: string; algorithm?: string }>, serialization: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Buffer {
  const root = crypto.createHash('sha256');
  for (const r of resources) root.update(Buffer.from(r.digest, 'hex'));
  return Buffer.from(JSON.stringify({
    _type: STATEMENT_TYPE,
    subject: [{ name: 'm', digest: { sha256: root.digest('hex') } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ...serialization },
      resources: resources.map((r) => ({ name: r.name, algorithm: r.algorithm ?? 'sha256', digest: r.digest })),
    },
    ...extra,
  }, null, 2));
}

const modelFiles = () => [
  { name: 'weights.bin', digest: sha(fs.readFileSync(path.join(model, 'weights.bin'))) },
  { name: 'config.json', digest: sha(fs.readFileSync(path.join(model, 'config.json'))) },
];

async function check(sig: Buffer, trust: Parameters<typeof checkModel>[3] = { key: pub }, root = model) {
  return checkModel(sig, 'test.sig', folderLister(root), { ...trust, extraIgnored: ['model.sig'] });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-sigverify-'));
  model = path.join(dir, 'model');
  writeAt(model, 'weights.bin', bytes(50_000, 3));
  writeAt(model, 'config.json', '{"a": 1}');
  const kp = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  priv = kp.privateKey;
  pub = path.join(dir, 'pub.pem');
  fs.writeFileSync(pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a well-formed key signature', () => {
  it('is valid with the key, unverified without it, and the same manifest Hallmark writes verifies', async () => {
    const sig = signStatement(buildStatement('model', modelFiles().map((f) => ({ path: f.name, sha256: f.digest })), ['.git', 'model.sig']), priv);
    expect(await check(sig)).toMatchObject({ valid: true, status: 'valid', method: 'key' });
    expect(await check(sig, {})).toMatchObject({ valid: false, status: 'unverified', method: 'key' });
  });

  it('hashes sharded and blake2b manifests itself (the reference tool\'s other serializations)', async () => {
    const w = fs.readFileSync(path.join(model, 'weights.bin'));
    const c = fs.readFileSync(path.join(model, 'config.json'));
    const shard = 20_000;
    const res = [];
    for (const [name, data] of [['config.json', c], ['weights.bin', w]] as const) {
      for (let s = 0; s < data.length; s += shard) {
        const e = Math.min(s + shard, data.length);
        res.push({ name: `${name}:${s}:${e}`, digest: sha(data.subarray(s, e)), algorithm: `sha256-sharded-${shard}` });
      }
    }
    expect(await check(signStatement(statement(res, { method: 'shards', shard_size: shard }), priv))).toMatchObject({ valid: true, resources: 4 });
    const b2 = (d: Buffer) => crypto.createHash('blake2b512').update(d).digest('hex');
    const blake = statement([{ name: 'config.json', digest: b2(c), algorithm: 'blake2b' }, { name: 'weights.bin', digest: b2(w), algorithm: 'blake2b' }], { hash_type: 'blake2b' });
    expect(await check(signStatement(blake, priv))).toMatchObject({ valid: true });
    const bad = [...res];
    bad[2] = { ...bad[2]!, digest: sha('other') };
    const r = await check(signStatement(statement(bad, { method: 'shards', shard_size: shard }), priv));
    expect(r.valid).toBe(false);
    expect(r.files.mismatched.map((m) => m.path)).toEqual(['weights.bin']);
    const b3 = await check(signStatement(statement(modelFiles().map((f) => ({ ...f, algorithm: 'blake3' })), { hash_type: 'blake3' }), priv));
    expect(b3).toMatchObject({ valid: false });
    expect(b3.reason).toMatch(/blake3/);
  });
});

describe('bad input gets a clear verdict, never valid', () => {
  const good = () => signStatement(statement(modelFiles()), priv);
  const mutate = (f: (b: any) => void) => {
    const b = JSON.parse(good().toString());
    f(b);
    return Buffer.from(JSON.stringify(b));
  };
  const cases: Array<[string, () => Buffer, RegExp]> = [
    ['not JSON', () => Buffer.from('\x00\x01garbage'), /not JSON/],
    ['JSON but not a bundle', () => Buffer.from('{"hello": 1}'), /not a Sigstore bundle/],
    ['an array', () => Buffer.from('[1,2,3]'), /not a Sigstore bundle/],
    ['a wrong bundle media type', () => mutate((b) => { b.mediaType = 'application/vnd.dev.sigstore.bundle.v9.9+json'; }), /media type/],
    ['a wrong DSSE payload type', () => mutate((b) => { b.dsseEnvelope.payloadType = 'text/plain'; }), /payload type/],
    ['a message signature instead of an envelope', () => mutate((b) => { delete b.dsseEnvelope; b.messageSignature = { messageDigest: { algorithm: 'SHA2_256', digest: 'AA==' }, signature: 'AA==' }; }), /messageSignature/],
    ['no key material', () => mutate((b) => { delete b.verificationMaterial.publicKey; }), /no public key or certificate/],
    ['two signatures', () => mutate((b) => { b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]); }), /2 signatures/],
    ['a payload changed after signing', () => mutate((b) => { b.dsseEnvelope.payload = statement([{ name: 'weights.bin', digest: sha('x') }]).toString('base64'); }), /does not verify/],
    ['a signature that is not base64', () => mutate((b) => { b.dsseEnvelope.signatures[0].sig = '!!!'; }), /not base64/],
    ['a payload that is not JSON', () => signStatement(Buffer.from('not json at all'), priv), /payload is not JSON/],
    ['another predicate type', () => signStatement(statement(modelFiles(), {}, { predicateType: 'https://slsa.dev/provenance/v1' }), priv), /predicate type/],
    ['a subject digest that does not bind the resources', () => {
      const s = JSON.parse(statement(modelFiles()).toString());
      s.subject[0].digest.sha256 = sha('something else');
      return signStatement(Buffer.from(JSON.stringify(s)), priv);
    }, /inconsistent/],
    ['a manifest path with ".."', () => signStatement(statement([...modelFiles(), { name: '../../etc/passwd', digest: sha('x') }]), priv), /climbs out/],
    ['an absolute manifest path', () => signStatement(statement([...modelFiles(), { name: '/etc/passwd', digest: sha('x') }]), priv), /absolute/],
    ['a file listed twice', () => signStatement(statement([...modelFiles(), { name: './config.json', digest: sha('x') }]), priv), /twice/],
    ['an unknown serialization method', () => signStatement(statement(modelFiles(), { method: 'tensors' }), priv), /malformed/],
    ['a shard name that is not path:start:end', () => signStatement(statement([{ name: 'weights.bin', digest: sha('x'), algorithm: 'sha256-sharded-10' }], { method: 'shards', shard_size: 10 }), priv), /path:start:end/],
    ['a resource algorithm that contradicts the serialization', () => signStatement(statement(modelFiles().map((f) => ({ ...f, algorithm: 'md5' }))), priv), /serialization says/],
  ];
  for (const [what, make, reason] of cases) {
    it(what, async () => {
      const r = await check(make());
      expect(r.valid).toBe(false);
      expect(r.status).toBe('invalid');
      expect(r.reason).toMatch(reason);
    });
  }

  it('a payload signed for other files: what is here is extra, what it lists is missing', async () => {
    const r = await check(signStatement(statement([{ name: 'other/model.onnx', digest: sha('x') }]), priv));
    expect(r).toMatchObject({ valid: false, files: { missing: ['other/model.onnx'], extra: ['config.json', 'weights.bin'] } });
  });

  it('a signature over a symbolic link is refused unless allowed, and never one leaving the folder', async () => {
    const m = path.join(dir, 'links');
    writeAt(m, 'config.json', '{"a": 1}');
    writeAt(dir, 'outside.bin', bytes(100, 9));
    fs.symlinkSync(path.join(dir, 'outside.bin'), path.join(m, 'weights.bin'));
    const res = [{ name: 'config.json', digest: sha('{"a": 1}') }, { name: 'weights.bin', digest: sha(bytes(100, 9)) }];
    const refused = await check(signStatement(statement(res), priv), { key: pub }, m);
    expect(refused).toMatchObject({ valid: false });
    expect(refused.reason).toMatch(/symbolic link/);
    const outside = await check(signStatement(statement(res, { allow_symlinks: true }), priv), { key: pub }, m);
    expect(outside.valid).toBe(false);
    expect(outside.reason).toMatch(/outside the model folder/);
    // a link inside the folder, when the signer allowed links, is compared by its target's bytes
    const inside = path.join(dir, 'links-inside');
    writeAt(inside, 'config.json', '{"a": 1}');
    writeAt(inside, 'blobs/w', bytes(100, 9));
    fs.symlinkSync('blobs/w', path.join(inside, 'weights.bin'));
    const res2 = [...res, { name: 'blobs/w', digest: sha(bytes(100, 9)) }];
    expect(await check(signStatement(statement(res2, { allow_symlinks: true }), priv), { key: pub }, inside)).toMatchObject({ valid: true });
  });

  it('a FIFO in the model folder is refused, not read', async () => {
    const m = path.join(dir, 'fifo');
    writeAt(m, 'config.json', '{"a": 1}');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(m, 'pipe')]);
    const r = await check(signStatement(statement([{ name: 'config.json', digest: sha('{"a": 1}') }]), priv), { key: pub }, m);
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/FIFO/);
  });

  it('random damage to a good signature never crashes and is never valid', async () => {
    const base = good();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
      const b = Buffer.from(base);
      b[i] = b[i]! ^ x;
      const r = await check(b);
      // Only damage that leaves what is signed intact (JSON whitespace, base64 padding bits) may still be valid.
      if (r.valid) {
        const a = JSON.parse(base.toString());
        const d = JSON.parse(b.toString());
        expect(Buffer.from(d.dsseEnvelope.payload, 'base64')).toEqual(Buffer.from(a.dsseEnvelope.payload, 'base64'));
        expect(Buffer.from(d.dsseEnvelope.signatures[0].sig, 'base64')).toEqual(Buffer.from(a.dsseEnvelope.signatures[0].sig, 'base64'));
      } else expect(r.reason).toBeTruthy();
      return true;
    }), { numRuns: 150 });
  });
});

describe('Sigstore keyless, offline against a custom trusted root', () => {
  let pki: TestPki;
  let fulcio: Cert;
  let leaf: Cert;
  let trustedRoot: string;
  const email = 'releases@example.com';
  const oidc = 'https://accounts.example.com';
  const keyless = (l: Cert) => signStatement(statement(modelFiles()), l.keyObject, { chain: [l.der], single: true });

  beforeAll(() => {
    pki = new TestPki(path.join(dir, 'fulcio'));
    fulcio = pki.root('Test Fulcio');
    leaf = pki.leaf('sigstore-leaf', fulcio, { email, oidcIssuer: oidc, start: new Date(Date.now() - 600_000), end: new Date(Date.now() - 60_000) });
    trustedRoot = pki.trustedRoot(fulcio, path.join(dir, 'trusted_root.json'));
  });

  it('is valid for the right identity and issuer, and shows both', async () => {
    const r = await check(keyless(leaf), { trustedRoot, identity: email, issuer: oidc });
    expect(r).toMatchObject({ valid: true, method: 'sigstore', signer: email, issuer: oidc });
    // the test leaf has expired, like every Fulcio certificate ten minutes after signing: said, not fatal
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/expired on .* checked as of its issuance/);
    const unpinned = await check(keyless(leaf), { trustedRoot });
    expect(unpinned.valid).toBe(true);
    expect(unpinned.warnings.join(' ')).toMatch(/not pinned/);
  });

  it('is invalid for another identity or issuer', async () => {
    const r1 = await check(keyless(leaf), { trustedRoot, identity: 'someone@else.com', issuer: oidc });
    expect(r1.valid).toBe(false);
    expect(r1.reason).toMatch(new RegExp(`signed by ${email}`));
    expect((await check(keyless(leaf), { trustedRoot, identity: email, issuer: 'https://evil.example' })).valid).toBe(false);
  });

  it('is invalid from an untrusted CA, and against the public-good root shipped with the app', async () => {
    const rogue = pki.root('Rogue Fulcio');
    const rogueLeaf = pki.leaf('rogue-leaf', rogue, { email, oidcIssuer: oidc });
    const r = await check(keyless(rogueLeaf), { trustedRoot, identity: email, issuer: oidc });
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/certificate/i);
    const pg = await check(keyless(leaf), { identity: email, issuer: oidc });
    expect(pg.valid).toBe(false);
    expect(pg.reason).toMatch(/public-good/);
  });

  it('is invalid when the CA was expired, or not yet trusted, when the certificate was issued', async () => {
    const old = pki.root('Expired Fulcio', { start: new Date('2020-01-01T00:00:00Z'), end: new Date('2021-01-01T00:00:00Z') });
    const late = pki.leaf('late-leaf', old, { email, oidcIssuer: oidc, start: new Date('2022-01-01T00:00:00Z'), end: new Date('2022-01-02T00:00:00Z') });
    const root2 = pki.trustedRoot(old, path.join(dir, 'expired_root.json'));
    const r = await check(keyless(late), { trustedRoot: root2, identity: email, issuer: oidc });
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/expired|not valid/);
    const notYet = pki.trustedRoot(fulcio, path.join(dir, 'future_root.json'), { start: new Date(Date.now() + 86400_000) });
    expect((await check(keyless(leaf), { trustedRoot: notYet, identity: email, issuer: oidc })).valid).toBe(false);
  });

  it('is a keyless signature: a key or a certificate chain cannot stand in for the identity, nor the other way round', async () => {
    const r = await check(keyless(leaf), { key: pub });
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/--identity/);
    const chained = signStatement(statement(modelFiles()), leaf.keyObject, { chain: [leaf.der, fulcio.der] });
    const r2 = await check(chained, { trustedRoot, identity: email, issuer: oidc });
    expect(r2.valid).toBe(false);
    expect(r2.reason).toMatch(/--certificate-chain/);
    const r3 = await check(chained, { certificateChain: fulcio.cert });
    expect(r3).toMatchObject({ valid: true, method: 'certificate', signer: email });
    expect(r3.warnings.join(' ')).toMatch(/expired/);
  });
});

describe('verifyPath', () => {
  it('finds model.sig inside a folder and beside a file, and ignores it and the git paths', async () => {
    const m = path.join(dir, 'vp');
    writeAt(m, 'a.bin', 'A');
    writeAt(m, '.git/config', '[core]');
    fs.writeFileSync(path.join(m, 'model.sig'), signStatement(statement([{ name: 'a.bin', digest: sha('A') }]), priv));
    expect(await verifyPath(m, { key: pub })).toMatchObject({ valid: true });
    const single = path.join(dir, 'single');
    writeAt(single, 'only.gguf', 'GGUF');
    fs.writeFileSync(path.join(single, 'model.sig'), signStatement(statement([{ name: '.', digest: sha('GGUF') }]), priv));
    expect(await verifyPath(path.join(single, 'only.gguf'), { key: pub })).toMatchObject({ valid: true });
    await expect(verifyPath(path.join(dir, 'nope'), { key: pub })).rejects.toThrow(/does not exist/);
    writeAt(dir, 'unsigned/x.bin', 'X');
    await expect(verifyPath(path.join(dir, 'unsigned', 'x.bin'), { key: pub })).rejects.toThrow(/no signature/);
  });
});
