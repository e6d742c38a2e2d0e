import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINGERPRINT_LIMITS } from '../../../electron/contract/audit';
import { dispatch } from '../../../electron/services/api/index';
import { generateFingerprints, generateFingerprintsAsync } from '../../../electron/services/audit/fingerprints';
import { cliRunner } from '../../helpers/cli';
import { tempHome } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
beforeAll(() => {
  t = tempHome();
  process.env.HM_FP_LIMIT_PW = 'limits';
});
afterAll(async () => {
  await t.cleanup();
});

describe('fingerprint set limits', () => {
  it('refuses the 20,000 × 4096 set through the API, naming the limit', async () => {
    await expect(dispatch(t.ctx, 'fingerprints.generate', { count: 20_000, keyLength: 4096, responseLength: 4096, passphrase: 'pw' }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining(`keyLength: Too big: expected number to be <=${FINGERPRINT_LIMITS.keyLength}`) });
    // Each length within bounds, the whole set not.
    await expect(dispatch(t.ctx, 'fingerprints.generate', { count: 20_000, keyLength: 1024, responseLength: 1024, passphrase: 'pw' }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining(`40960000 characters is over the limit of ${FINGERPRINT_LIMITS.totalChars}`) });
    expect(await dispatch(t.ctx, 'fingerprints.list', {})).toEqual([]);
  });

  it('refuses it on the command line with exit 2, naming the limit, and writes nothing', async () => {
    const out = path.join(t.dir, 'huge.hmfp');
    const hallmark = cliRunner(path.join(t.dir, 'cli-home'));
    const r = await hallmark('fingerprints', 'generate', '--count', '20000', '--key-length', '4096', '--response-length', '4096', '--out', out, '--passphrase-env', 'HM_FP_LIMIT_PW');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`key length must be at most ${FINGERPRINT_LIMITS.keyLength}, got 4096`);
    const total = await hallmark('fingerprints', 'generate', '--count', '20000', '--key-length', '1000', '--response-length', '1000', '--out', out, '--passphrase-env', 'HM_FP_LIMIT_PW');
    expect(total.code).toBe(2);
    expect(total.stderr).toContain(`over the limit of ${FINGERPRINT_LIMITS.totalChars}`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('draws the same characters as plain HMAC-SHA256 in counter mode (sets regenerate from their seed)', () => {
    // The reference: the documented stream, one createHmac per 32-byte block, rejection sampling.
    const reference = (seedHex: string, alphabet: string, n: number): string => {
      const seed = Buffer.from(seedHex, 'hex');
      let buf = Buffer.alloc(0);
      let pos = 0;
      let counter = 0;
      let out = '';
      const limit = 256 - (256 % alphabet.length);
      while (out.length < n) {
        if (pos >= buf.length) {
          const c = Buffer.alloc(4);
          c.writeUInt32BE(counter++);
          buf = createHmac('sha256', seed).update('hallmark/fingerprints/v1').update(c).digest();
          pos = 0;
        }
        const b = buf[pos++]!;
        if (b < limit) out += alphabet[b % alphabet.length];
      }
      return out;
    };
    for (const seed of ['ab'.repeat(16), 'cd'.repeat(80)]) { // 80 bytes: longer than the SHA-256 block, hashed first
      const s = generateFingerprints({ count: 3, keyLength: 40, responseLength: 10, alphabet: 'abcdefghij', seed });
      expect(s.fingerprints.map((f) => f.key + f.response).join('')).toBe(reference(seed, 'abcdefghij', 150));
    }
  });

  it('generates the same set in chunks as in one go', async () => {
    const o = { count: 300, keyLength: 300, responseLength: 300, seed: 'ab'.repeat(16), createdAt: new Date(0) };
    expect(await generateFingerprintsAsync(o)).toEqual(generateFingerprints(o));
  });

  it('keeps the event loop responsive while generating a large allowed set', async () => {
    // 4000 × (1024 + 1024) = 8.2 M characters, just under the total: seconds of work on a busy machine.
    let last = performance.now();
    let worst = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    try {
      const r = await dispatch<'fingerprints.generate'>(t.ctx, 'fingerprints.generate', { name: 'big', count: 4000, keyLength: 1024, responseLength: 1024, passphrase: 'pw' });
      expect(r.count).toBe(4000);
    } finally {
      clearInterval(probe);
    }
    expect(worst).toBeLessThan(500);
  });
});
