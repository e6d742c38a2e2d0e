// The app key kept under safeStorage. Electron cannot run here, so the sealer is a real AES-256-GCM
// seal under a per-test "keychain" key: what matters is what we do with the sealed file.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateAppSecret, type SecretSealer } from '../../../electron/services/audit/appSecret';
import { generateFingerprints } from '../../../electron/services/audit/fingerprints';
import { appKey, readFingerprintFile, writeFingerprintFile } from '../../../electron/services/audit/FingerprintStore';
import { HallmarkError } from '../../../electron/services/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-appkey-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Stands in for the OS keychain: seals with a key only this "machine" has. */
function keychain(key = randomBytes(32)): SecretSealer {
  return {
    encrypt: (plain) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt: (sealed) => {
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      d.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HallmarkError);
    return (e as HallmarkError).code;
  }
  throw new Error('expected a HallmarkError');
};

describe('app key sealed by the OS keychain', () => {
  it('is created once (0600, never in clear) and unsealed to the same secret on the next start', async () => {
    const file = path.join(dir, 'a', 'app-key.sealed');
    const kc = keychain();
    const first = loadOrCreateAppSecret(file, kc);
    expect(first.created).toBe(true);
    expect(first.secret.length).toBe(32);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const onDisk = fs.readFileSync(file);
    expect(onDisk.includes(first.secret)).toBe(false);
    expect(onDisk.toString('utf8')).not.toContain(first.secret.toString('base64'));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['app-key.sealed']);

    const again = loadOrCreateAppSecret(file, kc);
    expect(again.created).toBe(false);
    expect(again.secret.equals(first.secret)).toBe(true);

    // A set encrypted in one session opens in the next.
    const set = generateFingerprints({ count: 4, keyLength: 8, responseLength: 4, seed: 'ab'.repeat(16) });
    const fp = path.join(dir, 'a', 'set.hmfp');
    await writeFingerprintFile(fp, set, appKey(first.secret));
    expect(await readFingerprintFile(fp, appKey(again.secret))).toEqual(set);
  });

  it('refuses, and leaves the file alone, when the keychain cannot unseal it or it is damaged', () => {
    const file = path.join(dir, 'b', 'app-key.sealed');
    loadOrCreateAppSecret(file, keychain());
    const before = fs.readFileSync(file, 'utf8');
    expect(codeOf(() => loadOrCreateAppSecret(file, keychain()))).toBe('wrong_key');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    fs.writeFileSync(file, 'garbage');
    expect(codeOf(() => loadOrCreateAppSecret(file, keychain()))).toBe('wrong_key');
    expect(fs.readFileSync(file, 'utf8')).toBe('garbage');
  });

  it('writes nothing when sealing fails', () => {
    const file = path.join(dir, 'c', 'app-key.sealed');
    const broken: SecretSealer = { encrypt: () => { throw new Error('keychain locked'); }, decrypt: () => '' };
    expect(() => loadOrCreateAppSecret(file, broken)).toThrow(/keychain locked/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
