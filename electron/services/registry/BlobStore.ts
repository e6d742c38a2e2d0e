import { createHash, randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { HallmarkError, quote } from '../errors';

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
 */
export class BlobStore {
  constructor(readonly root: string, readonly tmp: string) {
    fs.mkdirSync(path.join(root, 'sha256'), { recursive: true });
    fs.mkdirSync(tmp, { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new HallmarkError('invalid_hash', `not a sha256 hex digest: ${quote(sha256)}`);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2));
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /** Removes temp files left by a crashed or killed import. */
  cleanTemp(): number {
    let n = 0;
    for (const f of fs.readdirSync(this.tmp)) {
      fs.rmSync(path.join(this.tmp, f), { recursive: true, force: true });
      n++;
    }
    return n;
  }

  tempPath(label = 'part'): string {
    return path.join(this.tmp, `${label}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Copies a file into the store while hashing it; identical content is kept once. */
  async ingestFile(src: string, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
    const fh = await openRegular(src);
    try {
      const { size } = await fh.stat();
      const tmp = this.tempPath();
      const out = await fsp.open(tmp, 'wx', 0o644);
      let result: IngestResult;
      try {
        if (size <= SMALL) {
          const buf = await readWhole(fh, size, src);
          signal?.throwIfAborted();
          const [digest] = await Promise.all([webcrypto.subtle.digest('SHA-256', buf), writeAll(out, buf, tmp)]);
          onProgress?.(buf.length);
          result = { sha256: Buffer.from(digest).toString('hex'), size: buf.length };
        } else {
          result = await pipeHash(fh, out, src, tmp, signal, onProgress);
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

  /** Streams any readable (a zip entry, an upload) into the store. */
  async ingestStream(stream: NodeJS.ReadableStream, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
    const tmp = this.tempPath();
    const out = await fsp.open(tmp, 'wx', 0o644);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
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

  private async commitTemp(tmp: string, sha256: string): Promise<void> {
    const dest = this.pathOf(sha256);
    if (fs.existsSync(dest)) {
      await fsp.rm(tmp, { force: true });
      return;
    }
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.rename(tmp, dest);
    // Blobs are immutable: read-only guards against an editor saving over one.
    await fsp.chmod(dest, 0o444).catch(() => undefined);
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.pathOf(sha256), { force: true });
  }
}

/** Hashes a file without copying it (register in place, verify). */
export async function hashFile(src: string, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
  const fh = await openRegular(src);
  try {
    const { size } = await fh.stat();
    if (size <= SMALL) {
      const buf = await readWhole(fh, size, src);
      const digest = await webcrypto.subtle.digest('SHA-256', buf);
      onProgress?.(buf.length);
      return { sha256: Buffer.from(digest).toString('hex'), size: buf.length };
    }
    return await pipeHash(fh, null, src, '', signal, onProgress);
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
async function pipeHash(fh: fsp.FileHandle, out: fsp.FileHandle | null, src: string, dest: string, signal?: AbortSignal, onProgress?: Progress): Promise<IngestResult> {
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
  void src;
  return { sha256: hash.digest('hex'), size: pos };
}
