import fs from 'node:fs';
import zlib from 'node:zlib';

export interface RawZipEntry {
  name: string;
  data?: Buffer;
  /** Deflate the data (default: stored). */
  deflate?: boolean;
  /** Unix mode for the external attributes, e.g. 0o120777 for a symlink. */
  mode?: number;
  /** General-purpose flag bits added to UTF-8 (0x0800), e.g. 1 for "encrypted". */
  flags?: number;
  /** Bytes before the data, counted in the compressed size (a ZipCrypto header is 12 of them). */
  prefix?: Buffer;
}

/**
 * A deliberately naive zip writer: unlike real tools it writes any name it is given
 * ("../x", "/etc/passwd", symlinks), which is what hostile archives look like.
 */
export function writeRawZip(file: string, entries: RawZipEntry[]): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = e.data ?? Buffer.alloc(0);
    const body = Buffer.concat([e.prefix ?? Buffer.alloc(0), e.deflate ? zlib.deflateRawSync(raw, { level: 9 }) : raw]);
    const flags = 0x0800 | (e.flags ?? 0);
    const crc = zlib.crc32(raw);
    const method = e.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...locals, cd, end]));
}
