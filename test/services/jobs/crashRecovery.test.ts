import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytes, openContext } from '../../helpers/tempHome';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kill -9 during an import', () => {
  it('leaves the registry consistent: job interrupted, temp removed, no half version', async () => {
    const home = path.join(dir, 'home');
    const big = path.join(dir, 'big.bin');
    const chunk = bytes(16 << 20, 3);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 24; i++) fs.writeSync(fd, chunk); // 384 MiB: long enough to be caught mid-copy
    fs.closeSync(fd);
    // A first, complete import so there is committed state to keep intact.
    const small = path.join(dir, 'small.bin');
    fs.writeFileSync(small, 'kept');
    const pre = openContext({ home });
    await pre.jobs.run({ kind: 'import', title: 'x' }, async (job) => (await import('../../../electron/services/registry/Importer')).importPath(pre, { path: small }, job));
    await pre.dispose();

    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli/entry.ts', 'import', '--allow-unknown', big], {
      env: { ...process.env, HALLMARK_HOME: home }, stdio: 'ignore',
    });
    const tmp = path.join(home, 'tmp');
    const started = Date.now();
    // Wait until the copy is under way (a temp part file with some bytes in it), then kill.
    for (;;) {
      const parts = fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
      if (parts.length && fs.statSync(path.join(tmp, parts[0]!)).size > 0) break;
      if (Date.now() - started > 30_000) throw new Error('import never started');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(fs.readdirSync(tmp).length).toBeGreaterThan(0);

    const ctx = openContext({ home });
    try {
      expect(fs.readdirSync(tmp)).toEqual([]);
      const jobs = ctx.jobs.list();
      expect(jobs.find((j) => j.title.includes('big.bin'))?.state).toBe('interrupted');
      const versions = ctx.db.prepare('SELECT m.name FROM versions v JOIN models m ON m.id = v.model_id').all() as Array<{ name: string }>;
      expect(versions.map((v) => v.name)).toEqual(['small']);
      expect(ctx.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await ctx.dispose();
    }
  });
});
