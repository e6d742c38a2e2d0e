// Tar reading (ustar, GNU long names, pax headers). Plain tars are walked by random access, stepping
// over member data; compressed tars are walked as a stream where only members we want are buffered.
// Sizes come from the archive, so every member is checked against what is left and against caps.
import type { Readable } from 'node:stream';
import { FormatError, SliceSource, readExact, type ByteSource } from './io';
import type { MatchContext } from './types';

export class TarError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'TarError';
  }
}

export function checksumOk(h: Buffer): boolean {
  if (h.length < 512) return false;
  const stored = parseOctal(h.subarray(148, 156));
  if (stored === null) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean =>
  head.length >= 512 && (head.toString('latin1', 257, 262) === 'ustar' ? true : head[0] !== 0 && checksumOk(head));

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'other';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  linkname: string;
  size: number;
  mode: number;
  /** Offset of the member's data in the (uncompressed) tar stream. */
  dataOffset: number;
  headerOffset: number;
}

function parseOctal(b: Buffer): number | null {
  if (b.length && b[0]! & 0x80) {
    // GNU base-256: big-endian with the top bit set.
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    return Number.isSafeInteger(v) ? v : null;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return null;
  return parseInt(s, 8);
}

const str = (b: Buffer): string => {
  const z = b.indexOf(0);
  return b.subarray(0, z === -1 ? b.length : z).toString('utf8');
};

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'dir', '2': 'symlink', '1': 'hardlink', '3': 'device', '4': 'device', '6': 'fifo' };
const MAX_META = 1 << 20;

interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
}

function parsePax(b: Buffer, into: Pending): void {
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(b.toString('latin1', i, sp));
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > b.length) break;
    const rec = b.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) {
      const k = rec.slice(0, eq);
      const v = rec.slice(eq + 1);
      if (k === 'path') into.path = v;
      else if (k === 'linkpath') into.linkpath = v;
      else if (k === 'size' && /^\d+$/.test(v)) into.size = Number(v);
    }
    i += len;
  }
}

/** Decodes one 512-byte header; null for an end-of-archive zero block. */
function header(h: Buffer, at: number): { name: string; typeflag: string; linkname: string; size: number; mode: number } | null {
  if (h.every((x) => x === 0)) return null;
  if (!checksumOk(h)) throw new TarError(`bad header checksum at offset ${at}`, at);
  const size = parseOctal(h.subarray(124, 136));
  if (size === null) throw new TarError(`bad size field ${JSON.stringify(h.toString('latin1', 124, 136))} at offset ${at + 124}`, at + 124);
  const ustar = h.toString('latin1', 257, 262) === 'ustar';
  const prefix = ustar ? str(h.subarray(345, 500)) : '';
  const name = str(h.subarray(0, 100));
  return {
    name: prefix && h.toString('latin1', 257, 263) === 'ustar\0' ? `${prefix}/${name}` : name,
    typeflag: String.fromCharCode(h[156]!),
    linkname: str(h.subarray(157, 257)),
    size,
    mode: parseOctal(h.subarray(100, 108)) ?? 0,
  };
}

/** Walks a plain tar by random access: headers are read, member data is stepped over. */
export async function listTar(src: ByteSource, maxEntries = 200_000): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  let pos = 0;
  let pending: Pending = {};
  while (pos + 512 <= src.size) {
    const h = await readExact(src, pos, 512, 'tar header');
    const hd = header(h, pos);
    if (!hd) break;
    const dataOffset = pos + 512;
    const size = pending.size ?? hd.size;
    if (dataOffset + size > src.size) throw new TarError(`member ${JSON.stringify(hd.name)} at offset ${pos} declares ${size} bytes, past the end of the archive (${src.size} bytes)`, pos);
    if ('xLK'.includes(hd.typeflag)) {
      if (size > MAX_META) throw new TarError(`metadata record of ${size} bytes at offset ${pos} exceeds ${MAX_META}`, pos);
      const body = await readExact(src, dataOffset, size, 'tar metadata');
      if (hd.typeflag === 'x') parsePax(body, pending);
      else if (hd.typeflag === 'L') pending.path = str(body);
      else pending.linkpath = str(body);
    } else if (hd.typeflag !== 'g') {
      if (out.length >= maxEntries) throw new TarError(`more than ${maxEntries} members`, pos);
      out.push({ name: pending.path ?? hd.name, type: TYPES[hd.typeflag] ?? 'other', linkname: pending.linkpath ?? hd.linkname, size, mode: hd.mode, dataOffset, headerOffset: pos });
      pending = {};
    }
    pos = dataOffset + Math.ceil(size / 512) * 512;
  }
  return out;
}

