// Compressed wrappers (joblib.gz, .tar.gz, zlib/xz/bz2/lz4 joblib): sniffed by magic bytes and inflated
// with a hard output cap, so a small bomb cannot become gigabytes in memory. gzip, zlib and xz stream;
// bzip2 and lz4 decoders work on whole buffers, so their input is capped too and output is checked as
// it is written. Legacy .lzma ("alone") goes through our own bounded decoder (lzma.ts).
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type Lz4 from 'lz4js';
import type Bunzip from 'seek-bzip';
import type * as XzModule from 'xz-decompress';
import { unlzma } from './lzma';
import { FormatError, type ByteSource } from './io';
import type { Compression } from './types';

// The third-party decoders load on first use: most scans never meet xz, bzip2 or lz4, and compiling them
// at every start slowed `hallmark scan` of one file by ~20 ms.
let bunzipLib: typeof Bunzip | undefined;
let lz4Lib: typeof Lz4 | undefined;
async function loadDecoders(codec: Compression): Promise<void> {
  if (codec === 'bzip2') bunzipLib ??= (await import('seek-bzip')).default;
  if (codec === 'lz4') lz4Lib ??= (await import('lz4js')).default;
}
async function xzStreamClass(): Promise<typeof XzModule.XzReadableStream> {
  const m = await import('xz-decompress');
  // A webpack UMD bundle: Node's ESM loader sees only its default export, bundlers and vitest the named one.
  return ((m as { default?: typeof XzModule }).default ?? m).XzReadableStream;
}

export class CompressionError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'CompressionError';
  }
}

export function sniffCompression(head: Buffer): Compression | null {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  // zlib: CMF=0x78 (deflate, 32K window) and a header checksum divisible by 31.
  if (head.length >= 2 && head[0] === 0x78 && ((head[0] << 8) | head[1]!) % 31 === 0) return 'zlib';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0x184d2204) return 'lz4';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 13 && head[0] === 0x5d && head[1] === 0 && head[2] === 0) return 'lzma';
  return null;
}

export const canInflate = (c: Compression): boolean => c === 'gzip' || c === 'zlib' || c === 'xz' || c === 'bzip2' || c === 'lz4' || c === 'lzma';

/** The whole-buffer decoders: bzip2 (seek-bzip), lz4 (our frame walk + lz4js), lzma (lzma.ts). */
const wholeDecoders = { bzip2: bunzip, lz4: unlz4, lzma: unlzma } as const;
const isWhole = (c: Compression): c is keyof typeof wholeDecoders => Object.hasOwn(wholeDecoders, c);

/** Largest compressed input the whole-buffer decoders (bzip2, lz4) read into memory. */
const MAX_BUFFERED_INPUT = 512 * 2 ** 20;
/** Output cap of a decompressing stream whose consumer sets no cap of its own (tar walkers count bytes). */
const STREAM_CAP = 4 * 2 ** 30;

async function wholeInput(src: ByteSource, codec: Compression): Promise<Buffer> {
  if (src.size > MAX_BUFFERED_INPUT) throw new CompressionError(`${codec} input of ${src.size} bytes exceeds the ${MAX_BUFFERED_INPUT}-byte decoder cap`);
  return src.read(0, src.size);
}

/** bzip2 through seek-bzip, into an output that refuses to grow past `cap`. */
function bunzip(input: Buffer, cap: number, partial: boolean): Buffer {
  const chunks: Buffer[] = [];
  let cur = Buffer.allocUnsafe(Math.min(cap, 1 << 20));
  let pos = 0;
  let total = 0;
  const FULL = new Error('cap');
  const out = {
    writeByte(b: number): void {
      if (total >= cap) throw FULL;
      if (pos === cur.length) {
        chunks.push(cur);
        cur = Buffer.allocUnsafe(Math.min(cap - total, 1 << 20));
        pos = 0;
      }
      cur[pos++] = b;
      total++;
    },
  };
  try {
    bunzipLib!.decode(input, out, true);
  } catch (e) {
    if (e !== FULL) throw new CompressionError(`bzip2 stream is damaged after ${total} bytes: ${(e as Error).message}`);
    if (!partial) throw new CompressionError(`bzip2 data inflates past the ${cap}-byte cap`);
  }
  chunks.push(cur.subarray(0, pos));
  return Buffer.concat(chunks, total);
}

