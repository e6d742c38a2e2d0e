import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandGroups, commandWord, registersFor } from '../../electron/cli/commands/index';
import { cliRunner } from '../helpers/cli';

describe('command groups load by the command asked for', () => {
  it('finds the command word after global options', () => {
    expect(commandWord(['--home', '/tmp/h', '--json', 'scan', 'a.pt'])).toBe('scan');
    expect(commandWord(['--json'])).toBeNull();
    expect(commandWord(['--home=/tmp/h', 'list'])).toBe('list');
  });

  it('loads one group for a known command, none for the version, all of them for help or a typo', async () => {
    expect(await registersFor(['scan', 'x'])).toHaveLength(1);
    expect(await registersFor(['--version'])).toHaveLength(0);
    expect(await registersFor(['--help'])).toHaveLength(commandGroups.length);
    expect(await registersFor(['scna'])).toHaveLength(commandGroups.length);
  });

  it('every command in the table is registered by its group, and help lists them all', async () => {
    const r = await cliRunner('/nonexistent-home')('--help');
    for (const g of commandGroups) for (const c of g.commands) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cliRunner('/nonexistent-home')(flag);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });
});
