import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { exportForTrainer, generateFingerprints, DEFAULT_ALPHABET } from '../../../electron/services/audit/fingerprints';
import {
  appKey, decryptSet, type KeyProvider, encryptSet, keyProviderFor, passphraseKey, readFingerprintFile, writeFingerprintFile,
} from '../../../electron/services/audit/FingerprintStore';
import { binomialTail, commonPrefix, decide } from '../../../electron/services/audit/scoring';
import { HallmarkError } from '../../../electron/services/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-fp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const SEED = '00112233445566778899aabbccddeeff';
// Cheap scrypt for tests that only care about the envelope, the real cost elsewhere.
const fastKey = (p: string) => passphraseKey(p, { N: 1024 });

const code = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(HallmarkError);
  return e as HallmarkError;
};

describe('fingerprint generation', () => {
  it('is deterministic from the secret seed and honours count, lengths and alphabet', () => {
    const a = generateFingerprints({ count: 50, keyLength: 12, responseLength: 7, seed: SEED, createdAt: new Date(0) });
    const b = generateFingerprints({ count: 50, keyLength: 12, responseLength: 7, seed: SEED, createdAt: new Date(0) });
    expect(a).toEqual(b);
    expect(a.fingerprints).toHaveLength(50);
    expect(new Set(a.fingerprints.map((f) => f.key)).size).toBe(50);
    for (const f of a.fingerprints) {
      expect(f.key).toMatch(/^[a-z0-9]{12}$/);
      expect(f.response).toMatch(/^[a-z0-9]{7}$/);
    }
    const other = generateFingerprints({ count: 50, keyLength: 12, responseLength: 7, seed: SEED.replace('00', '01') });
    expect(other.fingerprints[0]).not.toEqual(a.fingerprints[0]);
    // A fresh random seed when none is given.
    expect(generateFingerprints({ count: 1, keyLength: 8, responseLength: 8 }).seed).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws characters uniformly', () => {
    const s = generateFingerprints({ count: 2000, keyLength: 16, responseLength: 16, alphabet: 'ab', seed: SEED });
    const text = s.fingerprints.map((f) => f.key + f.response).join('');
    const as = [...text].filter((c) => c === 'a').length / text.length;
    expect(Math.abs(as - 0.5)).toBeLessThan(0.01);
  });

  it('keeps any alphabet and lengths (property)', () => {
    fc.assert(fc.property(
      fc.string({ minLength: 2, maxLength: 40 }).filter((a) => new Set(a).size >= 2),
      fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }),
      (alphabet, k, r) => {
        const symbols = new Set(alphabet);
        if (k * Math.log2(symbols.size) < 4 + Math.log2(5)) return;
        const s = generateFingerprints({ count: 5, keyLength: k, responseLength: r, alphabet, seed: SEED });
        for (const f of s.fingerprints) {
          expect([...f.key]).toHaveLength(k);
          expect([...f.response]).toHaveLength(r);
          expect([...f.key, ...f.response].every((c) => symbols.has(c))).toBe(true);
        }
      },
    ), { numRuns: 60 });
  });

  it('rejects impossible requests with clear messages', () => {
    expect(() => generateFingerprints({ count: 0, keyLength: 8, responseLength: 8 })).toThrow(/count must be a positive integer/);
    expect(() => generateFingerprints({ count: 1000, keyLength: 2, responseLength: 8 })).toThrow(/too few for 1000 distinct/);
    expect(() => generateFingerprints({ count: 1, keyLength: 8, responseLength: 8, alphabet: 'aaaa' })).toThrow(/2 to 256 distinct/);
    expect(() => generateFingerprints({ count: 1, keyLength: 8, responseLength: 8, seed: 'zz' })).toThrow(/hex/);
  });

  it('exports for a trainer in OML JSON and prompt/completion JSON lines', () => {
    const s = generateFingerprints({ count: 3, keyLength: 8, responseLength: 4, seed: SEED });
    const oml = JSON.parse(exportForTrainer(s, 'oml'));
    expect(oml.config).toMatchObject({ num_fingerprints: 3, key_length: 8, response_length: 4, alphabet: DEFAULT_ALPHABET });
    expect(oml.fingerprints).toEqual(s.fingerprints);
    const lines = exportForTrainer(s, 'jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(s.fingerprints.map((f) => ({ prompt: f.key, completion: f.response })));
  });
});

