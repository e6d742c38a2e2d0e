// NumPy .npy / .npz. The .npy header is a Python dict literal: parsed with a small literal parser
// (never eval). Object arrays ('O' in the dtype) are pickles after the header and get scanned as such.
import { dtypeItemSize } from '../scan/pickle';
import { BufferSource, FormatError, readExact, type ByteSource } from './io';
import { ZipArchive, type ZipEntry } from './zip';
import type { MatchContext } from './types';

export class NpyError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'NpyError';
  }
}

export const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
export const match = (head: Buffer, _ctx?: MatchContext): boolean => head.length >= 10 && head.subarray(0, 6).equals(MAGIC);

const MAX_HEADER = 1 << 20;

type Lit = string | number | boolean | null | Lit[] | { [k: string]: Lit };

/** Parses the Python literal subset numpy writes: dicts, tuples, lists, strings, ints, bools, None. */
export function parsePyLiteral(s: string): Lit {
  let p = 0;
  let depth = 0;
  const ws = (): void => {
    while (p < s.length && /\s/.test(s[p]!)) p++;
  };
  const fail = (what: string): never => {
    throw new NpyError(`header: ${what} at character ${p}: ${JSON.stringify(s.slice(p, p + 20))}`);
  };
  const value = (): Lit => {
    ws();
    if (++depth > 32) fail('nesting too deep');
    try {
      const ch = s[p];
      if (ch === '{') {
        p++;
        const out: Record<string, Lit> = Object.create(null) as Record<string, Lit>;
        for (;;) {
          ws();
          if (s[p] === '}') {
            p++;
            return out;
          }
          const k = value();
          ws();
          if (s[p++] !== ':') fail("expected ':'");
          out[typeof k === 'string' ? k : JSON.stringify(k)] = value();
          ws();
          if (s[p] === ',') p++;
          else if (s[p] !== '}') fail("expected ',' or '}'");
        }
      }
      if (ch === '(' || ch === '[') {
        const close = ch === '(' ? ')' : ']';
        p++;
        const out: Lit[] = [];
        for (;;) {
          ws();
          if (s[p] === close) {
            p++;
            return out;
          }
          out.push(value());
          ws();
          if (s[p] === ',') p++;
          else if (s[p] !== close) fail(`expected ',' or '${close}'`);
        }
      }
      if (ch === "'" || ch === '"') {
        const end = s.indexOf(ch, p + 1);
        if (end < 0) fail('unterminated string');
        const v = s.slice(p + 1, end);
        p = end + 1;
        return v;
      }
      const m = /^(-?\d+)L?|^(True|False|None)/.exec(s.slice(p, p + 32));
      if (!m) return fail('unexpected token');
      p += m[0].length;
      if (m[1] !== undefined) return Number(m[1]);
      return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
    } finally {
      depth--;
    }
  };
  const v = value();
  ws();
  if (p !== s.length) fail('trailing characters');
  return v;
}

export interface NpyHeader {
  version: string;
  descr: Lit;
  fortranOrder: boolean;
  shape: number[];
  hasObject: boolean;
  /** Offset of the array data (or of the pickle for object arrays). */
  dataOffset: number;
  itemSize: number | null;
}

function descrHasObject(d: Lit): boolean {
  if (typeof d === 'string') return /^[|<>=]?O\d*$/.test(d);
  if (Array.isArray(d)) return d.some(descrHasObject);
  return false;
}

function descrSize(d: Lit): number | null {
  if (typeof d === 'string') {
    const s = dtypeItemSize(d);
    return typeof s === 'number' ? s : null;
  }
  if (Array.isArray(d)) {
    // Structured dtype: [(name, type[, shape])...]
    let total = 0;
    for (const f of d) {
      if (!Array.isArray(f) || f.length < 2) return null;
      const s = descrSize(f[1]!);
      if (s === null) return null;
      const shape = Array.isArray(f[2]) ? (f[2]) : typeof f[2] === 'number' ? [f[2]] : [];
      total += s * shape.reduce<number>((a, b) => a * (typeof b === 'number' ? b : 1), 1);
    }
    return total;
  }
  return null;
}

export async function readHeader(src: ByteSource): Promise<NpyHeader> {
  const pre = await readExact(src, 0, 10, 'npy preamble');
  if (!pre.subarray(0, 6).equals(MAGIC)) throw new NpyError('bad magic (not .npy)', 0);
  const major = pre[6]!;
  const minor = pre[7]!;
  if (major < 1 || major > 3) throw new NpyError(`unsupported .npy version ${major}.${minor} at offset 6`, 6);
  let len: number;
  let start: number;
  if (major === 1) {
    len = pre.readUInt16LE(8);
    start = 10;
  } else {
    len = (await readExact(src, 8, 4, 'npy header length')).readUInt32LE(0);
    start = 12;
  }
  if (len > MAX_HEADER) throw new NpyError(`header length ${len} at offset 8 exceeds ${MAX_HEADER}`, 8);
  const raw = await readExact(src, start, len, 'npy header');
  const text = major === 3 ? raw.toString('utf8') : raw.toString('latin1');
  const d = parsePyLiteral(text.trim());
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new NpyError('header is not a dict', start);
  const dict = d as Record<string, Lit>;
  const shape = dict.shape;
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) throw new NpyError(`header shape ${JSON.stringify(shape)} is not a tuple of sizes`, start);
  if (!('descr' in dict)) throw new NpyError('header has no descr', start);
  const hasObject = descrHasObject(dict.descr);
  return {
    version: `${major}.${minor}`, descr: dict.descr!, fortranOrder: dict.fortran_order === true, shape: shape as number[], hasObject,
    dataOffset: start + len, itemSize: hasObject ? null : descrSize(dict.descr),
  };
}

export interface NpyIssue {
  message: string;
}

export async function read(src: ByteSource): Promise<{ header: NpyHeader; summary: Record<string, unknown>; issues: NpyIssue[] }> {
  const header = await readHeader(src);
  const issues: NpyIssue[] = [];
  const count = header.shape.reduce((a, b) => a * b, 1);
  if (header.itemSize !== null) {
    const need = count * header.itemSize;
    const have = src.size - header.dataOffset;
    if (need !== have) issues.push({ message: `shape ${JSON.stringify(header.shape)} × ${header.itemSize} bytes needs ${need} bytes of data, the file has ${have}` });
  }
  return {
    header,
    issues,
    summary: { version: header.version, dtype: header.descr, shape: header.shape, fortranOrder: header.fortranOrder, objectArray: header.hasObject, elements: count },
  };
}

export async function readNpz(zip: ZipArchive): Promise<Record<string, unknown>> {
  const arrays: Array<Record<string, unknown>> = [];
  for (const e of zip.entries.slice(0, 10_000)) {
    if (!e.name.endsWith('.npy')) continue;
    arrays.push({ name: e.name.slice(0, -4), ...(await npzMember(zip, e)) });
  }
  return { arrays, arrayCount: arrays.length };
}

async function npzMember(zip: ZipArchive, e: ZipEntry): Promise<Record<string, unknown>> {
  try {
    const head = await zip.head(e, 64 * 1024);
    const h = await readHeader(new BufferSource(e.name, head));
    return { dtype: h.descr, shape: h.shape, objectArray: h.hasObject };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