export const memberSource = (src: ByteSource, e: TarEntry, name: string): ByteSource => new SliceSource(name, src, e.dataOffset, e.size);

/**
 * Walks a tar stream (e.g. from gunzip). `want` decides per member how many bytes to keep (0: skip);
 * `onEntry` gets the kept bytes. Total consumed bytes are capped by `maxBytes`.
 */
export async function walkTarStream(
  stream: Readable,
  want: (e: TarEntry) => number,
  onEntry: (e: TarEntry, data: Buffer | null) => Promise<void>,
  maxBytes: number,
  maxEntries = 200_000,
): Promise<{ entries: number; bytes: number; truncated: boolean }> {
  let buf: Buffer = Buffer.alloc(0);
  let total = 0;
  let count = 0;
  let pending: Pending = {};
  // state: reading a header, or consuming `left` bytes of a member (collecting `keep` of them)
  let cur: { e: TarEntry | null; meta: string | null; left: number; pad: number; keep: number; chunks: Buffer[]; kept: number } | null = null;
  let ended = false;
  const chunks = (async function* () {
    // Decompression errors (truncated gzip, bad data) surface as typed errors.
    try {
      for await (const c of stream as AsyncIterable<Buffer>) yield c;
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new TarError(`stream error after ${total} bytes: ${(e as Error).message}`, total);
    }
  })();
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      return { entries: count, bytes: total, truncated: true };
    }
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (ended) break;
      if (!cur) {
        if (buf.length < 512) break;
        const at = total - buf.length;
        const hd = header(buf.subarray(0, 512), at);
        buf = buf.subarray(512);
        if (!hd) {
          ended = true;
          break;
        }
        const size = pending.size ?? hd.size;
        const pad = (512 - (size % 512)) % 512;
        if ('xLK'.includes(hd.typeflag)) {
          if (size > MAX_META) throw new TarError(`metadata record of ${size} bytes at offset ${at} exceeds ${MAX_META}`, at);
          cur = { e: null, meta: hd.typeflag, left: size, pad, keep: size, chunks: [], kept: 0 };
        } else if (hd.typeflag === 'g') {
          cur = { e: null, meta: 'g', left: size, pad, keep: 0, chunks: [], kept: 0 };
        } else {
          if (++count > maxEntries) throw new TarError(`more than ${maxEntries} members`, at);
          const e: TarEntry = { name: pending.path ?? hd.name, type: TYPES[hd.typeflag] ?? 'other', linkname: pending.linkpath ?? hd.linkname, size, mode: hd.mode, dataOffset: at + 512, headerOffset: at };
          pending = {};
          cur = { e, meta: null, left: size, pad, keep: Math.min(size, Math.max(0, want(e))), chunks: [], kept: 0 };
        }
      }
      if (cur.left > 0) {
        const n = Math.min(cur.left, buf.length);
        if (n === 0) break;
        if (cur.kept < cur.keep) {
          const take = Math.min(n, cur.keep - cur.kept);
          cur.chunks.push(Buffer.from(buf.subarray(0, take)));
          cur.kept += take;
        }
        buf = buf.subarray(n);
        cur.left -= n;
        if (cur.left > 0) break;
      }
      if (cur.pad > 0) {
        const n = Math.min(cur.pad, buf.length);
        buf = buf.subarray(n);
        cur.pad -= n;
        if (cur.pad > 0) break;
      }
      const body = cur.chunks.length ? Buffer.concat(cur.chunks) : null;
      if (cur.meta === 'x' && body) parsePax(body, pending);
      else if (cur.meta === 'L' && body) pending.path = str(body);
      else if (cur.meta === 'K' && body) pending.linkpath = str(body);
      else if (cur.e) await onEntry(cur.e, body);
      cur = null;
    }
    if (ended) break;
  }
  if (cur && cur.left > 0) throw new TarError(`archive ends inside member ${JSON.stringify(cur.e?.name ?? '(metadata)')}`, total);
  return { entries: count, bytes: total, truncated: false };
}
