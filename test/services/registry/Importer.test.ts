import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../electron/services/AppContext';
import { importPath, type ImportTuning } from '../../../electron/services/registry/Importer';
import { Registry } from '../../../electron/services/registry/Registry';
import type { ImportOptions } from '../../../electron/contract/registry';
import { bytes, openContext, tempHome } from '../../helpers/tempHome';
import { writeRawZip } from '../../helpers/writeZip';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let t: ReturnType<typeof tempHome>;
let ctx: AppContext;
let reg: Registry;
const imp = (o: ImportOptions, tuning?: ImportTuning) => ctx.jobs.run({ kind: 'import', title: 'test' }, (job) => importPath(ctx, o, job, tuning));
const counts = () => ({
  models: (ctx.db.prepare('SELECT count(*) n FROM models').get() as { n: number }).n,
  versions: (ctx.db.prepare('SELECT count(*) n FROM versions').get() as { n: number }).n,
  tmp: fs.readdirSync(ctx.blobs.tmp).length,
});

beforeEach(() => {
  t = tempHome();
  ctx = t.ctx;
  reg = ctx.registry;
});
afterEach(async () => t.cleanup());

describe('importPath', () => {
  it('imports a single file into the vault with its sha256 and dedupes identical content', async () => {
    const data = bytes(40 << 20, 7); // above the small-file threshold: exercises the streaming path
    const f = path.join(t.dir, 'llama-tiny.gguf');
    fs.writeFileSync(f, data);
    const r = await imp({ path: f, tags: ['demo'] });
    expect(r).toMatchObject({ model: 'llama-tiny', version: 1, created: true });
    expect(r.files).toEqual([{ path: 'llama-tiny.gguf', size: data.length, sha256: sha(data) }]);
    expect(fs.readFileSync(ctx.blobs.pathOf(sha(data))).equals(data)).toBe(true);

    const again = await imp({ path: f });
    expect(again).toMatchObject({ model: 'llama-tiny', version: 1, created: false });
    const forced = await imp({ path: f, newVersion: true });
    expect(forced).toMatchObject({ version: 2, created: true });
    expect(reg.version('llama-tiny', 2).parent).toBe(1);
    // Stored once however many versions point at it.
    expect(fs.readdirSync(path.dirname(ctx.blobs.pathOf(sha(data))))).toHaveLength(1);
  });

  it('imports a folder preserving structure, and a zip of it yields the same content', async () => {
    const dir = path.join(t.dir, 'bert');
    fs.mkdirSync(path.join(dir, 'tokenizer'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type":"bert"}');
    fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes(100_000, 3));
    fs.writeFileSync(path.join(dir, 'tokenizer', 'vocab.txt'), 'a\nb\n');
    const r = await imp({ path: dir });
    expect(r.files.map((f) => f.path).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer/vocab.txt']);
    expect(reg.version('bert').framework).toBe('huggingface');

    const zip = path.join(t.dir, 'bert.zip');
    writeRawZip(zip, [
      { name: 'config.json', data: fs.readFileSync(path.join(dir, 'config.json')) },
      { name: 'tokenizer/', data: Buffer.alloc(0), mode: 0o040755 },
      { name: 'tokenizer/vocab.txt', data: fs.readFileSync(path.join(dir, 'tokenizer', 'vocab.txt')), deflate: true },
      { name: 'model.safetensors', data: fs.readFileSync(path.join(dir, 'model.safetensors')) },
    ]);
    const z = await imp({ path: zip });
    expect(z).toMatchObject({ model: 'bert', version: 1, created: false });
  });

  it('registers in place, then verify flags changed and missing files', async () => {
    const f = path.join(t.dir, 'w.safetensors');
    fs.writeFileSync(f, bytes(5000, 9));
    const r = await imp({ path: f, inPlace: true, name: 'inplace' });
    expect(r.created).toBe(true);
    const v = reg.version('inplace');
    expect(v.storage).toBe('in_place');
    expect(fs.existsSync(ctx.blobs.pathOf(r.files[0]!.sha256))).toBe(false);
    const { verifyVersion } = await import('../../../electron/services/registry/verifyVersion');
    const verify = () => ctx.jobs.run({ kind: 'verify', title: 'v' }, (job) => verifyVersion(ctx, 'inplace', 1, job));
    expect((await verify()).ok).toBe(true);
    fs.writeFileSync(f, bytes(5000, 10));
    const changed = await verify();
    expect(changed.ok).toBe(false);
    expect(changed.mismatches).toEqual([{ path: 'w.safetensors', expected: r.files[0]!.sha256, actual: sha(bytes(5000, 10)) }]);
    expect(reg.version('inplace').integrity).toBe('changed');
    fs.rmSync(f);
    expect((await verify()).mismatches[0]!.actual).toBe('missing');
    expect(reg.version('inplace').integrity).toBe('missing');
  });

  it('uses both cores for a folder of many files (results identical to one worker)', async () => {
    const dir = path.join(t.dir, 'many');
    fs.mkdirSync(dir);
    for (let i = 0; i < 64; i++) fs.writeFileSync(path.join(dir, `shard-${i}.bin`), bytes(20_000 + i, i + 1));
    // Count files in flight through the real ingest (it still does all the work): one worker must never
    // overlap, many must, or the "concurrency" option is being ignored.
    const real = ctx.blobs.ingestFile.bind(ctx.blobs);
    let inFlight = 0;
    let peak = 0;
    ctx.blobs.ingestFile = async (...a: Parameters<typeof real>) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await real(...a);
      } finally {
        inFlight--;
      }
    };
    const one = await imp({ path: dir, name: 'one' }, { concurrency: 1 });
    expect(peak).toBe(1);
    peak = 0;
    const many = await imp({ path: dir, name: 'many' }, { concurrency: 4 });
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(4);
    expect(many.files).toEqual(one.files);
  });
});

