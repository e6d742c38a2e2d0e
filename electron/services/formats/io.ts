// Bounded random-access reading for untrusted model files.
// Every parser reads through a ByteSource so that a header costs O(header): we read what we need at
// an offset and never slurp a whole model. Sizes and offsets come from the file, so every read is
// checked against the source size and a hard per-read cap before anything is allocated.
import fsCb from 'node:fs';
import path from 'node:path';

/** The largest single read any parser may ask for; bigger requests are a parser bug or a hostile size. */
export const MAX_READ = 256 * 1024 * 1024;

/** Base of every format error: `offset` is where in the source the bad value sits. */
export class FormatError extends Error {
  constructor(message: string, readonly offset?: number) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Thrown by a ByteSource when a read runs past the end: the file is shorter than its header claims. */
export class TruncatedError extends FormatError {
  constructor(what: string, offset: number, wanted: number, size: number) {
    super(`${what}: needs ${wanted} bytes at offset ${offset} but the source has ${size} bytes`, offset);
    this.name = 'TruncatedError';
  }
}

export interface ByteSource {
  /** Display name (file path, or `outer.zip!member`). */
  readonly name: string;
  readonly size: number;
  /** Up to `length` bytes at `offset` (shorter only at end of source). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

function checkRange(src: ByteSource, offset: number, length: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FormatError(`read offset ${offset} is invalid`, offset);
  if (!Number.isSafeInteger(length) || length < 0) throw new FormatError(`read length ${length} is invalid`, offset);
  if (length > MAX_READ) throw new FormatError(`refusing a ${length}-byte read at offset ${offset} (cap ${MAX_READ})`, offset);
  return Math.max(0, Math.min(length, src.size - offset));
}

/** Files up to this size are read in one go when opened: detection and parsing then cost no more I/O. */
export const SMALL_FILE = 256 * 1024;

// Callback fs on a raw fd: several times cheaper per file than FileHandle (no GC-tracked handle,
// no fstat for small files), which dominates scans of folders with thousands of small files.
const openFd = (p: string): Promise<number> =>
  new Promise((res, rej) => fsCb.open(p, fsCb.constants.O_RDONLY | (fsCb.constants.O_NONBLOCK ?? 0), (e, fd) => (e ? rej(e) : res(fd))));
const readFd = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((res, rej) => fsCb.read(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n))));
const closeFd = (fd: number): Promise<void> => new Promise((res) => fsCb.close(fd, () => res()));
const fstatFd = (fd: number): Promise<fsCb.Stats> => new Promise((res, rej) => fsCb.fstat(fd, (e, st) => (e ? rej(e) : res(st))));

export interface OpenOptions {
  /**
   * Synchronous reads: for one-shot batch processes (the CLI) where nothing else waits on the event
   * loop, a thread-pool round trip per call costs more than the read itself. The app keeps the default.
   */
  sync?: boolean;
}

export class FileSource implements ByteSource {
  private constructor(readonly name: string, readonly size: number, private fd: number | null, private readonly whole: Buffer | null, private readonly sync = false) {}

  static async open(file: string, opts: OpenOptions = {}): Promise<FileSource> {
    if (opts.sync) return FileSource.openSync(file);
    const fd = await openFd(file);
    try {
      const st = await fstatFd(fd);
      if (!st.isFile()) throw new FormatError(`${JSON.stringify(file)} is not a regular file`);
      if (st.size <= SMALL_FILE) {
        const buf = Buffer.allocUnsafe(st.size);
        let got = 0;
        while (got < st.size) {
          const n = await readFd(fd, buf, got, st.size - got, got);
          if (n === 0) break;
          got += n;
        }
        await closeFd(fd);
        return new FileSource(file, got, null, got === st.size ? buf : buf.subarray(0, got));
      }
      return new FileSource(file, st.size, fd, null);
    } catch (e) {
      await closeFd(fd);
      throw e;
    }
  }

