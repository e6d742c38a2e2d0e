// Zip members as torch.load reads them: the encryption flag does not stop the scan when the data is
// plain (the flag is a way to hide a pickle from zipfile-based scanners), and real ciphertext is
// reported as unscannable instead of being analysed as garbage.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanPaths } from '../../../electron/services/scan/scanner';
import { writeRawZip } from '../../helpers/writeZip';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-scanner-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const evil = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');

async function scanZip(name: string, entry: Parameters<typeof writeRawZip>[1][number]) {
  const file = path.join(dir, name);
  writeRawZip(file, [entry, { name: 'archive/version', data: Buffer.from('3\n') }]);
  const [report] = (await scanPaths([file])).files;
  return report!.findings.map((f) => ({ severity: f.severity, rule: f.rule }));
}

describe('encryption flag on zip members', () => {
  it('scans a flagged member that is plain, stored or deflated, and says why the flag matters', async () => {
    for (const deflate of [false, true]) {
      const f = await scanZip(`flag-${deflate}.pt`, { name: 'archive/data.pkl', data: evil, flags: 1, deflate });
      expect(f).toContainEqual({ severity: 'critical', rule: 'pickle.dangerous-import' });
      expect(f).toContainEqual({ severity: 'high', rule: 'archive.encrypted' });
    }
  });

  it('reports real ciphertext as unscannable, without analysing it', async () => {
    const cipher = crypto.randomBytes(200);
    const stored = await scanZip('zipcrypto-stored.pt', { name: 'archive/data.pkl', data: cipher, flags: 1, prefix: crypto.randomBytes(12) });
    expect(stored).toEqual([{ severity: 'medium', rule: 'archive.encrypted' }]);
    // deflate data that does not inflate: 0xff starts a block of reserved type 3
    const deflated = await scanZip('zipcrypto-deflated.pt', { name: 'archive/data.pkl', data: cipher, flags: 1, prefix: Buffer.alloc(64, 0xff), deflate: true });
    expect(deflated).toContainEqual({ severity: 'medium', rule: 'archive.encrypted' });
    expect(deflated.some((x) => x.rule.startsWith('pickle.'))).toBe(false);
  });

  it('flags a stored member whose two sizes disagree', async () => {
    const f = await scanZip('sizes.pt', { name: 'archive/data.pkl', data: evil, prefix: Buffer.from('xx') });
    expect(f).toContainEqual({ severity: 'medium', rule: 'archive.malformed' });
  });
});

describe('zip parser differentials', () => {
  it('reports a local header that names another file than the central directory', async () => {
    const file = path.join(dir, 'renamed.pt');
    writeRawZip(file, [{ name: 'archive/data.pkl', data: evil }]);
    const b = fs.readFileSync(file);
    b.write('archive/data.xyz', 30, 'latin1'); // the first local header's name; the central directory keeps data.pkl
    fs.writeFileSync(file, b);
    const [report] = (await scanPaths([file])).files;
    const f = report!.findings.map((x) => ({ severity: x.severity, rule: x.rule }));
    expect(f).toContainEqual({ severity: 'critical', rule: 'pickle.dangerous-import' });
    expect(f).toContainEqual({ severity: 'medium', rule: 'archive.malformed' });
  });
});