describe('bad input changes nothing', () => {
  const expectRejected = async (o: ImportOptions, code: string, tuning?: ImportTuning) => {
    const before = counts();
    await expect(imp(o, tuning)).rejects.toMatchObject({ code });
    expect(counts()).toEqual({ ...before, tmp: 0 });
  };

  it('missing path, FIFO, device', async () => {
    await expectRejected({ path: path.join(t.dir, 'nope.gguf') }, 'not_found');
    const fifo = path.join(t.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expectRejected({ path: fifo }, 'not_regular_file');
    await expectRejected({ path: '/dev/null' }, 'not_regular_file');
    const dir = path.join(t.dir, 'withfifo');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.bin'), 'x');
    execFileSync('mkfifo', [path.join(dir, 'p')]);
    await expectRejected({ path: dir }, 'not_regular_file');
  });

  it('unreadable file', async () => {
    const f = path.join(t.dir, 'secret.bin');
    fs.writeFileSync(f, 'x');
    fs.chmodSync(f, 0);
    if (process.getuid?.() !== 0) {
      await expectRejected({ path: f }, 'unreadable');
      return;
    }
    // Root reads any file whatever its mode (CI runs as root): import it as an unprivileged user instead,
    // through the real CLI, into a home that user owns.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-nobody-'));
    fs.chmodSync(home, 0o755);
    fs.chownSync(home, 65534, 65534);
    fs.chmodSync(t.dir, 0o755);
    try {
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/hallmark.js', '--home', path.join(home, 'h'), 'import', f, '--json'], { encoding: 'utf8', timeout: 120_000 });
      expect(r.error).toBeUndefined();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/cannot be read: permission denied/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('zip slip, absolute paths, symlinks, duplicates, bombs', async () => {
    const z = (name: string, entries: Parameters<typeof writeRawZip>[1]) => {
      const p = path.join(t.dir, name);
      writeRawZip(p, entries);
      return p;
    };
    await expectRejected({ path: z('slip.zip', [{ name: 'ok.txt', data: Buffer.from('a') }, { name: '../../evil.sh', data: Buffer.from('rm -rf') }]) }, 'zip_slip');
    await expectRejected({ path: z('abs.zip', [{ name: '/etc/cron.d/x', data: Buffer.from('a') }]) }, 'zip_absolute_path');
    await expectRejected({ path: z('win.zip', [{ name: 'C:\\Windows\\x.dll', data: Buffer.from('a') }]) }, 'zip_absolute_path');
    await expectRejected({ path: z('link.zip', [{ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]) }, 'zip_symlink');
    await expectRejected({ path: z('dup.zip', [{ name: 'a.bin', data: Buffer.from('1') }, { name: 'a.bin', data: Buffer.from('2') }]) }, 'duplicate_path');
    await expectRejected({ path: z('bomb.zip', [{ name: 'zeros.bin', data: Buffer.alloc(50 << 20), deflate: true }]) }, 'zip_bomb');
  });

  it('a zip whose declared size lies is caught while streaming, and nothing is committed', async () => {
    const p = path.join(t.dir, 'lie.zip');
    writeRawZip(p, [{ name: 'a.bin', data: bytes(4096, 2) }]);
    const buf = fs.readFileSync(p);
    // Shrink the declared uncompressed size in both headers: the real data is longer.
    buf.writeUInt32LE(100, 22);
    const cdOff = buf.readUInt32LE(buf.length - 6);
    buf.writeUInt32LE(100, cdOff + 24);
    fs.writeFileSync(p, buf);
    await expectRejected({ path: p }, 'bad_zip');
  });

  it('symlinks escaping the folder', async () => {
    const dir = path.join(t.dir, 'linky');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.bin'), 'x');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    await expectRejected({ path: dir }, 'symlink_escape');
  });

  it('invalid names, tags and metrics are refused by the contract', async () => {
    const f = path.join(t.dir, 'a.bin');
    fs.writeFileSync(f, 'x');
    await expect(imp({ path: f, tags: ['Bad Tag!'] })).rejects.toThrow(/tags are/);
    await expect(imp({ path: f, metrics: { acc: Number.NaN } })).rejects.toThrow(/metrics.acc/);
    await expect(imp({ path: f, name: '../etc' })).rejects.toThrow(/letters, digits/);
    expect(counts().versions).toBe(0);
  });

  it('a full disk mid-copy leaves no version and no temp file', async (testCtx) => {
    const mnt = path.join(t.dir, 'small');
    fs.mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
    if (m.status !== 0) {
      testCtx.skip(); // needs root to mount a small tmpfs; CI runs as root
      return;
    }
    try {
      const small = openContext({ home: path.join(mnt, 'home') });
      const f = path.join(t.dir, 'big.bin');
      fs.writeFileSync(f, bytes(40 << 20, 5));
      await expect(small.jobs.run({ kind: 'import', title: 'x' }, (job) => importPath(small, { path: f }, job))).rejects.toMatchObject({ code: 'disk_full' });
      await expect(small.jobs.run({ kind: 'import', title: 'x' }, (job) => importPath(small, { path: f }, job, { checkSpace: false }))).rejects.toMatchObject({ code: 'disk_full' });
      expect((small.db.prepare('SELECT count(*) n FROM versions').get() as { n: number }).n).toBe(0);
      expect(fs.readdirSync(small.blobs.tmp)).toEqual([]);
      await small.dispose();
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });

  it('a cancelled import leaves nothing behind', async () => {
    const f = path.join(t.dir, 'big.bin');
    fs.writeFileSync(f, bytes(64 << 20, 4));
    const { id, promise } = ctx.jobs.start({ kind: 'import', title: 'x' }, (job) => importPath(ctx, { path: f }, job));
    setTimeout(() => ctx.jobs.cancel(id), 5);
    await expect(promise).rejects.toThrow();
    expect(ctx.jobs.get(id).state).toBe('cancelled');
    expect(counts()).toMatchObject({ versions: 0, tmp: 0 });
  });
});