  private static openSync(file: string): FileSource {
    const fd = fsCb.openSync(file, fsCb.constants.O_RDONLY | (fsCb.constants.O_NONBLOCK ?? 0));
    try {
      const st = fsCb.fstatSync(fd);
      if (!st.isFile()) throw new FormatError(`${JSON.stringify(file)} is not a regular file`);
      if (st.size > SMALL_FILE) return new FileSource(file, st.size, fd, null, true);
      const buf = Buffer.allocUnsafe(st.size);
      let got = 0;
      while (got < st.size) {
        const n = fsCb.readSync(fd, buf, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      fsCb.closeSync(fd);
      return new FileSource(file, got, null, got === st.size ? buf : buf.subarray(0, got), true);
    } catch (e) {
      try {
        fsCb.closeSync(fd);
      } catch {
        // already closed above
      }
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const n = checkRange(this, offset, length);
    if (this.whole) return this.whole.subarray(offset, offset + n);
    if (this.fd === null) throw new FormatError(`${JSON.stringify(this.name)} is closed`);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = this.sync ? fsCb.readSync(this.fd, buf, got, n - got, offset + got) : await readFd(this.fd, buf, got, n - got, offset + got);
      if (r === 0) break; // file shrank under us
      got += r;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  async close(): Promise<void> {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      if (this.sync) fsCb.closeSync(fd);
      else await closeFd(fd);
    }
  }
}

export class BufferSource implements ByteSource {
  constructor(readonly name: string, private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const n = checkRange(this, offset, length);
    return this.buf.subarray(offset, offset + n);
  }
  /** Synchronous access for callers that already hold the whole (small) buffer. */
  get buffer(): Buffer {
    return this.buf;
  }
  async close(): Promise<void> {}
}

/** A window [start, start+size) of another source: stored zip members and tar members read in place. */
export class SliceSource implements ByteSource {
  constructor(readonly name: string, private readonly parent: ByteSource, private readonly start: number, readonly size: number) {
    if (start < 0 || size < 0 || start + size > parent.size) throw new FormatError(`slice ${start}+${size} lies outside ${JSON.stringify(parent.name)} (${parent.size} bytes)`, start);
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const n = checkRange(this, offset, length);
    return this.parent.read(this.start + offset, n);
  }
  async close(): Promise<void> {}
}

/** Reads exactly `length` bytes or throws TruncatedError. */
export async function readExact(src: ByteSource, offset: number, length: number, what: string): Promise<Buffer> {
  if (offset + length > src.size) throw new TruncatedError(what, offset, length, src.size);
  const b = await src.read(offset, length);
  if (b.length !== length) throw new TruncatedError(what, offset, length, src.size);
  return b;
}

/**
 * A forward cursor over a source with a read-ahead window, for parsers that walk many small fields
 * (GGUF key/values, pickle opcodes, protobuf tags). `ensure(n)` is the only await; everything else is
 * synchronous on the window so the hot loop stays cheap.
 */
export class Cursor {
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  pos: number;

  constructor(readonly src: ByteSource, start = 0, private readonly windowSize = 1 << 20, readonly end = src.size) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** True when `n` more bytes are already buffered (no await needed). */
  has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length;
  }

  /** Makes [pos, pos+n) available or throws TruncatedError. `n` must be bounded by the caller. */
  async ensure(n: number, what = 'data'): Promise<void> {
    if (this.has(n)) return;
    if (this.pos + n > this.end) throw new TruncatedError(what, this.pos, n, this.end);
    const want = Math.min(Math.max(n, this.windowSize), this.end - this.pos);
    this.buf = await this.src.read(this.pos, want);
    this.bufStart = this.pos;
    if (this.buf.length < n) throw new TruncatedError(what, this.pos, n, this.pos + this.buf.length);
  }

  private at(): number {
    return this.pos - this.bufStart;
  }

  u8(): number {
    const v = this.buf[this.at()]!;
    this.pos += 1;
    return v;
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.at());
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  /** u64 as a number when safe, else Infinity (callers compare it against bounds, never allocate it). */
  u64(): number {
    // Two u32 halves instead of a BigInt: this runs once per vocabulary string (100k+ per GGUF).
    const a = this.at();
    const lo = this.buf.readUInt32LE(a);
    const hi = this.buf.readUInt32LE(a + 4);
    this.pos += 8;
    return hi < 0x200000 ? hi * 0x100000000 + lo : Infinity;
  }
  u64big(): bigint {
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    return v;
  }
  i64big(): bigint {
    const v = this.buf.readBigInt64LE(this.at());
    this.pos += 8;
    return v;
  }
  f32(): number {
    const v = this.buf.readFloatLE(this.at());
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.at());
    this.pos += 8;
    return v;
  }
  f64be(): number {
    const v = this.buf.readDoubleBE(this.at());
    this.pos += 8;
    return v;
  }
  /** The next `n` buffered bytes (a view; copy if kept past the next ensure). */
  bytes(n: number): Buffer {
    const a = this.at();
    this.pos += n;
    return this.buf.subarray(a, a + n);
  }
  peek(): number | undefined {
    return this.has(1) ? this.buf[this.at()] : undefined;
  }
  /** Advances without reading: large payloads are stepped over, never loaded. */
  skip(n: number, what = 'data'): void {
    if (!Number.isFinite(n) || n < 0 || this.pos + n > this.end) throw new TruncatedError(what, this.pos, n, this.end);
    this.pos += n;
  }
  /** Like indexOf from what is buffered only: the index, -1 when surely absent, null when more data is needed. */
  indexOfBuffered(byte: number, max: number): number | null {
    if (this.pos < this.bufStart) return null;
    const a = this.at();
    const limit = Math.min(max, this.end - this.pos);
    const avail = Math.min(this.buf.length - a, limit);
    const i = this.buf.indexOf(byte, a);
    if (i !== -1 && i - a < avail) return i - a;
    return avail >= limit ? -1 : null;
  }

  /** Index of `byte` within the next `max` bytes, reading ahead as needed; -1 when absent. */
  async indexOf(byte: number, max: number): Promise<number> {
    const limit = Math.min(max, this.end - this.pos);
    // Search what is buffered first and widen only when needed, so short lines never cost a big read.
    let want = Math.min(limit, 1 << 16);
    for (;;) {
      if (!this.has(want)) await this.ensure(want);
      const a = this.at();
      const avail = Math.min(this.buf.length - a, limit);
      const i = this.buf.subarray(a, a + avail).indexOf(byte);
      if (i !== -1) return i;
      if (avail >= limit) return -1;
      want = Math.min(limit, avail * 2 + 1);
    }
  }
}

/** Last path segment of a file or of an archive member name (`outer.zip!dir/member.pkl` → `member.pkl`). */
export const basename = (p: string): string => path.posix.basename(p.slice(p.lastIndexOf('!') + 1).replace(/\\/g, '/'));

/** Printable preview of untrusted bytes for messages: bounded, control characters escaped. */
export function preview(v: string | Buffer, max = 80): string {
  const s = typeof v === 'string' ? v : v.toString('latin1');
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  return JSON.stringify(cut);
}

/**
 * Serves many small nearby reads from one block (protobuf walkers read thousands of node messages
 * that sit next to each other). Large reads go straight through.
 */
export class ReadAheadSource implements ByteSource {
  private block: Buffer = Buffer.alloc(0);
  private blockStart = 0;
  constructor(private readonly inner: ByteSource, private readonly blockSize = 4 << 20) {}
  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const n = checkRange(this, offset, length);
    if (offset >= this.blockStart && offset + n <= this.blockStart + this.block.length) {
      return this.block.subarray(offset - this.blockStart, offset - this.blockStart + n);
    }
    if (n > this.blockSize / 4) return this.inner.read(offset, n);
    this.block = await this.inner.read(offset, Math.min(this.blockSize, this.size - offset));
    this.blockStart = offset;
    return this.block.subarray(0, n);
  }
  async close(): Promise<void> {}
}
