// Zip container reading on top of yauzl: the central directory, raw entry names (so that "../x" and
// "/etc/x" reach our checks instead of aborting the listing), and member access without extraction.
// Stored members are read in place (a slice of the outer source); deflated ones are inflated into
// memory under a cap, which is also our zip-bomb guard. Members are read the way torch.load reads them:
// the encryption flag and the CRC are not obeyed (a scanner that refuses what the loader accepts is
// evaded), and the scanner reports both instead.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { BufferSource, FormatError, ReadAheadSource, SliceSource, type ByteSource } from './io';
import type { MatchContext } from './types';

export class ZipError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'ZipError';
  }
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean =>
  head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6) || (head[2] === 7 && head[3] === 8));

export interface ZipEntry {
  /** Decoded name (UTF-8 when flagged, else CP437 approximated by latin1). */
  name: string;
  compressedSize: number;
  size: number;
  method: number;
  encrypted: boolean;
  /** Unix mode from the external attributes when made on Unix, else null. */
  unixMode: number | null;
  localHeaderOffset: number;
  crc32: number;
  /** yauzl's entry, for opening streams. */
  raw: yauzl.Entry;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** Entry count claimed by the end-of-central-directory record. */
  declaredCount: number;
  comment: string;
}

export const MAX_ENTRIES = 200_000;

/**
 * Where the zip data starts, found as Python's zipfile finds it (_EndRecData, then _RealGetContents):
 * the end-of-central-directory record (the last 22 bytes, else the last signature in the final 64 KiB),
 * and `concat`, the bytes prepended before the archive (a self-extractor stub, or a disguise that hides
 * a .keras archive from readers that look at byte 0). zipfile adds `concat` to every offset; so do we.
 * Null when there is no such record.
 */
export async function findZipStart(src: ByteSource): Promise<{ eocd: number; concat: number; entries: number } | null> {
  if (src.size < 22) return null;
  const tailStart = Math.max(0, src.size - 22 - 0xffff);
  const tail = await src.read(tailStart, src.size - tailStart);
  const sig = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
  let at = tail.length - 22;
  if (!(tail.readUInt32LE(at) === 0x06054b50 && tail.readUInt16LE(at + 20) === 0)) at = tail.lastIndexOf(sig);
  if (at < 0 || at + 22 > tail.length) return null;
  const eocd = tailStart + at;
  let sizeCd = tail.readUInt32LE(at + 12);
  let offsetCd = tail.readUInt32LE(at + 16);
  let entries = tail.readUInt16LE(at + 10);
  let location = eocd;
  // Zip64: the locator sits just before the record and points at the zip64 end record.
  if (at >= 20 && tail.readUInt32LE(at - 20) === 0x07064b50) {
    const z64 = eocd - 20 - 56;
    if (z64 >= 0) {
      const r = await src.read(z64, 56);
      if (r.length === 56 && r.readUInt32LE(0) === 0x06064b50) {
        sizeCd = Number(r.readBigUInt64LE(40));
        offsetCd = Number(r.readBigUInt64LE(48));
        entries = Number(r.readBigUInt64LE(32));
        location = z64;
      }
    }
  }
  const concat = location - sizeCd - offsetCd;
  if (!Number.isSafeInteger(concat) || concat < 0) return null;
  return { eocd, concat, entries };
}

class SourceReader extends yauzl.RandomAccessReader {
  private readonly src: ByteSource;
  constructor(src: ByteSource) {
    super();
    // Central directory records are read one by one: serve them from one block.
    this.src = new ReadAheadSource(src, 256 * 1024);
  }
  // yauzl reads the central directory through read(); answering it directly skips a stream per record.
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.src.read(position, length).then(
      (b) => {
        if (b.length < length) return callback(new ZipError(`unexpected end of data at offset ${position + b.length}`, position + b.length));
        b.copy(buffer, offset);
        callback(null);
      },
      (e: Error) => callback(e),
    );
  }
  override _readStreamForRange(start: number, end: number): Readable {
    const src = this.src;
    let pos = start;
    return new Readable({
      highWaterMark: 1 << 20,
      read() {
        const next = async (): Promise<void> => {
          if (pos >= end) return void this.push(null);
          const b = await src.read(pos, Math.min(1 << 20, end - pos));
          if (b.length === 0) return void this.destroy(new ZipError(`unexpected end of data at offset ${pos}`, pos));
          pos += b.length;
          this.push(b);
        };
        next().catch((e: Error) => this.destroy(e));
      },
    });
  }
}

function isPlainAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return false;
  return true;
}

export class ZipArchive {
  /** Bytes before the archive (zipfile's `concat`); offsets in the listing are relative to them. */
  prefix = 0;
  private outer: ByteSource | null = null;
  private constructor(readonly src: ByteSource, private readonly zip: yauzl.ZipFile, readonly listing: ZipListing) {}

  private static readonly cache = new WeakMap<ByteSource, Promise<ZipArchive>>();

  /** The listing of `src`, read once per source (detection and scanning share it). */
  static for(src: ByteSource): Promise<ZipArchive> {
    let p = ZipArchive.cache.get(src);
    if (!p) {
      p = ZipArchive.open(src);
      ZipArchive.cache.set(src, p);
    }
    return p;
  }

  /** Reads the central directory (bounded by MAX_ENTRIES). */
  static async open(outer: ByteSource): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    // Prepended bytes: read the archive as the slice zipfile reads (yauzl expects offsets from byte 0).
    const start = await findZipStart(outer);
    const prefix = start && start.concat > 0 ? start.concat : 0;
    const src = prefix ? new SliceSource(outer.name, outer, prefix, outer.size - prefix) : outer;
    try {
      // No size validation by yauzl: it rejects the whole listing when a stored entry's two sizes differ,
      // which is also what the encryption flag alone causes (it expects a 12-byte header); the scanner
      // checks sizes itself and reports them.
      zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(src), src.size, { decodeStrings: false, validateEntrySizes: false, autoClose: false });
    } catch (e) {
      throw new ZipError(`not a readable zip: ${(e as Error).message}`);
    }
    if (zip.entryCount > MAX_ENTRIES) {
      zip.close();
      throw new ZipError(`zip declares ${zip.entryCount} entries (limit ${MAX_ENTRIES})`);
    }
    const entries: ZipEntry[] = [];
    try {
      for await (const e of zip.eachEntry()) {
        const nameBuf = e.fileNameRaw;
        const utf8 = (e.generalPurposeBitFlag & 0x800) !== 0;
        // Printable ASCII reads the same in CP437 and UTF-8: skip yauzl's per-character decoding
        // (its cost showed in scans of checkpoints with thousands of entries) unless a Unicode path
        // extra field overrides the name. Backslashes become "/" as yauzl does, so "..\\x" is checked too.
        const name = isPlainAscii(nameBuf) && !e.extraFields.some((f) => f.id === 0x7075)
          ? nameBuf.toString('latin1').replace(/\\/g, '/')
          : (yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, nameBuf, e.extraFields, false) ?? (utf8 ? nameBuf.toString('utf8') : nameBuf.toString('latin1')));
        const madeBy = e.versionMadeBy >> 8;
        entries.push({
          name, compressedSize: e.compressedSize, size: e.uncompressedSize, method: e.compressionMethod,
          encrypted: e.isEncrypted(), unixMode: madeBy === 3 ? (e.externalFileAttributes >>> 16) & 0xffff : null,
          localHeaderOffset: e.relativeOffsetOfLocalHeader, crc32: e.crc32, raw: e,
        });
      }
    } catch (e) {
      zip.close();
      throw new ZipError(`damaged central directory after ${entries.length} entries: ${(e as Error).message}`);
    }
    const comment = Buffer.isBuffer(zip.comment) ? (zip.comment as Buffer).toString('latin1') : String(zip.comment ?? '');
    const z = new ZipArchive(src, zip, { entries, declaredCount: zip.entryCount, comment });
    z.prefix = prefix;
    z.outer = outer;
    return z;
  }

  get entries(): ZipEntry[] {
    return this.listing.entries;
  }

  private readonly starts = new Map<ZipEntry, number>();

  /** Offset where the member's data starts (after its local header); read once per entry. */
  async dataStart(e: ZipEntry): Promise<number> {
    const known = this.starts.get(e);
    if (known !== undefined) return known;
    // The 30-byte local header, read directly (what yauzl's minimal read does, without its
    // callback and object overhead per member): signature, then name and extra-field lengths.
    // The name is read along with it: a local name that differs from the central directory's shows
    // streaming unzippers another file than the one torch.load (which uses the directory) reads.
    const at = e.localHeaderOffset;
    const central = e.raw.fileNameRaw;
    const want = 30 + central.length;
    const h = at + 30 <= this.src.size ? await this.src.read(at, Math.min(want, this.src.size - at)) : Buffer.alloc(0);
    if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw new ZipError(`entry ${JSON.stringify(e.name)}: no local file header at offset ${at}`, at);
    const nameLength = h.readUInt16LE(26);
    if (nameLength !== central.length || !h.subarray(30).equals(central)) this.renamed.add(e);
    const start = at + 30 + nameLength + h.readUInt16LE(28);
    this.starts.set(e, start);
    return start;
  }

  private readonly renamed = new Set<ZipEntry>();

  /** Whether the member's local header names another file than the central directory (known once read). */
  localNameDiffers(e: ZipEntry): boolean {
    return this.renamed.has(e);
  }

  /**
   * The member's bytes as a source. Stored members are read in place; compressed ones are inflated
   * up to `cap` bytes (an entry claiming more, or inflating to more, is refused).
   */
  async source(e: ZipEntry, cap: number, name: string): Promise<ByteSource> {
    if (e.method === 0) {
      const start = await this.dataStart(e);
      if (start + e.compressedSize > this.src.size) throw new ZipError(`entry ${JSON.stringify(e.name)} data [${start}, ${start + e.compressedSize}) runs past the end of the archive`, start);
      return new SliceSource(name, this.src, start, e.compressedSize);
    }
    if (e.method !== 8) throw new ZipError(`entry ${JSON.stringify(e.name)} uses unsupported compression method ${e.method}`);
    if (e.size > cap) throw new ZipError(`entry ${JSON.stringify(e.name)} inflates to ${e.size} bytes (cap ${cap})`);
    return new BufferSource(name, await this.readAll(e, cap));
  }

  /** Up to `max` bytes from the start of the member (inflated): cheap sniffing of what a member is. */
  async head(e: ZipEntry, max: number): Promise<Buffer> {
    if (e.method === 0) {
      const start = await this.dataStart(e);
      return this.src.read(start, Math.min(max, e.compressedSize, Math.max(0, this.src.size - start)));
    }
    if (e.method !== 8) return Buffer.alloc(0);
    return this.readAll(e, max, true);
  }

  private async readAll(e: ZipEntry, cap: number, partial = false): Promise<Buffer> {
    let stream: Readable;
    try {
      // yauzl will not inflate a flagged entry: take its raw bytes and inflate them as torch would.
      stream = await this.zip.openReadStreamPromise(e.raw, e.encrypted ? { decodeFileData: false } : undefined);
    } catch (err) {
      throw new ZipError(`entry ${JSON.stringify(e.name)}: ${(err as Error).message}`, e.localHeaderOffset);
    }
    if (e.encrypted) {
      const raw = stream;
      stream = zlib.createInflateRaw();
      raw.on('error', (err: Error) => stream.destroy(err));
      raw.pipe(stream as zlib.InflateRaw);
    }
    const chunks: Buffer[] = [];
    let got = 0;
    return new Promise<Buffer>((resolve, reject) => {
      const done = (err?: Error): void => {
        stream.removeAllListeners('data');
        if (err) reject(err);
        else resolve(Buffer.concat(chunks, Math.min(got, cap)));
      };
      stream.on('data', (b: Buffer) => {
        const room = cap - got;
        if (room > 0) chunks.push(b.length > room ? b.subarray(0, room) : b);
        got += b.length;
        if (got >= cap) {
          stream.removeAllListeners('end');
          stream.removeAllListeners('error');
          (stream).destroy();
          if (partial) done();
          else done(new ZipError(`entry ${JSON.stringify(e.name)} inflates past the ${cap}-byte cap`));
        }
      });
      stream.on('end', () => done());
      stream.on('error', (err: Error) => done(new ZipError(`entry ${JSON.stringify(e.name)}: ${err.message}`)));
    });
  }

  /** Nothing to release (the archive reads through its source); kept for symmetry and yauzl state. */
  close(): void {
    if (!ZipArchive.cache.has(this.outer ?? this.src)) this.zip.close();
  }
}

/** What a zip holds, decided from its member names. */
export function classifyZip(names: readonly string[]): 'pytorch' | 'torchscript' | 'keras' | 'npz' | 'zip' {
  const hasData = names.some((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (names.some((n) => /(^|\/)code\/.*\.py$/.test(n)) && names.some((n) => n.endsWith('constants.pkl'))) return 'torchscript';
  if (hasData) return 'pytorch';
  if (names.includes('config.json') && (names.includes('model.weights.h5') || names.includes('metadata.json'))) return 'keras';
  const files = names.filter((n) => !n.endsWith('/'));
  if (files.length > 0 && files.every((n) => n.endsWith('.npy'))) return 'npz';
  return 'zip';
}
