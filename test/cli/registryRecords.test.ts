import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-records-cli-'));
const hallmark = cliRunner(path.join(dir, 'home'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hallmark import --metrics / hallmark metrics with reserved keys', () => {
  it('refuses {"__proto__":1} with exit 2 and a message naming the key, instead of storing {}', async () => {
    const f = path.join(dir, 'm.bin');
    fs.writeFileSync(f, 'weights');
    const bad = await hallmark('--json', 'import', f, '--allow-unknown', '--metrics', '{"__proto__":1}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --metrics: __proto__: the key "__proto__" is not allowed');
    expect((await hallmark('--json', 'list')).json).toEqual([]); // nothing was imported

    const ok = await hallmark('--json', 'import', f, '--allow-unknown', '--metrics', '{"acc":0.5}');
    expect(ok.code).toBe(0);
    const later = await hallmark('metrics', 'm@1', '{"constructor":2}');
    expect(later.code).toBe(2);
    expect(later.stderr).toContain('the key "constructor" is not allowed');
    expect((await hallmark('--json', 'versions', 'm')).json[0].metrics).toEqual({ acc: 0.5 });
  });
});
