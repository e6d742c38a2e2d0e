// `hallmark quality baseline|check` through the real CLI: JSON shapes and exit codes (0 clean, 1 findings,
// 2 unreadable input / no baseline / usage).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';
import { rows, toCsv, toJsonl } from '../services/quality/synthetic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-quality-cli-'));
const home = path.join(dir, 'home');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const hallmark = cliRunner(home);
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('hallmark quality', () => {
  it('saves a baseline, passes a clean input, flags a drifted one, and refuses what it cannot read', async () => {
    const model = write('tab.onnx', 'onnx-bytes');
    expect((await hallmark('--json', 'import', model, '--allow-unknown')).code).toBe(0);
    const train = write('train.csv', toCsv(rows(3000, 1)));

    expect((await hallmark('--json', 'quality', 'check', 'tab@1', '--input', train)).code).toBe(2); // no baseline yet
    const b = await hallmark('--json', 'quality', 'baseline', 'tab@1', '--input', train);
    expect(b.code).toBe(0);
    expect(b.json).toMatchObject({ model: 'tab', version: 1, rows: 3000, columns: 5, profile: { columns: expect.any(Array) } });

    const clean = await hallmark('--json', 'quality', 'check', 'tab@1', '--input', write('new.jsonl', toJsonl(rows(1000, 2))));
    expect(clean.code).toBe(0);
    expect(clean.json).toMatchObject({ status: 'ok', findings: [], rows: 1000, format: 'jsonl' });

    const drifted = await hallmark('--json', 'quality', 'check', 'tab@1', '--input', write('drift.csv', toCsv(rows(1000, 3, { ageShift: 6, dropScore: true }))));
    expect(drifted.code).toBe(1);
    expect(drifted.json.findings.map((f: { kind: string; column: string }) => `${f.kind}:${f.column}`).sort()).toEqual(['mean_shift:age', 'missing_column:score', 'psi:age']);

    const quick = await hallmark('--json', 'quality', 'check', 'tab@1', '--input', path.join(dir, 'drift.csv'), '--max-rows', '100');
    expect(quick.json).toMatchObject({ rows: 100, partial: true });
    expect((await hallmark('--json', 'quality', 'check', 'tab@1', '--input', train, '--max-rows', '0')).code).toBe(2);

    const text = await hallmark('quality', 'check', 'tab@1', '--input', path.join(dir, 'drift.csv'));
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/\[alert\] column "score" of the baseline is not in the input/);
    expect(text.stdout).toMatch(/→ .*upstream pipeline for column "age"/);

    for (const bad of [path.join(dir, 'nope.csv'), write('empty.csv', ''), dir]) {
      const r = await hallmark('--json', 'quality', 'check', 'tab@1', '--input', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^hallmark: .+/);
    }
    expect((await hallmark('--json', 'quality', 'check', 'tab', '--input', train)).code).toBe(2); // no version
    expect((await hallmark('--json', 'quality', 'check', 'tab@9', '--input', train)).code).toBe(2);
    expect((await hallmark('--json', 'quality', 'baseline', 'tab@1', '--input', write('hdr.csv', 'a,b\n'))).code).toBe(2);
  }, 60_000);
});
