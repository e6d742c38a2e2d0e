// Compressed wrappers (joblib.gz, .tar.gz, zlib joblib): sniffed by magic bytes and inflated as a
// stream with a hard output cap, so a small bomb cannot become gigabytes in memory.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { FormatError, type ByteSource } from './io';
import type { Compression } from './types';

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

export const canInflate = (c: Compression): boolean => c === 'gzip' || c === 'zlib';

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

/** A decompressing stream over the source (gzip, zlib). */
export function inflateStream(src: ByteSource, codec: Compression): Readable {
  if (!canInflate(codec)) throw new CompressionError(`cannot decompress ${codec} (no decoder bundled)`);
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