const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/** LZ4 frames: the frame walk is ours (sizes checked against the input), blocks go to lz4js. */
function unlz4(input: Buffer, cap: number, partial: boolean): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let p = 0;
  const need = (n: number, what: string): void => {
    if (p + n > input.length) throw new CompressionError(`lz4 ${what} at offset ${p} runs past the end of the data`, p);
  };
  while (p < input.length) {
    need(7, 'frame header');
    if (input.readUInt32LE(p) !== 0x184d2204) throw new CompressionError(`lz4 frame magic 0x${input.readUInt32LE(p).toString(16)} at offset ${p}`, p);
    const flg = input[p + 4]!;
    const bd = input[p + 5]!;
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7];
    if ((flg >> 6) !== 1 || blockMax === undefined) throw new CompressionError(`lz4 frame descriptor 0x${flg.toString(16)} 0x${bd.toString(16)} at offset ${p + 4} is not supported`, p + 4);
    p += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    const dst = Buffer.alloc(blockMax);
    for (;;) {
      need(4, 'block size');
      const word = input.readUInt32LE(p);
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      need(size + (flg & 0x10 ? 4 : 0), 'block');
      let block: Buffer;
      if (word & 0x80000000) block = input.subarray(p, p + size);
      else {
        const n = lz4Lib!.decompressBlock(input, dst, p, size, 0);
        if (!(n >= 0 && n <= blockMax)) throw new CompressionError(`lz4 block at offset ${p} inflates past its ${blockMax}-byte maximum`, p);
        block = Buffer.from(dst.subarray(0, n));
      }
      if (block.length > blockMax) throw new CompressionError(`lz4 block at offset ${p} is larger than its ${blockMax}-byte maximum`, p);
      p += size + (flg & 0x10 ? 4 : 0);
      if (total + block.length > cap) {
        chunks.push(block.subarray(0, cap - total));
        total = cap;
        if (partial) return Buffer.concat(chunks, total);
        throw new CompressionError(`lz4 data inflates past the ${cap}-byte cap`);
      }
      chunks.push(block);
      total += block.length;
    }
    if (flg & 0x04) p += 4;
  }
  return Buffer.concat(chunks, total);
}

export function sourceStream(src: ByteSource, chunk = 1 << 20): Readable {
  let pos = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      const next = async (): Promise<void> => {
        if (pos >= src.size) return void this.push(null);
        const b = await src.read(pos, Math.min(chunk, src.size - pos));
        pos += b.length;
        this.push(b.length ? b : null);
      };
      next().catch((e: Error) => this.destroy(e));
    },
  });
}

/** A decompressing stream over the source (gzip, zlib, xz; bzip2 and lz4 decoded whole under a cap). */
export function inflateStream(src: ByteSource, codec: Compression): Readable {
  if (!canInflate(codec)) throw new CompressionError(`cannot decompress ${codec} (no decoder bundled)`);
  if (codec === 'xz') {
    return Readable.from((async function* xz() {
      const XzReadableStream = await xzStreamClass();
      const web = Readable.toWeb(sourceStream(src)) as unknown as ReadableStream<Uint8Array>;
      yield* Readable.fromWeb(new XzReadableStream(web)) as AsyncIterable<Buffer>;
    })(), { objectMode: false });
  }
  if (isWhole(codec)) {
    let started = false;
    return new Readable({
      read() {
        if (started) return;
        started = true;
        Promise.all([wholeInput(src, codec), loadDecoders(codec)])
          .then(([buf]) => {
            this.push(wholeDecoders[codec](buf, STREAM_CAP, false));
            this.push(null);
          })
          .catch((e: Error) => this.destroy(e));
      },
    });
  }
  const z = codec === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
  const input = sourceStream(src);
  input.on('error', (e) => z.destroy(e));
  return input.pipe(z);
}

/**
 * Inflates up to `cap` bytes. With `partial`, stops quietly at the cap (for sniffing heads);
 * otherwise output beyond the cap is an error (decompression bomb or simply too big to scan).
 */
export async function inflate(src: ByteSource, codec: Compression, cap: number, partial = false): Promise<Buffer> {
  if (isWhole(codec)) {
    await loadDecoders(codec);
    return wholeDecoders[codec](await wholeInput(src, codec), cap, partial);
  }
  const s = inflateStream(src, codec);
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const b of s as AsyncIterable<Buffer>) {
      const room = cap - got;
      chunks.push(b.length > room ? b.subarray(0, room) : b);
      got += b.length;
      if (got >= cap) {
        s.destroy();
        if (partial) break;
        throw new CompressionError(`${codec} data inflates past the ${cap}-byte cap`);
      }
    }
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    if (!partial || got === 0) throw new CompressionError(`${codec} stream is damaged after ${got} bytes: ${(e as Error).message}`);
  }
  return Buffer.concat(chunks, Math.min(got, cap));
}
