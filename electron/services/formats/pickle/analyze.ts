// Static pickle opcode analyser: walks protocol 0-5 streams the way CPython's unpickler would, with
// a symbolic stack and memo, but never imports or calls anything. It reports every import (GLOBAL,
// STACK_GLOBAL, INST), every call site (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST), constructs that have
// no benign use (EXT codes, BUILD on a global, calls of call results, STACK_GLOBAL on computed
// strings) and where the stream is damaged. Memory is bounded: containers keep a few items, the memo
// and stack are capped, big payloads are stepped over, not read.
import { dtypeItemSize, interpretDtypeString, type DtypeInfo } from '../dtype';
import { Cursor, FormatError, TruncatedError, type ByteSource } from '../io';

export class PickleError extends FormatError {
  constructor(message: string, offset: number, readonly opcodeIndex: number) {
    super(message, offset);
    this.name = 'PickleError';
  }
}

// ---- symbolic values -------------------------------------------------------------------------

export type PVal =
  | { k: 'none' }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; v: bigint }
  | { k: 'float' }
  | { k: 'str'; v: string; truncated: boolean; offset?: number; length?: number }
  | { k: 'bytes'; offset: number; length: number; head: Buffer }
  | { k: 'tuple' | 'list' | 'set' | 'frozenset'; items: PVal[]; more: number }
  | { k: 'dict'; entries: Array<[PVal, PVal]>; more: number }
  | { k: 'global'; ref: GlobalRef }
  | { k: 'call'; fn: PVal; args: PVal; op: CallOpcode; offset: number; state: PVal | null; entries: Array<[PVal, PVal]> | null }
  | { k: 'pid'; id: PVal }
  | { k: 'ext'; code: number }
  | { k: 'unknown' };

export type CallOpcode = 'REDUCE' | 'NEWOBJ' | 'NEWOBJ_EX' | 'OBJ' | 'INST';

const NONE: PVal = { k: 'none' };
/** Shared values for 0..255 (BININT1, most shapes and strides): ints are never mutated, and this cuts GC work. */
const SMALL_INTS: PVal[] = Array.from({ length: 256 }, (_, i) => ({ k: 'int', v: BigInt(i) }));
const FLOAT: PVal = { k: 'float' };
const UNKNOWN: PVal = { k: 'unknown' };
const TRUE: PVal = { k: 'bool', v: true };
const FALSE: PVal = { k: 'bool', v: false };

// ---- results ---------------------------------------------------------------------------------

export interface CallSite {
  offset: number;
  opcodeIndex: number;
  opcode: CallOpcode;
  /** Bounded rendering of the arguments, e.g. `('curl evil.sh | sh',)`. */
  args: string;
}

export interface GlobalRef {
  module: string;
  name: string;
  /** First occurrence. */
  offset: number;
  opcodeIndex: number;
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST';
  /** Which pickle in the stream (0-based). */
  pickle: number;
  count: number;
  calls: CallSite[];
  /** Module or name was longer than we keep: the import is reported but cannot be fully named. */
  truncated: boolean;
}

export type PickleEventKind =
  | 'dynamic-global' // STACK_GLOBAL operands are not string constants
  | 'extension-code' // EXT1/2/4: resolves through copyreg's registry in the loading process
  | 'build-on-global' // BUILD applied to a class/module/function: sets attributes on it (monkeypatching)
  | 'indirect-call' // calling something that is not an imported global (e.g. the result of getattr)
  | 'out-of-band-buffer' // NEXT_BUFFER: refers to data outside the stream
  | 'persistent-id-outside-torch'
  | 'nested-load' // bytes handed to a loader that unpickles them (torch.storage._load_from_bytes)
  | 'nested-unresolved' // an allow-listed loader gets bytes (or a file name) that cannot be known from the file
  | 'opaque-array'; // joblib array wrapper whose layout cannot be known: what joblib reads after it is unknown

export interface PickleEvent {
  kind: PickleEventKind;
  offset: number;
  opcodeIndex: number;
  detail: string;
}

export interface PickleDamage {
  offset: number;
  opcodeIndex: number;
  message: string;
}

/** A tensor referenced by torch's `_rebuild_tensor*` with its storage persistent id. */
export interface TorchTensorRef {
  name: string | null;
  storageType: string | null;
  storageKey: string | null;
  location: string | null;
  storageNumel: number | null;
  offset: number;
  shape: number[];
}

export interface PickleStream {
  start: number;
  end: number;
  protocol: number;
  opcodes: number;
}

export interface NestedBytes {
  offset: number;
  length: number;
  via: string;
  /** `latin1-in-utf8`: protocol 2 bytes, written as UTF-8 text of their latin-1 decoding. */
  encoding: 'raw' | 'latin1-in-utf8';
}

/** A file next to the pickle that loading it opens (joblib's NDArrayWrapper: numpy.load(allow_pickle=True)). */
export interface SiblingRef {
  offset: number;
  path: string;
  via: string;
}

export interface PickleAnalysis {
  streams: PickleStream[];
  globals: GlobalRef[];
  events: PickleEvent[];
  damage: PickleDamage | null;
  /** Bytes after the last pickle that are not a pickle. */
  trailing: { offset: number; length: number } | null;
  /** Imports spotted by a raw byte sweep after damage: what a lenient or different parser might still run. */
  sweptGlobals: Array<{ module: string; name: string; offset: number }>;
  tensors: TorchTensorRef[];
  nested: NestedBytes[];
  siblings: SiblingRef[];
  limits: string[];
  /** The first pickle is torch's legacy magic number: 5 pickles then raw storages. */
  torchLegacy: boolean;
  /** Value of the first pickle when it is a plain literal (legacy torch magic, protocol). */
  end: number;
}

export interface PickleOptions {
  start?: number;
  end?: number;
  /** Stop after this many pickles (legacy torch: 5). Default: until the data runs out. */
  maxPickles?: number;
  /** Persistent ids are expected (torch formats) and not reported. */
  torch?: boolean;
  limits?: Partial<PickleLimits>;
  /**
   * Read as joblib.load does: the raw array bytes a NumpyArrayWrapper's BUILD announces are skipped (or,
   * for object dtypes, parsed as the nested pickle joblib reads there) and NDArrayWrapper siblings are
   * recorded. pickle.load and torch.load read the same bytes as opcodes, so this is off by default.
   */
  joblib?: boolean;
  /** PERSID/BINPERSID are accepted (default). pickle.load without a persistent_load fails there. */
  persistentIds?: boolean;
  /** After damage, sweep the rest for import patterns (default true). */
  sweep?: boolean;
}

export interface PickleLimits {
  maxStack: number;
  maxMemo: number;
  maxValues: number;
  maxOpcodes: number;
  maxPickles: number;
  maxTensors: number;
  maxGlobals: number;
  keepString: number;
  keepItems: number;
  maxLine: number;
  maxNesting: number;
  sweepBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 1_000_000,
  maxMemo: 4_000_000,
  maxValues: 8_000_000,
  maxOpcodes: 200_000_000,
  maxPickles: 10_000,
  maxTensors: 200_000,
  maxGlobals: 10_000,
  keepString: 4096,
  keepItems: 64,
  maxLine: 16 * 1024 * 1024,
  maxNesting: 8,
  sweepBytes: 64 * 1024 * 1024,
};

