// Proof for issue 14: two CLI processes and the bridge work on ONE home at once (imports of overlapping
// content, lists, deletes, verifies), then every remaining version verifies, no job is left running and
// no temp or trash file lingers. Real processes, real SQLite, real files.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../../electron/bridge/Bridge';
import { verifyVersion } from '../../../electron/services/registry/verifyVersion';
import { bytes, openContext, tempHome, writeAt } from '../../helpers/tempHome';

const ROUNDS = 5;
const DEADLINE_MS = 90_000;

let t: ReturnType<typeof tempHome>;
beforeAll(() => {
  // The real `hallmark` bin runs the bundle in out/cli (tsx would only be slower): build it when missing.
  if (!fs.existsSync('out/cli/hallmark.js')) {
    const b = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build:cli failed');
  }
  t = tempHome('hallmark-conc-');
});
afterAll(async () => t.cleanup());

interface Run { code: number | null; stdout: string; stderr: string; args: string[] }
const hallmark = (...args: string[]): Promise<Run> => new Promise((resolve) => {
  const c = spawn(process.execPath, ['bin/hallmark.js', '--home', t.home, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d) => (stdout += String(d)));
  c.stderr.on('data', (d) => (stderr += String(d)));
  c.once('exit', (code) => resolve({ code, stdout, stderr, args }));
});

/** Failures a concurrent delete may legitimately cause; anything else (ENOENT rename, raw SQLite) is a bug. */
const EXPECTED = /no model named|has no version|has no versions|removed while it ran|deleted while this ran|confirm/;

describe('two CLI processes and the bridge on one home', () => {
  it('import, list, delete and verify in loops; afterwards everything verifies and nothing lingers', async () => {
    const shared = bytes(12 << 20, 101); // big enough that imports overlap with the other loops' deletes
    const shared2 = bytes(300_000, 102);
    for (const who of ['cli1', 'cli2', 'bridge']) {
      writeAt(t.dir, `${who}/shared.bin`, shared);
      writeAt(t.dir, `${who}/shared2.bin`, shared2);
    }
    const started = Date.now();
    const failures: string[] = [];
    const check = (r: Run) => {
      if (r.code === 0 || r.code === 1) return;
      if (!EXPECTED.test(r.stderr)) failures.push(`${r.args.join(' ')} → ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    };

    const cliLoop = async (me: string, other: string) => {
      for (let i = 0; i < ROUNDS && Date.now() - started < DEADLINE_MS; i++) {
        writeAt(t.dir, `${me}/own.bin`, bytes(50_000, 1000 + i + (me === 'cli1' ? 0 : 500)));
        check(await hallmark('import', path.join(t.dir, me), '--name', me, '--new-version'));
        check(await hallmark('list'));
        check(await hallmark('delete', other, '--yes')); // the other loop's model, likely mid-import
        check(await hallmark('verify', me));
      }
    };

    const bridgeCtx = openContext({ home: t.home });
    const bridge = new Bridge(bridgeCtx, { port: 0, token: 'concurrency-test-token' });
    await bridge.start();
    const call = async (method: string, input?: unknown): Promise<{ ok: boolean; result?: any; error?: { code: string; message: string } }> => {
      const r = await fetch(`http://127.0.0.1:${bridge.port}/api/call/${method}`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-hallmark-token': 'concurrency-test-token' }, body: JSON.stringify(input ?? {}),
      });
      return await r.json() as never;
    };
    const bridgeLoop = async () => {
      for (let i = 0; i < ROUNDS && Date.now() - started < DEADLINE_MS; i++) {
        writeAt(t.dir, 'bridge/own.bin', bytes(50_000, 3000 + i));
        const imp = await call('registry.import', { path: path.join(t.dir, 'bridge'), name: 'bridge', newVersion: true });
        expect(imp.ok, JSON.stringify(imp.error)).toBe(true);
        const job = await call('jobs.wait', { id: imp.result.jobId, timeoutMs: 60_000 });
        if (job.result.state !== 'done' && !EXPECTED.test(job.result.error ?? '')) failures.push(`bridge import → ${job.result.state}: ${job.result.error}`);
        const list = await call('registry.list', {});
        expect(list.ok).toBe(true);
        const victim = i % 2 ? 'cli1' : 'cli2';
        const del = await call('registry.delete', { name: victim, confirm: victim });
        if (!del.ok && !EXPECTED.test(del.error?.message ?? '')) failures.push(`bridge delete → ${del.error?.message}`);
      }
    };

    try {
      await Promise.all([cliLoop('cli1', 'cli2'), cliLoop('cli2', 'cli1'), bridgeLoop()]);
    } finally {
      await bridge.close();
      await bridgeCtx.dispose();
    }
    expect(failures).toEqual([]);

    // All processes have exited: check the home as a fresh process would find it.
    const ctx = openContext({ home: t.home });
    try {
      const reg = ctx.registry;
      const versions = ctx.db.prepare(`SELECT m.name, v.number FROM versions v JOIN models m ON m.id = v.model_id`).all() as Array<{ name: string; number: number }>;
      expect(versions.length).toBeGreaterThan(0);
      for (const v of versions) {
        const r = await ctx.jobs.run({ kind: 'verify', title: 'final' }, (job) => verifyVersion(ctx, v.name, v.number, job));
        expect(r, `${v.name}@${v.number}`).toMatchObject({ ok: true, mismatches: [] });
      }
      expect(ctx.db.prepare(`SELECT id, title, state FROM jobs WHERE state IN ('running','queued')`).all()).toEqual([]);
      expect(ctx.db.prepare(`SELECT count(*) n FROM jobs WHERE state = 'interrupted'`).get()).toEqual({ n: 0 });
      expect(fs.readdirSync(ctx.blobs.tmp)).toEqual([]);
      expect(fs.readdirSync(ctx.blobs.trash)).toEqual([]);
      expect(await ctx.blobs.gc((shas) => reg.reclaimBlobs(() => null, () => shas).removed)).toBe(0); // no orphan blob either
      expect(ctx.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await ctx.dispose();
    }
  }, 180_000);
});
