import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportOptions } from '../../../electron/contract/registry';
import { AppContext } from '../../../electron/services/AppContext';
import type { JobHandle } from '../../../electron/services/jobs/JobManager';
import { importPath, type ImportTuning } from '../../../electron/services/registry/Importer';
import { Registry } from '../../../electron/services/registry/Registry';
import { verifyVersion } from '../../../electron/services/registry/verifyVersion';
import { bytes, openContext, tempHome, writeAt } from '../../helpers/tempHome';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let t: ReturnType<typeof tempHome>;
let ctx: AppContext;
let reg: Registry;
beforeEach(() => {
  t = tempHome();
  ctx = t.ctx;
  reg = ctx.registry;
});
afterEach(async () => t.cleanup());

/** Imports with a hook called on every progress report (the import is mid-way at that point). */
const importWith = (o: ImportOptions, onProgress: (done: number) => void, tuning?: ImportTuning) =>
  ctx.jobs.run({ kind: 'import', title: 'test' }, (job) => importPath(ctx, o, {
    ...job, id: job.id, signal: job.signal, throwIfCancelled: () => job.throwIfCancelled(),
    progress: (d, tot, m) => { onProgress(d); job.progress(d, tot, m); },
  } satisfies JobHandle, tuning));
const verify = (name: string, v?: number) => ctx.jobs.run({ kind: 'verify', title: 'v' }, (job) => verifyVersion(ctx, name, v, job));
const blobFiles = () => fs.readdirSync(path.join(ctx.blobs.root, 'sha256'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;

describe('delete during an import of overlapping content', () => {
  it('the import notices the vanished blob, re-ingests it, and the new version verifies', async () => {
    const shared = bytes(100_000, 1);
    writeAt(t.dir, 'x/a.bin', shared);
    await importWith({ path: path.join(t.dir, 'x'), name: 'X' }, () => undefined);
    writeAt(t.dir, 'y/a.bin', shared);
    writeAt(t.dir, 'y/b.bin', bytes(40 << 20, 2)); // streams in chunks: progress fires while it copies
    let deleted = false;
    const r = await importWith({ path: path.join(t.dir, 'y'), name: 'Y' }, (done) => {
      if (!deleted && done > shared.length) {
        deleted = true;
        void reg.delete('X', undefined, 'X'); // runs its transaction synchronously, here, mid-import
      }
    }, { concurrency: 1 });
    expect(deleted).toBe(true);
    expect(r.created).toBe(true);
    expect(reg.findModel('X')).toBeUndefined();
    expect(fs.existsSync(ctx.blobs.pathOf(sha(shared)))).toBe(true);
    expect(await verify('Y')).toMatchObject({ ok: true, mismatches: [] });
    expect(fs.readdirSync(ctx.blobs.trash)).toEqual([]);
  });

  it('a delete whose transaction fails puts the blobs back', async () => {
    const data = bytes(5000, 3);
    await importWith({ path: writeAt(t.dir, 'k.bin', data) }, () => undefined);
    // A trigger makes the delete's transaction fail after the blob was moved aside.
    ctx.db.exec(`CREATE TRIGGER no_del BEFORE DELETE ON models BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await expect(reg.delete('k', undefined, 'k')).rejects.toThrow(/refused/);
    ctx.db.exec(`DROP TRIGGER no_del`);
    expect(fs.existsSync(ctx.blobs.pathOf(sha(data)))).toBe(true);
    expect((await verify('k')).ok).toBe(true);
  });

  it('start-up puts back a blob a killed delete left in the trash, and drops trash of a committed delete', async () => {
    const kept = bytes(3000, 4);
    const gone = bytes(3000, 5);
    await importWith({ path: writeAt(t.dir, 'kept.bin', kept) }, () => undefined);
    const blobKept = ctx.blobs.pathOf(sha(kept));
    // As a delete killed between its rename and its COMMIT, by a process that is dead now (PID 1's start differs).
    fs.renameSync(blobKept, path.join(ctx.blobs.trash, `${sha(kept)}-1_1-aaaa`));
    fs.writeFileSync(path.join(ctx.blobs.trash, `${sha(gone)}-1_1-bbbb`), gone);
    await ctx.dispose();
    const again = openContext({ home: t.home });
    try {
      expect(fs.existsSync(blobKept)).toBe(true);
      expect(fs.readdirSync(again.blobs.trash)).toEqual([]);
    } finally {
      await again.dispose();
    }
  });
});

describe('a file changed while it is imported', () => {
  for (const inPlace of [false, true]) {
    for (const change of ['truncated', 'grown'] as const) {
      it(`${change} (> 32 MB, ${inPlace ? 'in place' : 'vault'}) is refused and nothing is committed`, async () => {
        const f = writeAt(t.dir, 'big.bin', bytes(48 << 20, 6));
        let changed = false;
        await expect(importWith({ path: f, inPlace }, (done) => {
          if (!changed && done > 0) {
            changed = true;
            if (change === 'truncated') fs.truncateSync(f, 40 << 20);
            else fs.appendFileSync(f, bytes(8 << 20, 7));
          }
        })).rejects.toMatchObject({ code: 'changed_while_reading', message: expect.stringMatching(/changed while it was read/) });
        expect(changed).toBe(true);
        expect((ctx.db.prepare('SELECT count(*) n FROM versions').get() as { n: number }).n).toBe(0);
        expect(blobFiles()).toBe(0);
        expect(fs.readdirSync(ctx.blobs.tmp)).toEqual([]);
      });
    }
  }
});

describe('a corrupted vault blob', () => {
  it('is healed by importing the intact original again', async () => {
    const data = bytes(200_000, 9);
    const f = writeAt(t.dir, 'm.bin', data);
    await importWith({ path: f }, () => undefined);
    const blob = ctx.blobs.pathOf(sha(data));
    fs.chmodSync(blob, 0o600);
    fs.writeFileSync(blob, Buffer.concat([data.subarray(0, 1000), Buffer.from('rot'), data.subarray(1003)]));
    expect((await verify('m')).ok).toBe(false);
    const again = await importWith({ path: f, newVersion: true }, () => undefined);
    expect(again.created).toBe(true);
    expect(fs.readFileSync(blob).equals(data)).toBe(true);
    expect((await verify('m', 1)).ok).toBe(true);
    expect((await verify('m', 2)).ok).toBe(true);
  });
});

describe('a folder import that fails part-way', () => {
  it('leaves no orphan blob behind', async () => {
    writeAt(t.dir, 'f/a.bin', bytes(10_000, 10));
    writeAt(t.dir, 'f/b.bin', bytes(10_000, 11));
    let removed = false;
    await expect(importWith({ path: path.join(t.dir, 'f') }, (done) => {
      if (!removed && done > 0) {
        removed = true;
        fs.rmSync(path.join(t.dir, 'f/b.bin')); // vanishes after the plan, before it is read
      }
    }, { concurrency: 1 })).rejects.toMatchObject({ code: 'not_found' });
    expect(blobFiles()).toBe(0);
  });
});

describe('post-import scan lost to a kill', () => {
  it('is resumed by the next long-lived process, once, as a background job', async () => {
    const f = writeAt(t.dir, 'p.bin', bytes(2000, 12));
    await importWith({ path: f }, () => undefined);
    const v = reg.version('p');
    // As if killed between commit and scan: no scan row, the pending row owned by a dead process.
    ctx.db.prepare('DELETE FROM scans WHERE version_id = ?').run(v.id);
    ctx.db.prepare(`INSERT OR REPLACE INTO pending_hooks (version_id, owner, created_at) VALUES (?, '1_1', 'x')`).run(v.id);
    expect(reg.latestScan(v.id)).toBeNull();
    const r = ctx.resumePostImport();
    expect(r?.versions).toBe(1);
    await ctx.jobs.wait(r!.jobId);
    expect(reg.latestScan(v.id)).not.toBeNull();
    expect(ctx.db.prepare('SELECT count(*) n FROM pending_hooks').get()).toEqual({ n: 0 });
    expect(ctx.resumePostImport()).toBeNull();
  });

  it('does not take work a live process still owns', async () => {
    const f = writeAt(t.dir, 'q.bin', bytes(2000, 13));
    await importWith({ path: f }, () => undefined);
    const v = reg.version('q');
    const { selfOwner } = await import('../../../electron/services/process/owner');
    ctx.db.prepare(`INSERT OR REPLACE INTO pending_hooks (version_id, owner, created_at) VALUES (?, ?, 'x')`).run(v.id, selfOwner());
    expect(ctx.resumePostImport()).toBeNull();
  });
});

describe('file modes', () => {
  it('home 0700, database files 0600, temp and blobs private', async () => {
    const data = bytes(1000, 14);
    await importWith({ path: writeAt(t.dir, 'perm.bin', data) }, () => undefined);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(t.home)).toBe(0o700);
    for (const f of ['hallmark.db', 'hallmark.db-wal', 'hallmark.db-shm']) expect(mode(path.join(t.home, f))).toBe(0o600);
    expect(mode(ctx.blobs.pathOf(sha(data)))).toBe(0o400);
    expect(mode(ctx.blobs.tmp)).toBe(0o700);
    expect(mode(ctx.blobs.root) & 0o077).toBe(0);
  });
});

describe('zip bombs', () => {
  it('many entries each under the per-entry floor are refused by the overall ratio, before a byte is written', async () => {
    const { writeRawZip } = await import('../../helpers/writeZip');
    const zip = path.join(t.dir, 'many.zip');
    const mib = Buffer.alloc(1 << 20);
    writeRawZip(zip, Array.from({ length: 300 }, (_, i) => ({ name: `z${i}.bin`, data: mib, deflate: true })));
    expect(fs.statSync(zip).size).toBeLessThan(1 << 20);
    let written = 0;
    await expect(importWith({ path: zip }, (d) => (written = d))).rejects.toMatchObject({ code: 'zip_bomb', message: expect.stringMatching(/in all/) });
    expect(written).toBe(0);
    expect(blobFiles()).toBe(0);
  });

  it('an entry inflating past its declared size stops while streaming', async () => {
    const { writeRawZip } = await import('../../helpers/writeZip');
    const zip = path.join(t.dir, 'lie.zip');
    writeRawZip(zip, [{ name: 'a.bin', data: bytes(200_000, 15), deflate: true }]);
    const buf = fs.readFileSync(zip);
    buf.writeUInt32LE(1000, 22); // declared uncompressed size: 1000, real: 200,000
    const cd = buf.readUInt32LE(buf.length - 6);
    buf.writeUInt32LE(1000, cd + 24);
    fs.writeFileSync(zip, buf);
    await expect(importWith({ path: zip }, () => undefined)).rejects.toThrow();
    expect(blobFiles()).toBe(0);
    expect(fs.readdirSync(ctx.blobs.tmp)).toEqual([]);
  });
});

describe('verify on a corrupted vault blob', () => {
  it('says to re-import the original, and --repair-from heals it from a folder after checking the hash', async () => {
    const { cliRunner } = await import('../../helpers/cli');
    const cli = cliRunner(t.home);
    const good = bytes(300_000, 16);
    const other = bytes(300_000, 17); // same size, other bytes: must not be taken as the repair
    writeAt(t.dir, 'model/w.bin', good);
    writeAt(t.dir, 'model/cfg.json', '{}');
    await importWith({ path: path.join(t.dir, 'model'), name: 'rot' }, () => undefined);
    const blob = ctx.blobs.pathOf(sha(good));
    fs.chmodSync(blob, 0o600);
    fs.writeFileSync(blob, other);
    const bad = await cli('--json', 'verify', 'rot@1');
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ ok: false, mismatches: [{ path: 'w.bin', expected: sha(good), actual: sha(other) }] });
    expect(bad.json.hint).toMatch(/re-import the original.*--repair-from/);
    const human = await cli('verify', 'rot@1');
    expect(human.stdout).toMatch(/re-import the original/);

    writeAt(t.dir, 'copies/decoy.bin', other);
    writeAt(t.dir, 'copies/sub/w-backup.bin', good);
    const fixed = await cli('--json', 'verify', 'rot@1', '--repair-from', path.join(t.dir, 'copies'));
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.json).toMatchObject({ ok: true, mismatches: [], repaired: [{ path: 'w.bin', sha256: sha(good), from: path.join(t.dir, 'copies/sub/w-backup.bin') }] });
    expect(fs.readFileSync(blob).equals(good)).toBe(true);
    expect((await cli('--json', 'verify', 'rot@1')).json).toMatchObject({ ok: true });
  });
});

describe('export of a version whose bytes changed', () => {
  it('is refused and leaves no zip; --force exports with a warning', async () => {
    const { cliRunner } = await import('../../helpers/cli');
    const cli = cliRunner(t.home);
    const f = writeAt(t.dir, 'e.bin', bytes(50_000, 18));
    await importWith({ path: f, inPlace: true, name: 'ex' }, () => undefined);
    fs.writeFileSync(f, bytes(50_000, 19)); // same size, other bytes
    const out = path.join(t.dir, 'ex.zip');
    const r = await cli('--json', 'export', 'ex@1', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no longer matches.*--force/);
    expect(fs.readdirSync(t.dir).filter((n) => n.startsWith('ex.zip'))).toEqual([]);
    const forced = await cli('--json', 'export', 'ex@1', out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: "e.bin" no longer matches/);
    expect(forced.json.warnings).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(true);
    fs.appendFileSync(f, 'grown');
    const grown = await cli('--json', 'export', 'ex@1', path.join(t.dir, 'ex2.zip'));
    expect(grown.code).toBe(2);
    expect(fs.existsSync(path.join(t.dir, 'ex2.zip'))).toBe(false);
  });
});

describe('a full disk', () => {
  it('fails the job with Hallmark\'s message, never leaves it running, even when the job-state write is refused', async (tc) => {
    const { spawnSync } = await import('node:child_process');
    const mnt = path.join(t.dir, 'full');
    fs.mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mnt]).status !== 0) {
      console.warn('skipped: mounting a 20 MB tmpfs needs root (mount -t tmpfs)');
      tc.skip();
      return;
    }
    const filler = path.join(mnt, 'filler');
    try {
      const small = openContext({ home: path.join(mnt, 'home') });
      const src = writeAt(t.dir, 'df.bin', bytes(1 << 20, 20));
      let jobId = '';
      let filled = false;
      const run = small.jobs.run({ kind: 'import', title: 'disk full' }, (job) => {
        jobId = job.id;
        // In place: no blob is written, so the failed import frees nothing before the job-state write.
        return importPath(small, { path: src, inPlace: true }, {
          ...job, id: job.id, signal: job.signal, throwIfCancelled: () => job.throwIfCancelled(),
          progress: (d, tot, m) => {
            // Once the bytes are copied, another program takes the last free block: the commit and the
            // job's own state write both hit SQLITE_FULL.
            if (!filled && d > 0) {
              filled = true;
              const fd = fs.openSync(filler, 'w');
              const block = Buffer.alloc(64 << 10);
              try {
                for (;;) fs.writeSync(fd, block);
              } catch {
                for (let n = 4096; n >= 1; n >>= 1) {
                  try { for (;;) fs.writeSync(fd, block.subarray(0, n)); } catch { /* next smaller */ }
                }
              } finally {
                fs.closeSync(fd);
              }
            }
            job.progress(d, tot, m);
          },
        } satisfies JobHandle, { checkSpace: false });
      });
      const err = await run.then(() => null, (e: unknown) => e as { code?: string; message: string });
      expect(filled).toBe(true);
      expect(err).toMatchObject({ code: 'disk_full', message: expect.stringMatching(/disk is full.*free some space/) });
      expect(err!.message).not.toMatch(/database or disk is full/);
      expect(small.jobs.get(jobId)).toMatchObject({ state: 'failed', error: expect.stringMatching(/free some space/) });
      fs.rmSync(filler); // the user frees space: the state write that was refused lands now
      await small.dispose();
      const after = openContext({ home: path.join(mnt, 'home') });
      try {
        expect(after.jobs.get(jobId)).toMatchObject({ state: 'failed', error: expect.stringMatching(/free some space/) });
        expect((after.db.prepare('SELECT count(*) n FROM versions').get() as { n: number }).n).toBe(0);
        expect(fs.readdirSync(after.blobs.tmp)).toEqual([]);
      } finally {
        await after.dispose();
      }
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });
});
