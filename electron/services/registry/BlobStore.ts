import { createHash, randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { HallmarkError, quote } from '../errors';
import { ownerAlive, ownerOfName, selfOwner } from '../process/owner';

export interface IngestResult {
  sha256: string;
  size: number;
}

export type Progress = (deltaBytes: number) => void;

const CHUNK = 4 << 20;
/** Files up to this size are hashed with WebCrypto, which runs in libuv's pool: many small files use every core. */
const SMALL = 32 << 20;

/**
 * Content-addressed store: blobs/sha256/ab/cdef…. Writes go to a temp file, are fsync'ed and renamed,
 * so a crash leaves either the whole blob or a temp file that start-up removes.
 * Temp and trash names carry the owning process (`part-<pid>_<start>-<random>`): several processes
 * share one home, and each reclaims only what a dead one left.
 */
export class BlobStore {
  /** Blobs being deleted wait here (same file system, so moving them is an atomic rename). */
  readonly trash: string;

  constructor(readonly root: string, readonly tmp: string) {
    this.trash = path.join(root, 'trash');
    for (const d of [path.join(root, 'sha256'), tmp, this.trash]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    }
    for (const d of [root, tmp, this.trash]) {
      try {
        fs.chmodSync(d, 0o700);
      } catch {
        // not ours to change (a shared, read-only home): the files inside are still 0600/0400
      }
    }
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new HallmarkError('invalid_hash', `not a sha256 hex digest: ${quote(sha256)}`);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2));
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /**
   * Removes temp files left by a crashed or killed process. A name that carries its owner is removed
   * only when that owner is dead; one that does not (an upload folder, an older build's file) only
   * when no other Hallmark process is alive on this home (`othersAlive` false).
   */
  cleanTemp(othersAlive = false): number {
    let n = 0;
    for (const f of fs.readdirSync(this.tmp)) {
      const owner = ownerOfName(f);
      if (owner ? ownerAlive(owner) : othersAlive) continue;
      fs.rmSync(path.join(this.tmp, f), { recursive: true, force: true });
      n++;
    }
    return n;
  }

  tempPath(label = 'part'): string {
    return path.join(this.tmp, `${label}-${selfOwner()}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Moves a blob aside (delete protocol, step 1: inside the deleting IMMEDIATE transaction, so a commit
   * serialised after it sees the file gone). Returns where it went, or null when it was not there.
   */
  trashBlob(sha256: string): string | null {
    const to = path.join(this.trash, `${sha256}-${selfOwner()}-${randomBytes(6).toString('hex')}`);
    try {
      fs.renameSync(this.pathOf(sha256), to);
      return to;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Puts a trashed blob back (its transaction rolled back); a copy that reappeared meanwhile wins. */
  restoreBlob(sha256: string, from: string): void {
    const dest = this.pathOf(sha256);
    if (fs.existsSync(dest)) fs.rmSync(from, { force: true });
    else fs.renameSync(from, dest);
  }

  /**
   * Start-up: trash left by a dead process is either a committed delete (remove it) or a delete whose
   * transaction never committed (the blob is still referenced: put it back).
   */
  recoverTrash(referenced: (sha256: string) => boolean): { restored: number; removed: number } {
    let restored = 0;
    let removed = 0;
    for (const f of fs.readdirSync(this.trash)) {
      const owner = ownerOfName(f);
      if (owner && ownerAlive(owner)) continue;
      const sha = f.split('-')[0]!;
      const p = path.join(this.trash, f);
      if (/^[0-9a-f]{64}$/.test(sha) && referenced(sha) && !fs.existsSync(this.pathOf(sha))) {
        fs.mkdirSync(path.dirname(this.pathOf(sha)), { recursive: true });
        fs.renameSync(p, this.pathOf(sha));
        restored++;
      } else {
        fs.rmSync(p, { recursive: true, force: true });
        removed++;
      }
    }
    return { restored, removed };
  }

  /**
   * Removes blob files that no committed version references (left by a crash between copy and commit).
   * The store lists its blobs one shard at a time; which are unreferenced, and removing them safely, is
   * the registry's: `reclaim` is Registry.reclaimBlobs's trash protocol (as for delete), so an import
   * about to commit one of them notices and re-ingests it from its source. Returns how many were removed.
   */
  async gc(reclaim: (candidates: string[]) => number): Promise<number> {
    let removed = 0;
    const base = path.join(this.root, 'sha256');
    for (const d of await fsp.readdir(base).catch(() => [] as string[])) {
      const shas = (await fsp.readdir(path.join(base, d)).catch(() => [] as string[])).map((f) => d + f).filter((sha) => /^[0-9a-f]{64}$/.test(sha));
      removed += reclaim(shas);
    }
    return removed;
  }

  /** Copies a file into the store while hashing it; identical content is kept once. */
  async ingestFile(src: string, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
    const fh = await openRegular(src);
    try {
      const before = await fh.stat();
      const { size } = before;
      const tmp = this.tempPath();
      const out = await fsp.open(tmp, 'wx', 0o600);
      let result: IngestResult;
      try {
        if (size <= SMALL) {
          const buf = await readWhole(fh, size, src);
          signal?.throwIfAborted();
          const [digest] = await Promise.all([webcrypto.subtle.digest('SHA-256', buf), writeAll(out, buf, tmp)]);
          await assertUnchanged(fh, before, buf.length, src);
          onProgress?.(buf.length);
          result = { sha256: Buffer.from(digest).toString('hex'), size: buf.length };
        } else {
          result = await pipeHash(fh, out, src, tmp, before, signal, onProgress);
        }
        await out.sync();
      } catch (e) {
        await out.close().catch(() => undefined);
        await fsp.rm(tmp, { force: true });
        throw e;
      }
      await out.close();
      await this.commitTemp(tmp, result.sha256);
      return result;
    } finally {
      await fh.close();
    }
  }

  /**
   * Streams any readable (a zip entry, an upload) into the store. `maxBytes` stops a stream that runs
   * past what its header declared (a zip entry inflating beyond its stated size) before it fills the disk.
   */
  async ingestStream(stream: NodeJS.ReadableStream, signal?: AbortSignal, onProgress?: Progress, maxBytes?: number): Promise<IngestResult> {
    const tmp = this.tempPath();
    const out = await fsp.open(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        if (maxBytes !== undefined && size + chunk.length > maxBytes) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          throw new HallmarkError('zip_bomb', `an archive entry expands past its declared ${maxBytes} bytes; refusing it`);
        }
        hash.update(chunk);
        await writeAll(out, chunk, tmp);
        size += chunk.length;
        onProgress?.(chunk.length);
      }
      await out.sync();
      await out.close();
    } catch (e) {
      await out.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    const sha256 = hash.digest('hex');
    await this.commitTemp(tmp, sha256);
    return { sha256, size };
  }

  /**
   * Puts a fully written, hashed temp file in place. When the blob already exists the fresh copy still
   * replaces it (an atomic rename, no extra hashing): the new bytes are known to match the hash, the
   * old ones may have rotted since, so importing the intact original heals a corrupted blob.
   */
  private async commitTemp(tmp: string, sha256: string): Promise<void> {
    const dest = this.pathOf(sha256);
    // Blobs are immutable and private: read-only for the owner guards against an editor saving over one.
    await fsp.chmod(tmp, 0o400).catch(() => undefined);
    await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    try {
      await fsp.rename(tmp, dest);
    } catch (e) {
      // Windows refuses to rename over a read-only file: keep the existing copy there.
      if (fs.existsSync(dest)) await fsp.rm(tmp, { force: true });
      else throw fileError(e, dest);
    }
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.pathOf(sha256), { force: true });
  }
}

/** Hashes a file without copying it (register in place, verify). */
export async function hashFile(src: string, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
  const fh = await openRegular(src);
  try {
    const before = await fh.stat();
    const { size } = before;
    if (size <= SMALL) {
      const buf = await readWhole(fh, size, src);
      const digest = await webcrypto.subtle.digest('SHA-256', buf);
      await assertUnchanged(fh, before, buf.length, src);
      onProgress?.(buf.length);
      return { sha256: Buffer.from(digest).toString('hex'), size: buf.length };
    }
    return await pipeHash(fh, null, src, '', before, signal, onProgress);
  } finally {
    await fh.close();
  }
}

/** Opens a path for reading only if it is a regular file: a FIFO or a device would block or never end. */
export async function openRegular(src: string): Promise<fsp.FileHandle> {
  let st: fs.Stats;
  try {
    st = await fsp.stat(src);
  } catch (e) {
    throw fileError(e, src);
  }
  if (!st.isFile()) throw new HallmarkError('not_regular_file', `${quote(src)} is ${describeKind(st)}, not a regular file`);
  try {
    // O_NONBLOCK so that a path swapped for a FIFO between stat and open cannot hang us.
    return await fsp.open(src, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw fileError(e, src);
  }
}

export function describeKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function fileError(e: unknown, p: string): HallmarkError {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return new HallmarkError('not_found', `${quote(p)} does not exist (moved or deleted?)`);
    case 'EACCES':
    case 'EPERM': return new HallmarkError('unreadable', `${quote(p)} cannot be read: permission denied`);
    case 'ENOSPC': return new HallmarkError('disk_full', `the disk is full while writing ${quote(p)}: free some space and retry; nothing was imported`);
    case 'EISDIR': return new HallmarkError('not_regular_file', `${quote(p)} is a directory`);
    default: return e instanceof HallmarkError ? e : new HallmarkError(err.code?.toLowerCase() ?? 'io_error', `${quote(p)}: ${err.message}`);
  }
}

async function readWhole(fh: fsp.FileHandle, size: number, src: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await fh.read(buf, off, size - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  if (off !== size) throw new HallmarkError('changed_while_reading', `${quote(src)} shrank while it was read (${size} → ${off} bytes)`);
  return buf;
}

/**
 * A file written to while we read it gives a hash of bytes that never existed together: compare what
 * was read with the size at open, and size + mtime after with before (fstat on the same descriptor).
 */
async function assertUnchanged(fh: fsp.FileHandle, before: fs.Stats, bytesRead: number, src: string): Promise<void> {
  const after = await fh.stat();
  if (bytesRead !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new HallmarkError('changed_while_reading', `${quote(src)} changed while it was read (${before.size} bytes at open, ${bytesRead} read, ${after.size} now); retry once it is no longer being written`);
  }
}

async function writeAll(out: fsp.FileHandle, buf: Uint8Array, dest: string): Promise<void> {
  try {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await out.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  } catch (e) {
    throw fileError(e, dest);
  }
}

/**
 * Read, hash and write overlap: the next read and the previous write run in libuv's pool while this
 * thread hashes the current chunk, so throughput approaches plain hashing speed.
 */
async function pipeHash(fh: fsp.FileHandle, out: fsp.FileHandle | null, src: string, dest: string, before: fs.Stats, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
  const hash = createHash('sha256');
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let pos = 0;
  let i = 0;
  let pendingWrite: Promise<void> = Promise.resolve();
  let nextRead = fh.read(bufs[0]!, 0, CHUNK, 0);
  for (;;) {
    const { bytesRead } = await nextRead;
    if (bytesRead === 0) break;
    const cur = bufs[i % 3]!.subarray(0, bytesRead);
    pos += bytesRead;
    // A file still growing could keep us reading forever: stop as soon as it passes its size at open.
    if (pos > before.size) {
      await nextRead.catch(() => undefined);
      await pendingWrite.catch(() => undefined);
      await assertUnchanged(fh, before, pos, src);
    }
    i++;
    // Buffer i%3 was last written two iterations ago, and that write has been awaited.
    nextRead = fh.read(bufs[i % 3]!, 0, CHUNK, pos);
    signal?.throwIfAborted();
    hash.update(cur);
    if (out) {
      await pendingWrite;
      pendingWrite = writeAll(out, cur, dest);
    }
    onProgress?.(bytesRead);
  }
  await pendingWrite;
  await assertUnchanged(fh, before, pos, src);
  return { sha256: hash.digest('hex'), size: pos };
}
