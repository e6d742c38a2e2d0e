// `hallmark import notes.txt`: exit 2 with one line naming the file and the formats, nothing registered;
// --allow-unknown registers it anyway; a folder holding the same text still imports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-notamodel-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const hallmark = cliRunner(path.join(dir, 'home'));

describe('hallmark import of a file that is not a model', () => {
  it('refuses it with exit 2 and one line, registers nothing, and copies nothing into the vault', async () => {
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'Remember: evaluate the quantised model on Friday.\n');
    const r = await hallmark('import', notes);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^hallmark: "notes\.txt" is not a model file Hallmark recognises: it reads as plain text\. Hallmark imports GGUF, safetensors, ONNX/);
    expect(r.stderr).toContain('--allow-unknown');
    const json = await hallmark('--json', 'import', notes);
    expect(json.code).toBe(2);
    expect((await hallmark('--json', 'list')).json).toEqual([]);
    const blobs = path.join(dir, 'home', 'blobs', 'sha256');
    const stored = fs.existsSync(blobs) ? fs.readdirSync(blobs, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()) : [];
    expect(stored).toEqual([]);
  });

  it('--allow-unknown registers it; a folder with the same file imports without it', async () => {
    const notes = path.join(dir, 'odd-format.bin');
    fs.writeFileSync(notes, 'a format Hallmark does not know');
    const forced = await hallmark('--json', 'import', notes, '--allow-unknown');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json).toMatchObject({ model: 'odd-format', version: 1, created: true });
    const folder = path.join(dir, 'my-model');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'README.txt'), 'notes next to weights');
    const imp = await hallmark('--json', 'import', folder);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.json).toMatchObject({ model: 'my-model', version: 1 });
  });
});
