import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-fp-out-'));
const hallmark = cliRunner(path.join(dir, 'home'));
const gen = (out: string, ...more: string[]) => hallmark('--json', 'fingerprints', 'generate', '--count', '4', '--key-length', '8', '--response-length', '4', '--out', out, '--passphrase-env', 'HM_FP_OUT_PW', ...more);
beforeAll(() => {
  process.env.HM_FP_OUT_PW = 'out passphrase';
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hallmark fingerprints generate/export --out', () => {
  it('generate refuses to overwrite an existing file unless --force', async () => {
    const out = path.join(dir, 'set.hmfp');
    fs.writeFileSync(out, 'the only copy of last year\'s set');
    const r = await gen(out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${JSON.stringify(out)} already exists; choose another name or overwrite it with --force`);
    expect(fs.readFileSync(out, 'utf8')).toBe('the only copy of last year\'s set');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp file left behind
    const forced = await gen(out, '--force');
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^\{/);
  });

  it('export refuses to overwrite an existing file unless --force', async () => {
    const set = path.join(dir, 'fresh.hmfp');
    expect((await gen(set)).code).toBe(0);
    const out = path.join(dir, 'train.jsonl');
    fs.writeFileSync(out, 'keep me');
    const args = ['--json', 'fingerprints', 'export', set, '--out', out, '--format', 'jsonl', '--passphrase-env', 'HM_FP_OUT_PW'];
    const r = await hallmark(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already exists');
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
    expect((await hallmark(...args, '--force')).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });
});