const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

// Opcode bytes (pickletools names).
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68,
  INST: 0x69, LONG_BINGET: 0x6a, LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f, ADDITEMS: 0x90,
  FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95, BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

const NAMES: string[] = [];
for (const [k, v] of Object.entries(OP)) NAMES[v] = k;
export const opcodeName = (b: number): string => NAMES[b] ?? `0x${b.toString(16).padStart(2, '0')}`;
/** Bytes that start a valid opcode: used to tell "another pickle follows" from trailing data. */
export const isOpcode = (b: number): boolean => NAMES[b] !== undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });

/**
 * Walks one or more pickles from `src`. Never throws for bad data: damage is reported in the result
 * (with everything found before it). Throws only for I/O errors of the source itself.
 */
export async function analyzePickle(src: ByteSource, opts: PickleOptions = {}): Promise<PickleAnalysis> {
  const p = new PickleWalker(src, opts);
  return p.run();
}

/** Opcode groups, one handler each (PickleWalker.stackOp, numberOp, …); 0 is an invalid opcode. */
const enum G { INVALID, STACK, NUMBER, TEXT, CONTAINER, MEMO, CODE }
const GROUP = new Uint8Array(256);
/** Fixed-width argument bytes per opcode, made available before its handler runs. */
const ARG_WIDTH = new Uint8Array(256);
{
  const groups: Array<[G, Array<keyof typeof OP>]> = [
    [G.STACK, ['MARK', 'POP', 'POP_MARK', 'DUP', 'NONE', 'NEWTRUE', 'NEWFALSE', 'READONLY_BUFFER', 'PROTO', 'FRAME']],
    [G.NUMBER, ['FLOAT', 'INT', 'LONG', 'BININT', 'BININT1', 'BININT2', 'LONG1', 'LONG4', 'BINFLOAT']],
    [G.TEXT, ['STRING', 'UNICODE', 'BINSTRING', 'SHORT_BINSTRING', 'BINUNICODE', 'SHORT_BINUNICODE', 'BINUNICODE8', 'BINBYTES', 'SHORT_BINBYTES', 'BINBYTES8', 'BYTEARRAY8']],
    [G.CONTAINER, ['APPEND', 'APPENDS', 'ADDITEMS', 'DICT', 'EMPTY_DICT', 'SETITEM', 'SETITEMS', 'LIST', 'EMPTY_LIST', 'TUPLE', 'EMPTY_TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'EMPTY_SET', 'FROZENSET']],
    [G.MEMO, ['PUT', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE', 'GET', 'BINGET', 'LONG_BINGET']],
    [G.CODE, ['GLOBAL', 'INST', 'STACK_GLOBAL', 'REDUCE', 'NEWOBJ', 'NEWOBJ_EX', 'OBJ', 'BUILD', 'PERSID', 'BINPERSID', 'EXT1', 'EXT2', 'EXT4', 'NEXT_BUFFER']],
  ];
  for (const [g, names] of groups) for (const n of names) GROUP[OP[n]] = g;
  const widths: Array<[number, Array<keyof typeof OP>]> = [
    [1, ['BININT1', 'LONG1', 'SHORT_BINSTRING', 'SHORT_BINUNICODE', 'SHORT_BINBYTES', 'BINPUT', 'BINGET', 'PROTO', 'EXT1']],
    [2, ['BININT2', 'EXT2']],
    [4, ['BININT', 'LONG4', 'BINSTRING', 'BINUNICODE', 'BINBYTES', 'LONG_BINPUT', 'LONG_BINGET', 'EXT4']],
    [8, ['BINFLOAT', 'BINUNICODE8', 'BINBYTES8', 'BYTEARRAY8', 'FRAME']],
  ];
  for (const [w, names] of widths) for (const n of names) ARG_WIDTH[OP[n]] = w;
}

const pairsOf = (items: PVal[]): Array<[PVal, PVal]> => {
  const pairs: Array<[PVal, PVal]> = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
  return pairs;
};

/** One pickle's machine state, as CPython's Unpickler keeps it: stack, marks (with the fence they set) and memo. */
class Frame {
  readonly stack: PVal[] = [];
  readonly marks: number[] = [];
  readonly memo = new Map<number, PVal>();
  memoLen = 0;
  memoFull = false;
  protocol = 0;
  /** Stack depth of the innermost MARK: values below it belong to an enclosing container. */
  fence = 0;
  lastOp = 0;

  constructor(private readonly w: { fail(msg: string, offset: number): never }, private readonly L: PickleLimits, private readonly limits: string[]) {}

  pop(at: number): PVal {
    if (this.stack.length <= this.fence) this.w.fail(`stack underflow at offset ${at} (${opcodeName(this.lastOp)})`, at);
    return this.stack.pop()!;
  }

  top(at: number): PVal {
    if (this.stack.length <= this.fence) this.w.fail(`stack underflow at offset ${at} (${opcodeName(this.lastOp)})`, at);
    return this.stack[this.stack.length - 1]!;
  }

  popMark(at: number): PVal[] {
    if (this.marks.length === 0) this.w.fail(`could not find MARK for ${opcodeName(this.lastOp)} at offset ${at}`, at);
    const m = this.marks.pop()!;
    this.fence = this.marks.length ? this.marks[this.marks.length - 1]! : 0;
    return this.stack.splice(m);
  }

  push(v: PVal, at: number): void {
    if (this.stack.length >= this.L.maxStack) this.w.fail(`stack deeper than ${this.L.maxStack} at offset ${at}`, at);
    this.stack.push(v);
  }

  memoPut(idx: number, at: number): void {
    const v = this.top(at);
    if (!this.memo.has(idx)) this.memoLen++;
    if (this.memoLen > this.L.maxMemo) {
      if (!this.memoFull) this.limits.push(`memo larger than ${this.L.maxMemo} entries: later memo values are not tracked`);
      this.memoFull = true;
      return;
    }
    this.memo.set(idx, v);
  }

  memoGet(idx: number, at: number): PVal {
    const v = this.memo.get(idx);
    if (v !== undefined) return v;
    if (this.memoFull) return UNKNOWN;
    this.w.fail(`memo key ${idx} not found at offset ${at}`, at);
  }
}

class PickleWalker {
  private readonly cur: Cursor;
  private readonly L: PickleLimits;
  private readonly res: PickleAnalysis;
  private readonly globals = new Map<string, GlobalRef>();
  private values = 0;
  private opIndex = 0;
  private pickleNo = 0;
  private degraded = false;

  constructor(private readonly src: ByteSource, private readonly opts: PickleOptions) {
    this.L = { ...DEFAULT_PICKLE_LIMITS, ...opts.limits };
    const start = opts.start ?? 0;
    const end = Math.min(opts.end ?? src.size, src.size);
    this.cur = new Cursor(src, start, 1 << 20, end);
    this.res = {
      streams: [], globals: [], events: [], damage: null, trailing: null, sweptGlobals: [], tensors: [],
      nested: [], siblings: [], limits: [], torchLegacy: false, end: start,
    };
  }

  async run(): Promise<PickleAnalysis> {
    const c = this.cur;
    let maxPickles = Math.min(this.opts.maxPickles ?? Infinity, this.L.maxPickles);
    try {
      while (c.remaining > 0 && this.res.streams.length < maxPickles) {
        const start = c.pos;
        if (this.res.streams.length > 0) {
          // After a STOP: another pickle, or trailing bytes? A byte that is no opcode is trailing data.
          await c.ensure(1);
          const b = c.peek()!;
          if (!isOpcode(b)) break;
        }
        const opsBefore = this.opIndex;
        const { value, protocol } = await this.parseOne(0);
        this.res.streams.push({ start, end: c.pos, protocol, opcodes: this.opIndex - opsBefore });
        if (this.res.streams.length === 1 && value.k === 'int' && value.v === TORCH_LEGACY_MAGIC) {
          // torch.save legacy layout: magic, protocol, sys_info, data, storage keys, then raw storages.
          this.res.torchLegacy = true;
          maxPickles = Math.min(maxPickles, 5);
        }
        this.pickleNo++;
      }
      if (c.remaining > 0 && !this.res.torchLegacy && this.opts.maxPickles === undefined) {
        this.res.trailing = { offset: c.pos, length: c.remaining };
      }
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      const off = e instanceof PickleError || e instanceof TruncatedError ? (e.offset ?? c.pos) : c.pos;
      this.res.damage = { offset: off, opcodeIndex: this.opIndex, message: e.message };
      if (this.opts.sweep !== false) await this.sweep(Math.min(off + 1, this.cur.end));
    }
    this.res.end = c.pos;
    this.res.globals = [...this.globals.values()];
    return this.res;
  }

  fail(msg: string, offset: number): never {
    throw new PickleError(msg, offset, this.opIndex);
  }

  private alloc(): boolean {
    if (this.degraded) return false;
    if (++this.values > this.L.maxValues) {
      this.degraded = true;
      this.res.limits.push(`more than ${this.L.maxValues} values: later containers are not tracked`);
      return false;
    }
    return true;
  }

  private async readLine(max: number, what: string): Promise<Buffer> {
    const c = this.cur;
    const at = c.pos;
    const fast = c.indexOfBuffered(0x0a, max);
    const i = fast ?? (await c.indexOf(0x0a, max));
    if (i < 0) this.fail(`${what} at offset ${at}: no newline within ${Math.min(max, c.remaining)} bytes`, at);
    const line = c.bytes(i + 1);
    return line.subarray(0, i);
  }

  private async readStrLine(max: number, what: string, at: number): Promise<string> {
    const b = await this.readLine(max, what);
    try {
      return utf8.decode(b);
    } catch {
      this.fail(`${what} at offset ${at} is not valid UTF-8`, at);
    }
  }

  /** Strings and bytes whose kept prefix is already buffered are read without awaiting. */
  private ready(len: number, keep: number): boolean {
    return len <= this.cur.remaining && this.cur.has(Math.min(len, keep));
  }

  private async readStr(len: number, what: string, at: number, strict: boolean): Promise<PVal> {
    const c = this.cur;
    if (len > c.remaining) this.fail(`${what} at offset ${at} declares ${len} bytes but only ${c.remaining} remain`, at);
    const keep = Math.min(len, this.L.keepString);
    if (!c.has(keep)) await c.ensure(keep, what);
    return this.readStrSync(len, what, strict);
  }

  private readStrSync(len: number, what: string, strict: boolean): PVal {
    const c = this.cur;
    const keep = Math.min(len, this.L.keepString);
    const b = c.bytes(keep);
    let v: string;
    if (strict && keep === len) {
      try {
        v = utf8.decode(b);
      } catch {
        // CPython decodes with surrogatepass; lone surrogates are legal, so stay lenient but keep going.
        v = utf8Lenient.decode(b);
      }
    } else v = utf8Lenient.decode(b);
    c.skip(len - keep, what);
    return { k: 'str', v, truncated: keep < len, offset: c.pos - len, length: len };
  }

  private async readBytes(len: number, what: string, at: number): Promise<PVal> {
    const c = this.cur;
    if (len > c.remaining) this.fail(`${what} at offset ${at} declares ${len} bytes but only ${c.remaining} remain`, at);
    if (!c.has(Math.min(len, 64))) await c.ensure(Math.min(len, 64), what);
    return this.readBytesSync(len, what);
  }

  private readBytesSync(len: number, what: string): PVal {
    const c = this.cur;
    const offset = c.pos;
    const keep = Math.min(len, 64);
    const head = Buffer.from(c.bytes(keep));
    c.skip(len - keep, what);
    return { k: 'bytes', offset, length: len, head };
  }

  private addGlobal(module: string, name: string, opcode: GlobalRef['opcode'], offset: number, truncated: boolean): GlobalRef {
    const key = `${module}\0${name}`;
    let g = this.globals.get(key);
    if (g) {
      g.count++;
      return g;
    }
    g = { module, name, offset, opcodeIndex: this.opIndex, opcode, pickle: this.pickleNo, count: 1, calls: [], truncated };
    if (this.globals.size < this.L.maxGlobals) this.globals.set(key, g);
    else if (!this.res.limits.includes('globals')) this.res.limits.push('globals');
    return g;
  }

  private event(kind: PickleEventKind, offset: number, detail: string): void {
    if (this.res.events.length < 1000) this.res.events.push({ kind, offset, opcodeIndex: this.opIndex, detail });
  }

  private container(k: 'tuple' | 'list' | 'set' | 'frozenset', items: PVal[]): PVal {
    if (items.length === 2) namePair(items);
    if (!this.alloc()) return UNKNOWN;
    const keep = items.length > this.L.keepItems ? items.slice(0, this.L.keepItems) : items;
    return { k, items: keep, more: items.length - keep.length };
  }

  private addItems(target: PVal, items: PVal[]): void {
    if (target.k === 'list' && target.items.length + items.length === 2) namePair([...target.items, ...items]);
    if ((target.k === 'list' || target.k === 'set') && !this.degraded) {
      const room = Math.max(0, this.L.keepItems - target.items.length);
      for (let i = 0; i < items.length && i < room; i++) target.items.push(items[i]!);
      target.more += Math.max(0, items.length - room);
    }
  }

  private setItems(target: PVal, pairs: Array<[PVal, PVal]>): void {
    let entries: Array<[PVal, PVal]> | null = null;
    if (target.k === 'dict') entries = target.entries;
    else if (target.k === 'call') entries = target.entries ??= [];
    for (const [key, val] of pairs) {
      // torch state dicts: name the tensors by their key.
      if (key.k === 'str') {
        const t = tensorOf(val);
        if (t) t.name ??= key.v;
      }
      if (entries && !this.degraded && entries.length < this.L.keepItems) entries.push([key, val]);
      else if (target.k === 'dict') target.more++;
    }
  }

  /** Parses one pickle up to and including STOP. */
  private async parseOne(depth: number): Promise<{ value: PVal; protocol: number }> {
    if (depth > this.L.maxNesting) this.fail(`pickles nested deeper than ${this.L.maxNesting}`, this.cur.pos);
    const c = this.cur;
    const f = new Frame(this, this.L, this.res.limits);
    // The hot loop: handlers are synchronous unless they must read ahead, so most opcodes cost no promise.
    for (;;) {
      if (++this.opIndex > this.L.maxOpcodes) this.fail(`more than ${this.L.maxOpcodes} opcodes`, c.pos);
      const at = c.pos;
      if (!c.has(9)) await c.ensure(Math.min(9, c.remaining) || 1, 'opcode');
      const op = c.u8();
      f.lastOp = op;
      if (op === OP.STOP) return { value: f.pop(at), protocol: f.protocol };
      const w = ARG_WIDTH[op]!;
      if (w !== 0 && !c.has(w)) await c.ensure(w, opcodeName(op));
      const pending = this.step(f, op, at, depth);
      if (pending) await pending;
    }
  }

  /** One opcode, by group: synchronous unless it has to read ahead. */
  private step(f: Frame, op: number, at: number, depth: number): void | Promise<void> {
    switch (GROUP[op]) {
      case G.STACK: return this.stackOp(f, op, at);
      case G.NUMBER: return this.numberOp(f, op, at);
      case G.TEXT: return this.textOp(f, op, at);
      case G.CONTAINER: return this.containerOp(f, op, at);
      case G.MEMO: return this.memoOp(f, op, at);
      case G.CODE: return this.codeOp(f, op, at, depth);
    }
    this.fail(`invalid opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at}`, at);
  }

  /** Marks, stack shuffling, constants and framing. */
  private stackOp(f: Frame, op: number, at: number): void {
    const c = this.cur;
    switch (op) {
      case OP.MARK:
        if (f.marks.length >= this.L.maxStack) this.fail(`more than ${this.L.maxStack} marks at offset ${at}`, at);
        f.marks.push(f.stack.length);
        f.fence = f.stack.length;
        return;
      case OP.POP:
        if (f.stack.length > f.fence) f.stack.pop();
        else if (f.marks.length) f.popMark(at);
        else this.fail(`stack underflow at offset ${at} (POP)`, at);
        return;
      case OP.POP_MARK:
        f.popMark(at);
        return;
      case OP.DUP:
        f.push(f.top(at), at);
        return;
      case OP.NONE:
        return f.push(NONE, at);
      case OP.NEWTRUE:
        return f.push(TRUE, at);
      case OP.NEWFALSE:
        return f.push(FALSE, at);
      case OP.READONLY_BUFFER:
        f.top(at);
        return;
      case OP.PROTO: {
        const v = c.u8();
        if (v > 5) this.fail(`unsupported pickle protocol ${v} at offset ${at}`, at);
        f.protocol = v;
        return;
      }
      case OP.FRAME: {
        const n = c.u64();
        if (n > c.remaining) this.fail(`FRAME at offset ${at} declares ${n} bytes but only ${c.remaining} remain`, at);
        return;
      }
    }
  }

  /** Integers and floats (the text forms read a line). */
  private numberOp(f: Frame, op: number, at: number): void | Promise<void> {
    const c = this.cur;
    switch (op) {
      case OP.FLOAT:
        return this.readLine(256, 'FLOAT').then((b) => {
          const s = b.toString('latin1');
          if (!/^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf|nan|infinity)\s*$/i.test(s)) this.fail(`FLOAT at offset ${at} has a bad value ${JSON.stringify(s.slice(0, 40))}`, at);
          f.push(FLOAT, at);
        });
      case OP.INT:
        return this.readLine(4096, 'INT').then((b) => {
          const s = b.toString('latin1');
          if (s === '00') f.push(FALSE, at);
          else if (s === '01') f.push(TRUE, at);
          else f.push({ k: 'int', v: parseIntLine(s, at, 'INT', this) }, at);
        });
      case OP.LONG:
        return this.readLine(1 << 20, 'LONG').then((b) => {
          const s = b.toString('latin1');
          f.push({ k: 'int', v: parseIntLine(s.endsWith('L') ? s.slice(0, -1) : s, at, 'LONG', this) }, at);
        });
      case OP.BININT:
        return f.push({ k: 'int', v: BigInt(c.i32()) }, at);
      case OP.BININT1:
        return f.push(SMALL_INTS[c.u8()]!, at);
      case OP.BININT2:
        return f.push({ k: 'int', v: BigInt(c.u16()) }, at);
      case OP.LONG1: {
        const n = c.u8();
        if (!c.has(n)) return c.ensure(n, 'LONG1').then(() => f.push({ k: 'int', v: decodeLong(c.bytes(n)) }, at));
        return f.push({ k: 'int', v: decodeLong(c.bytes(n)) }, at);
      }
      case OP.LONG4: {
        const n = c.i32();
        if (n < 0) this.fail(`LONG4 at offset ${at} has negative byte count ${n}`, at);
        if (n > c.remaining) this.fail(`LONG4 at offset ${at} declares ${n} bytes but only ${c.remaining} remain`, at);
        if (n > 64) {
          c.skip(n, 'LONG4');
          return f.push({ k: 'int', v: -1n }, at);
        }
        if (!c.has(n)) return c.ensure(n, 'LONG4').then(() => f.push({ k: 'int', v: decodeLong(c.bytes(n)) }, at));
        return f.push({ k: 'int', v: decodeLong(c.bytes(n)) }, at);
      }
      case OP.BINFLOAT:
        c.skip(8);
        return f.push(FLOAT, at);
    }
  }

  /** Strings and bytes: read in place when buffered, else read ahead. */
  private textOp(f: Frame, op: number, at: number): void | Promise<void> {
    const c = this.cur;
    const L = this.L;
    switch (op) {
      case OP.STRING:
        return this.readLine(L.maxLine, 'STRING').then((b) => {
          const line = b.toString('latin1');
          const q = line[0];
          if (line.length < 2 || (q !== '"' && q !== "'") || line[line.length - 1] !== q) this.fail(`STRING at offset ${at} is not quoted: ${JSON.stringify(line.slice(0, 40))}`, at);
          const body = unescapePy(line.slice(1, -1));
          f.push({ k: 'str', v: body.slice(0, L.keepString), truncated: body.length > L.keepString }, at);
        });
      case OP.UNICODE:
        return this.readLine(L.maxLine, 'UNICODE').then((b) => {
          const v = unescapePy(b.toString('latin1'));
          f.push({ k: 'str', v: v.slice(0, L.keepString), truncated: v.length > L.keepString }, at);
        });
      case OP.BINSTRING: {
        const n = c.i32();
        if (n < 0) this.fail(`BINSTRING at offset ${at} has negative length ${n}`, at);
        return this.pushStr(f, n, 'BINSTRING', at, false);
      }
      case OP.SHORT_BINSTRING:
        return this.pushStr(f, c.u8(), 'SHORT_BINSTRING', at, false);
      case OP.BINUNICODE:
        return this.pushStr(f, c.u32(), 'BINUNICODE', at, true);
      case OP.SHORT_BINUNICODE:
        return this.pushStr(f, c.u8(), 'SHORT_BINUNICODE', at, true);
      case OP.BINUNICODE8: {
        const n = c.u64();
        if (n > c.remaining) this.fail(`BINUNICODE8 at offset ${at} declares ${n} bytes but only ${c.remaining} remain`, at);
        return this.pushStr(f, n, 'BINUNICODE8', at, true);
      }
      case OP.BINBYTES:
        return this.pushBytes(f, c.u32(), 'BINBYTES', at);
      case OP.SHORT_BINBYTES:
        return this.pushBytes(f, c.u8(), 'SHORT_BINBYTES', at);
      case OP.BINBYTES8:
      case OP.BYTEARRAY8: {
        const n = c.u64();
        if (n > c.remaining) this.fail(`${opcodeName(op)} at offset ${at} declares ${n} bytes but only ${c.remaining} remain`, at);
        return this.pushBytes(f, n, opcodeName(op), at);
      }
    }
  }

  private pushStr(f: Frame, n: number, what: string, at: number, strict: boolean): void | Promise<void> {
    if (this.ready(n, this.L.keepString)) return f.push(this.readStrSync(n, what, strict), at);
    return this.readStr(n, what, at, strict).then((v) => f.push(v, at));
  }

  private pushBytes(f: Frame, n: number, what: string, at: number): void | Promise<void> {
    if (this.ready(n, 64)) return f.push(this.readBytesSync(n, what), at);
    return this.readBytes(n, what, at).then((v) => f.push(v, at));
  }

  /** Lists, tuples, dicts and sets: built and filled. */
  private containerOp(f: Frame, op: number, at: number): void {
    switch (op) {
      case OP.APPEND: {
        const v = f.pop(at);
        return this.addItems(f.top(at), [v]);
      }
      case OP.APPENDS:
      case OP.ADDITEMS: {
        const items = f.popMark(at);
        return this.addItems(f.top(at), items);
      }
      case OP.DICT: {
        const items = f.popMark(at);
        if (items.length % 2) this.fail(`DICT at offset ${at} has an odd number of items (${items.length})`, at);
        const d: PVal = this.alloc() ? { k: 'dict', entries: [], more: 0 } : UNKNOWN;
        this.setItems(d, pairsOf(items));
        return f.push(d, at);
      }
      case OP.EMPTY_DICT:
        return f.push(this.alloc() ? { k: 'dict', entries: [], more: 0 } : UNKNOWN, at);
      case OP.SETITEM: {
        const v = f.pop(at);
        const k = f.pop(at);
        return this.setItems(f.top(at), [[k, v]]);
      }
      case OP.SETITEMS: {
        const items = f.popMark(at);
        if (items.length % 2) this.fail(`SETITEMS at offset ${at} has an odd number of items (${items.length})`, at);
        return this.setItems(f.top(at), pairsOf(items));
      }
      case OP.LIST:
        return f.push(this.container('list', f.popMark(at)), at);
      case OP.EMPTY_LIST:
        return f.push(this.container('list', []), at);
      case OP.TUPLE:
        return f.push(this.container('tuple', f.popMark(at)), at);
      case OP.EMPTY_TUPLE:
        return f.push(this.container('tuple', []), at);
      case OP.TUPLE1: {
        const a = f.pop(at);
        return f.push(this.container('tuple', [a]), at);
      }
      case OP.TUPLE2: {
        const b = f.pop(at);
        const a = f.pop(at);
        return f.push(this.container('tuple', [a, b]), at);
      }
      case OP.TUPLE3: {
        const c3 = f.pop(at);
        const b = f.pop(at);
        const a = f.pop(at);
        return f.push(this.container('tuple', [a, b, c3]), at);
      }
      case OP.EMPTY_SET:
        return f.push(this.container('set', []), at);
      case OP.FROZENSET:
        return f.push(this.container('frozenset', f.popMark(at)), at);
    }
  }

  /** The memo: PUT/GET and their binary forms. */
  private memoOp(f: Frame, op: number, at: number): void | Promise<void> {
    const c = this.cur;
    switch (op) {
      case OP.PUT:
        return this.readLine(64, 'PUT').then((b) => {
          const i = Number(parseIntLine(b.toString('latin1'), at, 'PUT', this));
          if (i < 0) this.fail(`PUT at offset ${at} has negative index ${i}`, at);
          f.memoPut(i, at);
        });
      case OP.BINPUT:
        return f.memoPut(c.u8(), at);
      case OP.LONG_BINPUT:
        return f.memoPut(c.u32(), at);
      case OP.MEMOIZE:
        return f.memoPut(f.memoLen, at);
      case OP.GET:
        return this.readLine(64, 'GET').then((b) => f.push(f.memoGet(Number(parseIntLine(b.toString('latin1'), at, 'GET', this)), at), at));
      case OP.BINGET:
        return f.push(f.memoGet(c.u8(), at), at);
      case OP.LONG_BINGET:
        return f.push(f.memoGet(c.u32(), at), at);
    }
  }

  /** What reaches code: imports, calls, BUILD, persistent ids, extension codes, out-of-band buffers. */
  private codeOp(f: Frame, op: number, at: number, depth: number): void | Promise<void> {
    const c = this.cur;
    const L = this.L;
    switch (op) {
      case OP.GLOBAL:
        return this.readGlobal(f, at);
      case OP.INST:
        return this.readInst(f, at);
      case OP.STACK_GLOBAL: {
        const name = f.pop(at);
        const module = f.pop(at);
        if (module.k === 'str' && name.k === 'str') return f.push({ k: 'global', ref: this.addGlobal(module.v, name.v, 'STACK_GLOBAL', at, module.truncated || name.truncated) }, at);
        this.event('dynamic-global', at, `STACK_GLOBAL imports module ${render(module)} name ${render(name)}: operands are not string constants, so the import is chosen at load time`);
        return f.push(UNKNOWN, at);
      }
      case OP.REDUCE: {
        const args = f.pop(at);
        const fn = f.pop(at);
        return f.push(this.call(fn, args, 'REDUCE', at), at);
      }
      case OP.NEWOBJ: {
        const args = f.pop(at);
        const cls = f.pop(at);
        return f.push(this.call(cls, args, 'NEWOBJ', at), at);
      }
      case OP.NEWOBJ_EX: {
        const kwargs = f.pop(at);
        const args = f.pop(at);
        const cls = f.pop(at);
        return f.push(this.call(cls, this.container('tuple', [args, kwargs]), 'NEWOBJ_EX', at), at);
      }
      case OP.OBJ: {
        const args = f.popMark(at);
        const cls = args.shift();
        if (!cls) this.fail(`OBJ at offset ${at} has no class after MARK`, at);
        return f.push(this.call(cls, this.container('tuple', args), 'OBJ', at), at);
      }
      case OP.BUILD:
        return this.build(f, at, depth);
      case OP.PERSID:
        return this.readLine(L.maxLine, 'PERSID').then((s) => {
          this.persistent(at);
          f.push({ k: 'pid', id: { k: 'str', v: s.toString('latin1').slice(0, L.keepString), truncated: s.length > L.keepString } }, at);
        });
      case OP.BINPERSID: {
        const id = f.pop(at);
        this.persistent(at);
        return f.push({ k: 'pid', id }, at);
      }
      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4: {
        const code = op === OP.EXT1 ? c.u8() : op === OP.EXT2 ? c.u16() : c.i32();
        if (code <= 0) this.fail(`${opcodeName(op)} at offset ${at} has invalid extension code ${code}`, at);
        this.event('extension-code', at, `${opcodeName(op)} ${code} imports whatever the loading process registered under copyreg extension code ${code}; the name cannot be known from the file`);
        return f.push({ k: 'ext', code }, at);
      }
      case OP.NEXT_BUFFER:
        this.event('out-of-band-buffer', at, 'NEXT_BUFFER takes data from outside the file (pickle protocol 5 out-of-band buffers)');
        return f.push(UNKNOWN, at);
    }
  }

  private async readGlobal(f: Frame, at: number): Promise<void> {
    const L = this.L;
    const module = await this.readStrLine(L.maxLine, 'GLOBAL module', at);
    const name = await this.readStrLine(L.maxLine, 'GLOBAL name', at);
    f.push({ k: 'global', ref: this.addGlobal(module.slice(0, L.keepString), name.slice(0, L.keepString), 'GLOBAL', at, module.length > L.keepString || name.length > L.keepString) }, at);
  }

  private async readInst(f: Frame, at: number): Promise<void> {
    const L = this.L;
    const module = await this.readStrLine(L.maxLine, 'INST module', at);
    const name = await this.readStrLine(L.maxLine, 'INST name', at);
    const args = f.popMark(at);
    const g: PVal = { k: 'global', ref: this.addGlobal(module.slice(0, L.keepString), name.slice(0, L.keepString), 'INST', at, false) };
    f.push(this.call(g, this.container('tuple', args), 'INST', at), at);
  }

  /** BUILD: state set on an instance, or on a global itself (monkeypatching); joblib arrays follow theirs. */
  private build(f: Frame, at: number, depth: number): void | Promise<void> {
    const state = f.pop(at);
    const inst = f.top(at);
    if (inst.k === 'global') {
      this.event('build-on-global', at, `BUILD sets state ${render(state)} on ${inst.ref.module}.${inst.ref.name} itself (not an instance): it overwrites attributes of a class, function or module in the loading process`);
    } else if (inst.k === 'call') {
      inst.state = state;
      if (this.opts.joblib) {
        const cls = instanceClass(inst);
        if (cls && JOBLIB_WRAPPERS.has(cls.name)) return this.afterBuild(inst, cls, depth, at);
      }
    }
  }

  /** A call of `fn` (REDUCE, NEWOBJ, INST, OBJ): recorded on the import it calls, followed up when we know its meaning. */
  private call(fn: PVal, args: PVal, op: CallOpcode, at: number): PVal {
    if (fn.k === 'global') {
      if (fn.ref.calls.length < 8) fn.ref.calls.push(callSite(at, this.opIndex, op, args));
    } else if (fn.k !== 'unknown' && fn.k !== 'ext') {
      this.event('indirect-call', at, `${op} calls ${render(fn)} which is not an imported name (a value computed inside the pickle)`);
    }
    const v: PVal = this.alloc()
      ? { k: 'call', fn, args, op, offset: at, state: null, entries: null }
      : UNKNOWN;
    if (fn.k === 'global') this.onCall(fn.ref, args, v, at);
    return v;
  }

  private persistent(at: number): void {
    if (this.opts.persistentIds === false) this.fail(`persistent id at offset ${at}: pickle.load without a persistent_load stops here`, at);
    if (!this.opts.torch) this.event('persistent-id-outside-torch', at, 'persistent id in a plain pickle: only a custom Unpickler.persistent_load can resolve it');
  }

  /** Follow-up on calls whose meaning we know: torch tensors, nested loaders. */
  private onCall(ref: GlobalRef, args: PVal, result: PVal, at: number): void {
    if (!INTERESTING_MODULES.has(ref.module)) return;
    const fq = `${ref.module}.${ref.name}`;
    if (TENSOR_REBUILDERS.has(fq) && args.k === 'tuple' && result.k === 'call') {
      if (this.res.tensors.length >= this.L.maxTensors) return;
      const [storage, offset, size] = args.items;
      const t: TorchTensorRef = {
        name: null, storageType: null, storageKey: null, location: null, storageNumel: null,
        offset: offset?.k === 'int' ? Number(offset.v) : 0,
        shape: size?.k === 'tuple' ? size.items.map((x) => (x.k === 'int' ? Number(x.v) : -1)) : [],
      };
      if (storage?.k === 'pid' && storage.id.k === 'tuple') {
        const [tag, type, key, loc, numel] = storage.id.items;
        if (tag?.k === 'str' && tag.v === 'storage') {
          if (type?.k === 'global') t.storageType = `${type.ref.module}.${type.ref.name}`;
          if (key?.k === 'str') t.storageKey = key.v;
          if (loc?.k === 'str') t.location = loc.v;
          if (numel?.k === 'int') t.storageNumel = Number(numel.v);
        }
      }
      if (fq === 'torch._utils._rebuild_tensor_v3') {
        const dt = args.items[6];
        if (dt?.k === 'global') t.storageType = `${dt.ref.module}.${dt.ref.name}`;
      }
      tensorRefs.set(result, t);
      this.res.tensors.push(t);
    } else if (fq === 'torch._utils._rebuild_parameter' || fq === 'torch._utils._rebuild_parameter_with_state' || fq === 'torch._tensor._rebuild_from_type_v2') {
      // Parameters wrap a tensor: let the state-dict key name the inner tensor.
      const inner = args.k === 'tuple' ? args.items[fq === 'torch._tensor._rebuild_from_type_v2' ? 2 : 0] : undefined;
      const t = inner ? tensorOf(inner) : null;
      if (t && result.k === 'call') tensorRefs.set(result, t);
    } else if (NESTED_LOADERS.has(fq)) {
      // The bytes may be built any way Python allows; follow the ways that can be known statically and
      // report the rest: an allow-listed loader must never be trusted with bytes we did not scan.
      const arg = args.k === 'tuple' ? args.items[0] : undefined;
      const r = arg ? resolveBytes(arg, 0) : null;
      if (r) this.res.nested.push({ ...r, via: fq });
      else this.event('nested-unresolved', at, `${fq} unpickles ${arg ? render(arg) : 'its arguments'}, which cannot be resolved to bytes in the file: what it loads was not scanned`);
    }
  }

  /**
   * joblib's Unpickler replaces a wrapper by its array right after BUILD, reading from the stream (or a
   * sibling file) what the wrapper's attributes say, exactly as joblib interprets them: attributes are
   * the state dict (last key wins), `numpy_array_alignment_bytes` None means no padding byte, object
   * dtypes (also a structured field or sub-array of objects) mean a nested pickle. A wrapper whose layout
   * cannot be known stops the walk with an 'opaque-array' event: what joblib reads next is unknown.
   */
  private async afterBuild(inst: Extract<PVal, { k: 'call' }>, cls: GlobalRef, depth: number, at: number): Promise<void> {
    const opaque = (why: string): never => {
      this.event('opaque-array', at, `joblib ${cls.name} at offset ${at}: ${why}; joblib.load reads data here that cannot be known from the file`);
      this.fail(`joblib ${cls.name} at offset ${at}: ${why}`, at);
    };
    const attrs = stateAttrs(inst.state);
    if (!attrs) return opaque('its state is not a plain attribute dict');
    if (cls.name !== 'NumpyArrayWrapper') {
      // Old joblib: the array lives in a sibling file, opened with numpy.load(allow_pickle=True).
      const f = attrs.get('filename');
      if (f?.k === 'str' && !f.truncated) this.res.siblings.push({ offset: at, path: f.v, via: `${cls.module}.${cls.name}` });
      else this.event('nested-unresolved', at, `joblib ${cls.name} names its array file with ${f ? render(f) : 'nothing'}: joblib.load opens it with numpy.load(allow_pickle=True), and which file that is cannot be known`);
      return;
    }
    const shape = attrs.get('shape');
    const dims = shape?.k === 'tuple' && shape.more === 0 ? shape.items.map((x) => (x.k === 'int' ? x.v : -1n)) : null;
    if (!dims || dims.some((d) => d < 0n)) return opaque('cannot determine the array shape');
    const dt = dtypeOfValue(attrs.get('dtype'), 0);
    if (!dt) return opaque(`cannot interpret its dtype ${render(attrs.get('dtype') ?? UNKNOWN)}`);
    if (dt.object) {
      // Object arrays are a nested pickle read from the same stream (joblib gives it a fresh Unpickler).
      await this.parseOne(depth + 1);
      return;
    }
    if (dt.itemSize === null) return opaque('its dtype has no fixed item size');
    const c = this.cur;
    const align = attrs.get('numpy_array_alignment_bytes');
    if (align !== undefined && align.k !== 'none') {
      if (!c.has(1)) await c.ensure(1, 'joblib padding');
      c.skip(c.u8(), 'joblib padding');
    }
    const count = dims.reduce((a, b) => a * b, 1n) * BigInt(dt.itemSize);
    if (count > BigInt(c.remaining)) this.fail(`joblib array at offset ${at} needs ${count} bytes but only ${c.remaining} remain`, at);
    c.skip(Number(count), 'joblib array');
  }

  /** After damage, look for import-looking byte patterns a different parser might still execute. */
  private async sweep(from: number): Promise<void> {
    const end = Math.min(this.cur.end, from + this.L.sweepBytes);
    if (end <= from) return;
    const buf = await this.src.read(from, end - from);
    const found = sweepGlobals(buf, from);
    this.res.sweptGlobals = found.slice(0, 100);
  }
}

/**
 * Arguments are rendered only when a finding asks for them (most calls are allow-listed rebuilds).
 * A class with a prototype getter: a per-object defineProperty made every site a slow dictionary object.
 */
class LazyCallSite implements CallSite {
  private text: string | null = null;
  constructor(readonly offset: number, readonly opcodeIndex: number, readonly opcode: CallOpcode, private readonly argv: PVal) {}
  get args(): string {
    return (this.text ??= render(this.argv));
  }
  toJSON(): CallSite {
    return { offset: this.offset, opcodeIndex: this.opcodeIndex, opcode: this.opcode, args: this.args };
  }
}
const callSite = (offset: number, opcodeIndex: number, opcode: CallOpcode, args: PVal): CallSite => new LazyCallSite(offset, opcodeIndex, opcode, args);

/** Values produced by `_rebuild_tensor*` calls, so a state dict's key can name them later. */
const tensorRefs = new WeakMap<object, TorchTensorRef>();
const tensorOf = (v: PVal): TorchTensorRef | null => tensorRefs.get(v) ?? null;
/** `[key, tensor]` pairs: older torch pickles state dicts as OrderedDict([[key, tensor], …]). */
function namePair(items: readonly PVal[]): void {
  const [key, val] = items;
  if (key?.k !== 'str' || !val) return;
  const t = tensorOf(val);
  if (t) t.name ??= key.v;
}

/** joblib's array wrappers: its Unpickler reads data for them after BUILD (NumpyUnpickler.load_build). */
const JOBLIB_WRAPPERS = new Set(['NumpyArrayWrapper', 'NDArrayWrapper', 'ZNDArrayWrapper']);

/** The class an instance was made from: NEWOBJ/REDUCE on the class, or copyreg's helpers taking it first. */
function instanceClass(inst: Extract<PVal, { k: 'call' }>): GlobalRef | null {
  if (inst.fn.k !== 'global') return null;
  const fq = `${inst.fn.ref.module}.${inst.fn.ref.name}`;
  if (fq === 'copyreg.__newobj__' || fq === 'copyreg._reconstructor' || fq === 'copy_reg._reconstructor' || fq === 'copyreg.__newobj_ex__') {
    const first = inst.args.k === 'tuple' ? inst.args.items[0] : undefined;
    return first?.k === 'global' ? first.ref : null;
  }
  return inst.fn.ref;
}

/** Attributes BUILD gives an object without __setstate__: the dict (last key wins), plus slot state. */
function stateAttrs(state: PVal | null): Map<string, PVal> | null {
  if (!state) return null;
  const out = new Map<string, PVal>();
  const take = (d: PVal): boolean => {
    if (d.k === 'none') return true;
    if (d.k !== 'dict' || d.more > 0) return false;
    for (const [k, v] of d.entries) {
      if (k.k !== 'str' || k.truncated) return false;
      out.set(k.v, v);
    }
    return true;
  };
  if (state.k === 'tuple' && state.items.length === 2 && state.more === 0) return take(state.items[0]!) && take(state.items[1]!) ? out : null;
  return take(state) ? out : null;
}

/**
 * What a pickled numpy.dtype holds: numpy.dtype(descr, align, copy) then BUILD with the state tuple
 * (version, byteorder, subarray, names, fields, elsize, alignment, flags). The flags' object bit and
 * every field and sub-array count, not only the descr string ('V8' can hold an object field).
 */
export function dtypeOfValue(v: PVal | undefined, depth: number): DtypeInfo | null {
  if (!v || depth > 8 || v.k !== 'call' || v.fn.k !== 'global' || v.fn.ref.name !== 'dtype' || !/^numpy(\.|$)/.test(v.fn.ref.module)) return null;
  const descr = v.args.k === 'tuple' ? v.args.items[0] : undefined;
  if (descr?.k !== 'str') return null;
  const base = interpretDtypeString(descr.v);
  if (!base) return null;
  const st = v.state;
  if (!st) return base;
  if (st.k !== 'tuple' || st.more > 0 || st.items.length < 8) return null;
  const [, , sub, , fields, elsize, , flags] = st.items;
  if (flags?.k !== 'int') return null;
  if (base.object || (flags.v & 1n) !== 0n) return { object: true, itemSize: null };
  let size = base.itemSize;
  if (elsize?.k === 'int' && elsize.v > 0n) size = Number(elsize.v);
  if (sub && sub.k !== 'none') {
    const inner = sub.k === 'tuple' ? dtypeOfValue(sub.items[0], depth + 1) : null;
    if (!inner) return null;
    if (inner.object) return { object: true, itemSize: null };
  }
  if (fields && fields.k !== 'none') {
    if (fields.k !== 'dict' || fields.more > 0) return null;
    for (const [, f] of fields.entries) {
      const inner = f.k === 'tuple' ? dtypeOfValue(f.items[0], depth + 1) : null;
      if (!inner) return null;
      if (inner.object) return { object: true, itemSize: null };
    }
  }
  return { object: false, itemSize: size };
}

/** Python's codec lookup: lower case, runs of punctuation to one '_', then the alias table (encodings.aliases). */
export function codecName(enc: string): string {
  const norm = enc.toLowerCase().replace(/[^a-z0-9.]+/g, '_').replace(/^_+|_+$/g, '');
  const key = norm.replace(/\./g, '_');
  return CODEC_ALIASES[norm] ?? CODEC_ALIASES[key] ?? key;
}
const CODEC_ALIASES: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  ...Object.fromEntries(['8859', 'cp819', 'csisolatin1', 'ibm819', 'iso8859', 'iso8859_1', 'iso_8859_1', 'iso_8859_1_1987', 'iso_ir_100', 'l1', 'latin', 'latin1', 'latin_1'].map((a) => [a, 'latin_1'])),
  ...Object.fromEntries(['u8', 'utf', 'utf8', 'utf8_ucs2', 'utf8_ucs4', 'cp65001', 'utf_8'].map((a) => [a, 'utf_8'])),
});

/** Bytes a value evaluates to when they are a known span of the file: bytes literals, and str.encode in latin-1 or UTF-8. */
function resolveBytes(v: PVal, depth: number): Omit<NestedBytes, 'via'> | null {
  if (depth > 4) return null;
  if (v.k === 'bytes') return { offset: v.offset, length: v.length, encoding: 'raw' };
  if (v.k !== 'call' || v.fn.k !== 'global' || v.args.k !== 'tuple' || v.args.more > 0) return null;
  const fq = `${v.fn.ref.module}.${v.fn.ref.name}`;
  const [a, b] = v.args.items;
  const encode = (text: PVal | undefined, enc: PVal | undefined): Omit<NestedBytes, 'via'> | null => {
    if (text?.k !== 'str' || text.offset === undefined || text.length === undefined) return null;
    const codec = enc === undefined ? 'utf_8' : enc.k === 'str' && !enc.truncated ? codecName(enc.v) : null;
    if (codec === 'latin_1') return { offset: text.offset, length: text.length, encoding: 'latin1-in-utf8' };
    if (codec === 'utf_8') return { offset: text.offset, length: text.length, encoding: 'raw' };
    return null;
  };
  switch (fq) {
    case 'builtins.bytes':
    case 'builtins.bytearray':
    case '__builtin__.bytes':
    case '__builtin__.bytearray':
      if (v.args.items.length === 1 && a) return resolveBytes(a, depth + 1);
      return b ? encode(a, b) : null;
    case '_codecs.encode':
    case 'codecs.encode':
      return encode(a, b);
    default:
      return null;
  }
}

const TENSOR_REBUILDERS = new Set([
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_qtensor',
]);
const INTERESTING_MODULES = new Set(['torch._utils', 'torch._tensor', 'torch.storage', 'pickle', '_pickle', 'dill', 'cloudpickle']);
/** Callables that unpickle bytes they are given: what they get is a pickle too, and gets scanned. */
const NESTED_LOADERS = new Set(['torch.storage._load_from_bytes', 'pickle.loads', '_pickle.loads', 'dill.loads', 'cloudpickle.loads']);

export { dtypeItemSize };

function parseIntLine(s: string, at: number, what: string, w: { fail(m: string, o: number): never }): bigint {
  const t = s.trim();
  if (!/^[-+]?\d{1,4300}$/.test(t)) w.fail(`${what} at offset ${at} has a bad value ${JSON.stringify(s.slice(0, 40))}`, at);
  return BigInt(t);
}

/** Two's-complement little-endian, like pickle's LONG1/LONG4. */
function decodeLong(b: Buffer): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

/** Enough of Python's string escapes for naming things (\\n, \\x41, \\u0041, \\'); unknown escapes kept. */
function unescapePy(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\\'"nrt0])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'x':
      case 'u':
      case 'U': {
        const cp = parseInt(e.slice(1), 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '0':
        return '\0';
      default:
        return e;
    }
  });
}

