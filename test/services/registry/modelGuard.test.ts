// "Not a model": a single file whose bytes match no model format is refused before anything is copied,
// whatever its extension; real formats pass whatever their name; folders and zips always pass.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { refuseNonModel } from '../../../electron/services/registry/modelGuard';
import { evilPickle, safetensors } from '../../e2e/files';
import { writeRawZip } from '../../helpers/writeZip';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-guard-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, data: string | Buffer): string => {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
};
// A deterministic "random" binary (no magic of any format).
const noise = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
};

describe('refuseNonModel', () => {
  it('refuses text, noise, empty files, plain JSON and compressed text, naming the file and why', async () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['notes.txt', 'Meeting notes: try the 7B model next week.\n', /"notes\.txt" is not a model file Hallmark recognises: it reads as plain text/],
      ['weights.bin', noise(4096), /"weights\.bin" is not a model file Hallmark recognises: its first bytes \([0-9a-f ]+\) match no model format/],
      ['empty.gguf', '', /"empty\.gguf" is not a model file Hallmark recognises: it is empty/],
      ['data.json', '{"rows": [1, 2, 3]}', /is JSON but no model config/],
      ['notes.txt.gz', zlib.gzipSync('just some text, compressed\n'.repeat(20)), /is compressed, and what is inside matches no model format/],
      // The extension is no evidence: text named .gguf/.onnx/.safetensors is still text.
      ['fake.safetensors', 'not really tensors\n', /plain text/],
      ['fake.onnx', 'hello', /plain text/],
    ];
    for (const [name, data, why] of cases) {
      const err = await refuseNonModel(write(name, data)).then(() => null, (e: unknown) => e as { code: string; message: string });
      expect(err, name).not.toBeNull();
      expect(err!.code).toBe('not_a_model');
      expect(err!.message).toMatch(why);
      expect(err!.message).toContain('GGUF, safetensors, ONNX');
      expect(err!.message).not.toContain('\n');
    }
  });

  it('names the upload by the name the user gave it, not the temp path', async () => {
    await expect(refuseNonModel(write('upload-1/blob', 'plain words'), 'README.md')).rejects.toThrow(/^"README\.md" is not a model file/);
  });

  it('lets real model bytes through whatever their name, and folders and zips whatever they hold', async () => {
    await expect(refuseNonModel(write('model.safetensors', safetensors(16, 1)))).resolves.toBeUndefined();
    await expect(refuseNonModel(write('renamed.txt', safetensors(16, 2)))).resolves.toBeUndefined();
    await expect(refuseNonModel(write('clf.pkl', evilPickle()))).resolves.toBeUndefined(); // dangerous, but a model: the scan flags it
    const gg = Buffer.alloc(64);
    gg.write('GGUF', 0, 'latin1');
    gg.writeUInt32LE(3, 4);
    await expect(refuseNonModel(write('tiny.gguf', gg))).resolves.toBeUndefined();
    await expect(refuseNonModel(write('hf/config.json', '{"model_type": "bert", "hidden_size": 8}'))).resolves.toBeUndefined();
    write('folder/notes.txt', 'a README is fine inside a model folder');
    await expect(refuseNonModel(path.join(dir, 'folder'))).resolves.toBeUndefined();
    const zip = path.join(dir, 'bundle.zip');
    writeRawZip(zip, [{ name: 'notes.txt', data: Buffer.from('text') }]);
    await expect(refuseNonModel(zip)).resolves.toBeUndefined();
  });

  it('says a missing path is missing', async () => {
    await expect(refuseNonModel(path.join(dir, 'nope.bin'))).rejects.toMatchObject({ code: 'not_found' });
  });
});
