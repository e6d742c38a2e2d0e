// NumPy .npy / .npz. The .npy header is a Python dict literal: parsed with a small literal parser
// (never eval), and its dtype interpreted as NumPy does. Object arrays (any spelling of an object, in a
// field or sub-array too) are pickles after the header and get scanned as such.
import { interpretDtypeString, type DtypeInfo } from './dtype';
import { at, finding } from './finding';
import { BufferSource, FormatError, readExact, type ByteSource } from './io';
import { analyzePickle } from './pickle/analyze';
import { pickleFindings, reachesCode, scanNested, SHAPE_RULES } from './pickle/rules';
import type { FormatRules } from './scanContext';
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

/** Python tuples, kept apart from lists: NumPy reads a tuple descr as a sub-array, a list as fields. */
export class PyTuple extends Array<Lit> {}
export type Lit = string | number | boolean | null | Lit[] | { [k: string]: Lit } | { bytes: string };

/** Characters `\N{…}` may name here (ASCII letters, digits, dtype punctuation); any other name makes the string unknown. */
function charByName(name: string): string | null {
  const n = name.toUpperCase().replace(/\s+/g, ' ').trim();
  let m = /^LATIN (CAPITAL|SMALL) LETTER ([A-Z])$/.exec(n);
  if (m) return m[1] === 'CAPITAL' ? m[2]! : m[2]!.toLowerCase();
  m = /^DIGIT (ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)$/.exec(n);
  if (m) return String(['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'].indexOf(m[1]!));
  const named: Record<string, string> = {
    'LESS-THAN SIGN': '<', 'GREATER-THAN SIGN': '>', 'VERTICAL LINE': '|', 'EQUALS SIGN': '=', 'LOW LINE': '_', COMMA: ',', SPACE: ' ',
    'LEFT PARENTHESIS': '(', 'RIGHT PARENTHESIS': ')', 'QUESTION MARK': '?', 'LEFT SQUARE BRACKET': '[', 'RIGHT SQUARE BRACKET': ']',
  };
  return named[n] ?? null;
}

/** Stands for a character we cannot name: no dtype spelling contains it, so the dtype reads as unknown. */
export const UNKNOWN_CHAR = '\u{10FFFF}';

export interface LiteralInfo {
  /** Keys given more than once in a dict (Python keeps the last). */
  duplicateKeys: string[];
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

/**
 * Parses a Python literal as ast.literal_eval does for what .npy headers hold: dicts, tuples, lists,
 * strings and bytes (prefixes, triple quotes, adjacent literals concatenated, every escape form), ints,
 * floats, True/False/None. Linear in the input; nesting is capped.
 */
export function parsePyLiteral(s: string, info: LiteralInfo = { duplicateKeys: [] }): Lit {
  return new PyLiteralParser(s, info).parse();
}

/** A recursive-descent reader over `s`; `p` only moves forward, so every step is linear. */
class PyLiteralParser {
  private p = 0;
  private depth = 0;

  constructor(private readonly s: string, private readonly info: LiteralInfo) {}

  parse(): Lit {
    const v = this.value();
    this.ws();
    if (this.p !== this.s.length) this.fail('trailing characters');
    return v;
  }

  /** Blanks, line continuations and comments. */
  private ws(): void {
    const s = this.s;
    for (;;) {
      while (this.p < s.length && (s[this.p] === ' ' || s[this.p] === '\t' || s[this.p] === '\n' || s[this.p] === '\r' || s[this.p] === '\f')) this.p++;
      if (s[this.p] === '\\' && s[this.p + 1] === '\n') this.p += 2;
      else if (s[this.p] === '#') while (this.p < s.length && s[this.p] !== '\n') this.p++;
      else return;
    }
  }

  private fail(what: string): never {
    throw new NpyError(`header: ${what} at character ${this.p}: ${JSON.stringify(this.s.slice(this.p, this.p + 20))}`);
  }

  private value(): Lit {
    this.ws();
    if (++this.depth > 64) this.fail('nesting too deep');
    try {
      const ch = this.s[this.p];
      if (ch === '{') return this.dict();
      if (ch === '(' || ch === '[') return this.sequence(ch);
      return this.strings() ?? this.scalar();
    } finally {
      this.depth--;
    }
  }

  private dict(): Record<string, Lit> {
    const s = this.s;
    this.p++;
    const out: Record<string, Lit> = Object.create(null) as Record<string, Lit>;
    for (;;) {
      this.ws();
      if (s[this.p] === '}') {
        this.p++;
        return out;
      }
      const k = this.value();
      this.ws();
      if (s[this.p++] !== ':') this.fail("expected ':'");
      const key = typeof k === 'string' ? k : JSON.stringify(k);
      if (key in out && this.info.duplicateKeys.length < 20) this.info.duplicateKeys.push(key);
      out[key] = this.value();
      this.ws();
      if (s[this.p] === ',') this.p++;
      else if (s[this.p] !== '}') this.fail("expected ',' or '}'");
    }
  }

