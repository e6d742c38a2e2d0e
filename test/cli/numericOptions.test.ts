import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePort } from '../../electron/cli/commands/serve';
import { cliRunner } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-serve-cli-'));
const hallmark = cliRunner(path.join(dir, 'home'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hallmark serve --port', () => {
  it('refuses a port that is not an integer from 0 to 65535 with exit 2, naming the value', async () => {
    for (const bad of ['abc', '-1', '65536', '1.5', '80x', '', '0x50', '1e3', ' 80']) {
      const r = await hallmark('serve', '--port', bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toContain(`--port must be an integer from 0 to 65535 (0: any free port), got ${JSON.stringify(bad)}`);
    }
  });

  it('accepts 0 to 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort('65536')).toBeNull();
  });
});

describe('hallmark list --limit', () => {
  it('refuses a limit that is not a positive integer instead of silently listing 200', async () => {
    for (const bad of ['abc', '0', '-3', '2.5']) {
      const r = await hallmark('list', '--limit', bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toContain(`--limit must be a positive integer, got ${JSON.stringify(bad)}`);
    }
    expect((await hallmark('--json', 'list', '--limit', '10')).code).toBe(0);
  });
});
