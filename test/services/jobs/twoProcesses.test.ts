import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerAlive, ownerOfName, procStartTime, selfOwner } from '../../../electron/services/process/owner';
import { bytes, openContext } from '../../helpers/tempHome';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-2proc-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('owner identity', () => {
  it('tells this process, a dead one and a reused PID apart', () => {
    expect(ownerAlive(selfOwner())).toBe(true);
    const r = spawnSync(process.execPath, ['-e', '0']);
    expect(r.status).toBe(0);
    expect(ownerAlive(`${r.pid}_1`)).toBe(false);
    // Same live PID (ours), another start time: a process that died before we were started.
    const start = procStartTime(process.pid);
    if (typeof start === 'string') expect(ownerAlive(`${process.pid}_${Number(start) + 1}`)).toBe(false);
    expect(ownerAlive('garbage')).toBe(false);
    expect(ownerOfName(`part-${selfOwner()}-abcdef012345`)).toBe(selfOwner());
    expect(ownerOfName('upload-1_2-abcdef012345')).toBeNull();
    expect(ownerOfName('upload-17')).toBeNull();
  });
});

describe('a second process opening the same home', () => {
  it('does not delete a live import\'s temp file nor mark its job interrupted', async () => {
    const home = path.join(dir, 'home');
    const big = path.join(dir, 'big.bin');
    const chunk = bytes(16 << 20, 5);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 24; i++) fs.writeSync(fd, chunk); // 384 MiB: still copying when we open
    fs.closeSync(fd);
    await openContext({ home }).dispose();
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/cli/entry.ts', '--json', 'import', '--allow-unknown', big], {
      env: { ...process.env, HALLMARK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const tmp = path.join(home, 'tmp');
    const started = Date.now();
    for (;;) {
      const parts = fs.readdirSync(tmp);
      if (parts.length && fs.statSync(path.join(tmp, parts[0]!)).size > 0) break;
      if (Date.now() - started > 30_000) throw new Error(`import never started: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // What `hallmark list` does: open the context (start-up recovery runs) while the import copies.
    const ctx = openContext({ home });
    try {
      const part = fs.readdirSync(tmp);
      expect(part.length).toBeGreaterThan(0);
      expect(ctx.jobs.list().find((j) => j.title.includes('big.bin'))?.state).toBe('running');
    } finally {
      await ctx.dispose();
    }
    expect(await exited, stderr).toBe(0);
    const after = openContext({ home });
    try {
      expect(after.jobs.list().find((j) => j.title.includes('big.bin'))?.state).toBe('done');
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      await after.dispose();
    }
  }, 60_000);
});