  private sequence(open: '(' | '['): Lit {
    const s = this.s;
    const close = open === '(' ? ')' : ']';
    this.p++;
    const out: Lit[] = open === '(' ? new PyTuple() : [];
    let commas = 0;
    for (;;) {
      this.ws();
      if (s[this.p] === close) {
        this.p++;
        // '(x)' is x itself; '(x,)' and '()' are tuples
        return open === '(' && out.length === 1 && commas === 0 ? out[0]! : out;
      }
      out.push(this.value());
      this.ws();
      if (s[this.p] === ',') {
        this.p++;
        commas++;
      } else if (s[this.p] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  /** One string or bytes literal, or several adjacent ones concatenated ('O' '' is 'O'); null when none starts here. */
  private strings(): Lit | null {
    const first = this.stringToken();
    if (!first) return null;
    const texts = [first.text];
    for (;;) {
      this.ws();
      const next = this.stringToken();
      if (!next) break;
      if (next.bytes !== first.bytes) this.fail('cannot mix bytes and str literals');
      texts.push(next.text);
    }
    const text = texts.join('');
    return first.bytes ? { bytes: text } : text;
  }

  private scalar(): Lit {
    const m = /^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)L?|^(True|False|None)\b/.exec(this.s.slice(this.p, this.p + 64));
    if (!m) return this.fail('unexpected token');
    this.p += m[0].length;
    if (m[5] !== undefined) return m[5] === 'True' ? true : m[5] === 'False' ? false : null;
    return Number(m[0].replace(/[_L]/g, ''));
  }

  private stringToken(): { text: string; bytes: boolean } | null {
    const s = this.s;
    const m = /^([bB][rR]|[rR][bB]|[rRbBuU])?('''|"""|'|")/.exec(s.slice(this.p, this.p + 5));
    if (!m) return null;
    const prefix = (m[1] ?? '').toLowerCase();
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    const q = m[2]!;
    this.p += m[0].length;
    const parts: string[] = [];
    for (;;) {
      if (this.p >= s.length) this.fail('unterminated string');
      if (s.startsWith(q, this.p)) {
        this.p += q.length;
        return { text: parts.join(''), bytes };
      }
      const ch = s[this.p]!;
      if (ch === '\n' && q.length === 1) this.fail('newline in string');
      if (ch !== '\\') {
        if (bytes && ch.charCodeAt(0) > 0x7f) this.fail('non-ASCII character in bytes');
        parts.push(ch);
        this.p++;
        continue;
      }
      if (raw) {
        parts.push(ch + (s[this.p + 1] ?? ''));
        this.p += 2;
        continue;
      }
      parts.push(this.escape(bytes));
    }
  }

  /** The escape at `p` (a backslash and what follows), as Python decodes it. */
  private escape(bytes: boolean): string {
    const s = this.s;
    const e = s[this.p + 1];
    this.p += 2;
    if (e !== undefined && SIMPLE_ESCAPES[e] !== undefined) return SIMPLE_ESCAPES[e];
    if (e !== undefined && e >= '0' && e <= '7') {
      const o = /^[0-7]{0,2}/.exec(s.slice(this.p, this.p + 2))![0];
      this.p += o.length;
      return String.fromCodePoint(parseInt(e + o, 8));
    }
    if (e === 'x') {
      const h = s.slice(this.p, this.p + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) this.fail('bad \\x escape');
      this.p += 2;
      return String.fromCodePoint(parseInt(h, 16));
    }
    if (!bytes && (e === 'u' || e === 'U')) {
      const n = e === 'u' ? 4 : 8;
      const h = s.slice(this.p, this.p + n);
      if (!(n === 4 ? /^[0-9a-fA-F]{4}$/ : /^[0-9a-fA-F]{8}$/).test(h) || parseInt(h, 16) > 0x10ffff) this.fail(`bad \\${e} escape`);
      this.p += n;
      return String.fromCodePoint(parseInt(h, 16));
    }
    if (!bytes && e === 'N') {
      const close = s.slice(this.p, this.p + 102).indexOf('}'); // bounded: no rescans of the rest of the header
      const end = this.p + close;
      if (s[this.p] !== '{' || close < 0) this.fail('bad \\N escape');
      const c = charByName(s.slice(this.p + 1, end)) ?? UNKNOWN_CHAR;
      this.p = end + 1;
      return c;
    }
    return '\\' + (e ?? ''); // unknown escapes stay as written, as in Python
  }
}

/**
 * What numpy's descr_to_dtype makes of a header descr: a string is numpy.dtype(str), a tuple
 * (base, shape) a sub-array, a list of (name, descr[, shape]) fields. Null: not something we can read.
 */
export function descrDtype(d: Lit, depth = 0): DtypeInfo | null {
  if (depth > 32) return null;
  if (typeof d === 'string') return interpretDtypeString(d);
  if (d instanceof PyTuple) {
    if (d.length !== 2) return null;
    const base = descrDtype(d[0]!, depth + 1);
    if (!base || base.object) return base;
    const n = shapeCount(d[1]!);
    return { object: false, itemSize: base.itemSize === null || n === null ? null : base.itemSize * n };
  }
  if (Array.isArray(d)) {
    let size: number | null = 0;
    for (const f of d) {
      if (!Array.isArray(f) || f.length < 2 || f.length > 3) return null;
      const base = descrDtype(f[1]!, depth + 1);
      if (!base) return null;
      if (base.object) return base;
      const n = f.length === 3 ? shapeCount(f[2]!) : 1;
      size = size === null || base.itemSize === null || n === null ? null : size + base.itemSize * n;
    }
    return { object: false, itemSize: size };
  }
  return null;
}

function shapeCount(s: Lit): number | null {
  if (typeof s === 'number') return Number.isSafeInteger(s) && s >= 0 ? s : null;
  if (!Array.isArray(s)) return null;
  let n = 1;
  for (const x of s) {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) return null;
    n *= x;
  }
  return n;
}

export interface NpyHeader {
  version: string;
  descr: Lit;
  fortranOrder: boolean;
  shape: number[];
  /** Holds Python objects (its data is a pickle), or a dtype we cannot interpret (treated the same). */
  hasObject: boolean;
  /** The dtype as NumPy reads it; null when Hallmark cannot interpret it. */
  dtype: DtypeInfo | null;
  /** Header keys given twice (Python keeps the last value). */
  duplicateKeys: string[];
  /** Offset of the array data (or of the pickle for object arrays). */
  dataOffset: number;
  itemSize: number | null;
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
  const info: LiteralInfo = { duplicateKeys: [] };
  const d = parsePyLiteral(text.trim(), info);
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new NpyError('header is not a dict', start);
  const dict = d as Record<string, Lit>;
  const shape = dict.shape;
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) throw new NpyError(`header shape ${JSON.stringify(shape)} is not a tuple of sizes`, start);
  if (!('descr' in dict)) throw new NpyError('header has no descr', start);
  const dtype = descrDtype(dict.descr);
  const hasObject = dtype === null || dtype.object;
  return {
    version: `${major}.${minor}`, descr: dict.descr!, fortranOrder: dict.fortran_order === true, shape: shape as number[], hasObject, dtype,
    duplicateKeys: info.duplicateKeys, dataOffset: start + len, itemSize: hasObject ? null : dtype.itemSize,
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

// ---- scan rules ---------------------------------------------------------------------------

/** Ambiguous headers, and object arrays: their data is a pickle numpy.load(allow_pickle=True) runs. */
export const rules: FormatRules = {
  async scan(s) {
    const { src, display, out } = s;
    if (s.detection.compression) {
      out.push(finding('medium', 'file.unscannable', display, 'file', `${s.detection.compression}-compressed .npy not inflated`));
      return;
    }
    const h = await readHeader(src);
    if (h.duplicateKeys.length) out.push(finding('medium', 'npy.malformed', display, 'header', `header gives ${h.duplicateKeys.map((k) => JSON.stringify(k)).join(', ')} more than once: numpy keeps the last value, other readers may take the first`));
    if (!h.hasObject) return;
    const a = await analyzePickle(src, { start: h.dataOffset, maxPickles: 1 });
    if (h.dtype === null) {
      // A dtype we cannot interpret may hold objects: judge the data as the pickle numpy.load would read.
      out.push(finding('medium', 'npy.malformed', display, 'header', `dtype ${JSON.stringify(h.descr)} is not a spelling Hallmark can interpret: numpy may read its data as a pickle`));
      if (!reachesCode(a)) return;
      out.push(...pickleFindings(a, display).filter((f) => !SHAPE_RULES.has(f.rule)));
    } else {
      out.push(finding('info', 'npy.object-array', display, at(h.dataOffset), `dtype ${JSON.stringify(h.descr)} holds Python objects: the data is a pickle, loaded only with allow_pickle=True`));
      out.push(...pickleFindings(a, display));
    }
    await scanNested(s, src, a.nested);
  },
};