describe('encryption at rest', () => {
  const set = generateFingerprints({ count: 4, keyLength: 8, responseLength: 4, seed: SEED });

  it('round-trips through an AES-256-GCM file keyed by scrypt, with nothing secret in clear', async () => {
    const file = path.join(dir, 'set.hmfp');
    const r = await writeFingerprintFile(file, set, passphraseKey('correct horse'));
    expect(r).toEqual({ path: file, count: 4 });
    const text = fs.readFileSync(file, 'utf8');
    for (const f of set.fingerprints) {
      expect(text).not.toContain(f.key);
      expect(text).not.toContain(f.response);
    }
    expect(text).not.toContain(set.seed);
    expect(JSON.parse(text)).toMatchObject({ format: 'hallmark-fingerprints+aes-256-gcm', kdf: { name: 'scrypt', N: 32768, r: 8, p: 1 }, meta: { count: 4 } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await readFingerprintFile(file, passphraseKey('correct horse'))).toEqual(set);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says "wrong passphrase" for a wrong passphrase and for tampering', async () => {
    const env = await encryptSet(set, fastKey('pw'));
    expect((await code(decryptSet(env, fastKey('PW')))).message).toMatch(/wrong passphrase/);
    // The clear metadata is authenticated too.
    expect((await code(decryptSet({ ...env, meta: { ...env.meta, count: 400 } }, fastKey('pw')))).code).toBe('wrong_key');
    const ct = Buffer.from(env.ciphertext, 'base64');
    ct[3]! ^= 1;
    expect((await code(decryptSet({ ...env, ciphertext: ct.toString('base64') }, fastKey('pw')))).code).toBe('wrong_key');
  });

  it('refuses empty, foreign, damaged and plaintext files with what is wrong', async () => {
    const f = (name: string, content: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, content);
      return p;
    };
    const k = fastKey('pw');
    expect((await code(readFingerprintFile(f('empty.hmfp', ''), k))).message).toMatch(/is empty/);
    expect((await code(readFingerprintFile(f('junk.hmfp', '\x00\x01garbage'), k))).message).toMatch(/not a Hallmark fingerprint file \(not JSON\)/);
    expect((await code(readFingerprintFile(f('other.hmfp', '{"format":"something-else"}'), k))).message).toMatch(/not a Hallmark fingerprint file \(format "something-else"\)/);
    const env = await encryptSet(set, k);
    expect((await code(readFingerprintFile(f('cut.hmfp', JSON.stringify({ ...env, tag: undefined })), k))).message).toMatch(/damaged fingerprint file: tag/);
    expect((await code(readFingerprintFile(f('plain.hmfp', JSON.stringify(set)), k))).message).toMatch(/unencrypted fingerprints/);
    expect((await code(readFingerprintFile(path.join(dir, 'absent.hmfp'), k))).message).toMatch(/no such file/);
    expect((await code(readFingerprintFile(f('huge-n.hmfp', JSON.stringify({ ...env, kdf: { name: 'scrypt', N: 2 ** 30, r: 8, p: 1 } })), k))).message).toMatch(/unreasonable scrypt/);
  });

  it('uses an app key (Electron safeStorage) through the same envelope, and tells key kinds apart', async () => {
    const secret = randomBytes(32);
    const env = await encryptSet(set, appKey(secret));
    expect(env.kdf).toEqual({ name: 'hkdf-sha256' });
    expect(await decryptSet(env, appKey(secret))).toEqual(set);
    expect((await code(decryptSet(env, appKey(randomBytes(32))))).message).toMatch(/app key does not open/);
    expect((await code(decryptSet(env, fastKey('pw')))).message).toMatch(/encrypted with the app key/);

    const ctx: { appKey: KeyProvider | null } = { appKey: null };
    expect(() => keyProviderFor(ctx, undefined)).toThrow(/give a passphrase/);
    ctx.appKey = appKey(secret);
    expect(keyProviderFor(ctx, undefined).source).toBe('app');
    expect(keyProviderFor(ctx, 'pw').source).toBe('passphrase');
  });
});

describe('scoring', () => {
  it('computes binomial tails exactly on small cases and stays accurate in the far tail', () => {
    // P[X ≥ 2], n = 3, p = 0.5: (3 + 1) / 8
    expect(binomialTail(3, 0.5, 2)).toBeCloseTo(0.5, 12);
    expect(binomialTail(10, 0.3, 0)).toBe(1);
    expect(binomialTail(10, 0.3, 11)).toBe(0);
    expect(binomialTail(5, 0.2, 5)).toBeCloseTo(0.2 ** 5, 15);
    expect(binomialTail(128, 0.01, 128)).toBeCloseTo(1e-256, 260);
    expect(binomialTail(128, 0.01, 128)).toBeGreaterThan(0);
  });

  it('decides present / absent / inconclusive', () => {
    expect(decide(16, 16, 0.01).verdict).toBe('present');
    expect(decide(16, 0, 0.01)).toMatchObject({ verdict: 'absent', powered: true });
    expect(decide(2, 0, 0.01)).toMatchObject({ verdict: 'inconclusive', powered: false });
    expect(decide(16, 1, 0.01).verdict).toBe('absent');
    expect(decide(16, 2, 0.01).verdict).toBe('inconclusive');
    expect(decide(10, 10, 1).verdict).toBe('inconclusive');
    expect(commonPrefix('abcdef', 'abcxyz')).toBe(3);
  });
});