/** Compact, bounded rendering of a symbolic value for finding details. */
export function render(v: PVal, depth = 0, budget = { n: 200 }): string {
  if (budget.n <= 0) return '…';
  const out = (s: string): string => {
    budget.n -= s.length;
    return s;
  };
  if (depth > 3) return out('…');
  switch (v.k) {
    case 'none':
      return out('None');
    case 'bool':
      return out(v.v ? 'True' : 'False');
    case 'int':
      return out(v.v.toString().slice(0, 40));
    case 'float':
      return out('<float>');
    case 'str':
      return out(JSON.stringify(v.v.length > 120 ? v.v.slice(0, 120) + '…' : v.v));
    case 'bytes':
      return out(`<${v.length} bytes>`);
    case 'tuple':
    case 'list':
    case 'set':
    case 'frozenset': {
      const [o, c] = v.k === 'list' ? ['[', ']'] : v.k === 'tuple' ? ['(', ')'] : ['{', '}'];
      const parts = v.items.slice(0, 8).map((x) => render(x, depth + 1, budget));
      const extra = v.items.length - Math.min(8, v.items.length) + v.more;
      return out(o + parts.join(', ') + (extra > 0 ? `, …+${extra}` : v.k === 'tuple' && v.items.length === 1 ? ',' : '') + c);
    }
    case 'dict': {
      const parts = v.entries.slice(0, 6).map(([a, b]) => `${render(a, depth + 1, budget)}: ${render(b, depth + 1, budget)}`);
      return out('{' + parts.join(', ') + (v.entries.length > 6 || v.more ? ', …' : '') + '}');
    }
    case 'global':
      return out(`${v.ref.module}.${v.ref.name}`);
    case 'call':
      return out(`${render(v.fn, depth + 1, budget)}${render(v.args, depth + 1, budget)}`);
    case 'pid':
      return out(`persistent_id(${render(v.id, depth + 1, budget)})`);
    case 'ext':
      return out(`<extension ${v.code}>`);
    case 'unknown':
      return out('<unknown>');
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]{0,200}$/;

/** Finds `c<module>\n<name>\n`, INST lines and short-string + STACK_GLOBAL pairs in raw bytes. */
export function sweepGlobals(buf: Buffer, base: number): Array<{ module: string; name: string; offset: number }> {
  const out: Array<{ module: string; name: string; offset: number }> = [];
  const s = buf.toString('latin1');
  const re = /[ci]([A-Za-z_][\w.]{0,200})\n([A-Za-z_][\w.]{0,200})\n/g;
  for (let m = re.exec(s); m && out.length < 200; m = re.exec(s)) out.push({ module: m[1]!, name: m[2]!, offset: base + m.index });
  // protocol 4: SHORT_BINUNICODE module, [memo op], SHORT_BINUNICODE name, [memo op], STACK_GLOBAL
  for (let i = 0; i < buf.length - 4 && out.length < 200; i++) {
    if (buf[i] !== 0x8c) continue;
    const n1 = buf[i + 1]!;
    const m1 = s.slice(i + 2, i + 2 + n1);
    if (!IDENT.test(m1)) continue;
    let j = i + 2 + n1;
    if (buf[j] === 0x94) j++;
    else if (buf[j] === 0x71) j += 2;
    if (buf[j] !== 0x8c) continue;
    const n2 = buf[j + 1]!;
    const m2 = s.slice(j + 2, j + 2 + n2);
    if (!IDENT.test(m2)) continue;
    let k = j + 2 + n2;
    if (buf[k] === 0x94) k++;
    else if (buf[k] === 0x71) k += 2;
    if (buf[k] === 0x93) out.push({ module: m1, name: m2, offset: base + i });
  }
  return out;
}
