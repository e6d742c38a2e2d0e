// GGUF (llama.cpp) reader: header, key/values and tensor infos; never the tensor data.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md. Every count and length is checked
// against the bytes left before anything is allocated, and tensor ranges are validated against the
// file the way llama.cpp should (several GGUF loader CVEs came from trusting these numbers).
import { Cursor, FormatError, TruncatedError, type ByteSource } from './io';
import { at, finding } from './finding';
import type { FormatRules } from './scanContext';
import { safeRecord, type MatchContext } from './types';

export class GgufError extends FormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = 'GgufError';
  }
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean => head.length >= 4 && head.readUInt32LE(0) === 0x46554747; // "GGUF"

// ggml_type → [name, block size, bytes per block]; gaps are types removed from ggml.
export const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22], 7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 36], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110], 12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292], 16: ['IQ2_XXS', 256, 66], 17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98], 19: ['IQ1_S', 256, 50], 20: ['IQ4_NL', 32, 18], 21: ['IQ3_S', 256, 110], 22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136], 24: ['I8', 1, 1], 25: ['I16', 1, 2], 26: ['I32', 1, 4], 27: ['I64', 1, 8], 28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56], 30: ['BF16', 1, 2], 34: ['TQ1_0', 256, 54], 35: ['TQ2_0', 256, 66], 39: ['MXFP4', 32, 17],
};

// llama_ftype names for general.file_type.
const FILE_TYPES: Record<number, string> = {
  0: 'ALL_F32', 1: 'MOSTLY_F16', 2: 'MOSTLY_Q4_0', 3: 'MOSTLY_Q4_1', 7: 'MOSTLY_Q8_0', 8: 'MOSTLY_Q5_0', 9: 'MOSTLY_Q5_1',
  10: 'MOSTLY_Q2_K', 11: 'MOSTLY_Q3_K_S', 12: 'MOSTLY_Q3_K_M', 13: 'MOSTLY_Q3_K_L', 14: 'MOSTLY_Q4_K_S', 15: 'MOSTLY_Q4_K_M',
  16: 'MOSTLY_Q5_K_S', 17: 'MOSTLY_Q5_K_M', 18: 'MOSTLY_Q6_K', 19: 'MOSTLY_IQ2_XXS', 20: 'MOSTLY_IQ2_XS', 21: 'MOSTLY_Q2_K_S',
  22: 'MOSTLY_IQ3_XS', 23: 'MOSTLY_IQ3_XXS', 24: 'MOSTLY_IQ1_S', 25: 'MOSTLY_IQ4_NL', 26: 'MOSTLY_IQ3_S', 27: 'MOSTLY_IQ3_M',
  28: 'MOSTLY_IQ2_S', 29: 'MOSTLY_IQ2_M', 30: 'MOSTLY_IQ4_XS', 31: 'MOSTLY_IQ1_M', 32: 'MOSTLY_BF16', 36: 'MOSTLY_TQ1_0',
  37: 'MOSTLY_TQ2_0', 38: 'MOSTLY_MXFP4_MOE',
};

const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
const TYPE_NAMES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export type GgufScalar = number | string | boolean;
export type GgufValue = GgufScalar | { type: string; count: number; head: GgufValue[] };

export interface GgufTensor {
  name: string;
  type: string;
  shape: number[];
  /** Relative to the data section. */
  offset: number;
  /** Bytes, or null for an unknown type. */
  bytes: number | null;
}

export interface GgufIssue {
  offset: number;
  message: string;
}

export interface GgufInfo {
  version: number;
  tensorCount: number;
  kvCount: number;
  alignment: number;
  dataOffset: number;
  kv: Record<string, GgufValue>;
  tensors: GgufTensor[];
  architecture: string | null;
  name: string | null;
  contextLength: number | null;
  fileType: string | null;
  tokenizerModel: string | null;
  vocabSize: number | null;
  /** `tokenizer.chat_template` and `tokenizer.chat_template.<name>` (full text, capped at 1 MiB each). */
  chatTemplates: Record<string, string>;
  parameterCount: number;
  quantization: Record<string, number>;
  /** Structural problems (ranges, alignment, duplicates): the file parses but lies. */
  issues: GgufIssue[];
}

export interface GgufLimits {
  maxKv: number;
  maxTensors: number;
  maxString: number;
  maxArrayDepth: number;
  arrayHead: number;
  keepString: number;
}
const LIMITS: GgufLimits = { maxKv: 1 << 20, maxTensors: 1 << 18, maxString: 16 << 20, maxArrayDepth: 4, arrayHead: 8, keepString: 1024 };
const KEEP_TEMPLATE = 1 << 20;

export async function read(src: ByteSource, limits: Partial<GgufLimits> = {}): Promise<GgufInfo> {
  const r = new GgufReader(src, { ...LIMITS, ...limits });
  try {
    return await r.read();
  } catch (e) {
    if (e instanceof TruncatedError) throw new GgufError(`truncated: ${e.message}`, e.offset ?? r.c.pos);
    throw e;
  }
}

/** One pass over the file in gguf order: header, key/values, tensor infos; then the data ranges are checked. */
class GgufReader {
  readonly c: Cursor;
  private v1 = false;
  private readonly issues: GgufIssue[] = [];

  constructor(private readonly src: ByteSource, private readonly L: GgufLimits) {
    this.c = new Cursor(src, 0, 1 << 20);
  }

  async read(): Promise<GgufInfo> {
    const { version, tensorCount, kvCount } = await this.header();
    const { kv, chatTemplates, tokens } = await this.keyValues(kvCount);
    const alignment = this.alignment(kv);
    const { tensors, quantization, params } = await this.tensorInfos(tensorCount, alignment);
    const dataOffset = Math.ceil(this.c.pos / alignment) * alignment;
    this.checkRanges(tensors, tensorCount, dataOffset);
    const str = (k: string): string | null => (typeof kv[k] === 'string' ? (kv[k]) : null);
    const num = (k: string): number | null => (typeof kv[k] === 'number' ? (kv[k]) : null);
    const architecture = str('general.architecture');
    const ft = num('general.file_type');
    return {
      version, tensorCount, kvCount, alignment, dataOffset, kv, tensors,
      architecture,
      name: str('general.name'),
      contextLength: architecture ? num(`${architecture}.context_length`) : null,
      fileType: ft === null ? null : (FILE_TYPES[ft] ?? `type${ft}`),
      tokenizerModel: str('tokenizer.ggml.model'),
      vocabSize: tokens,
      chatTemplates,
      parameterCount: params,
      quantization,
      issues: this.issues.slice(0, 200),
    };
  }

  /** Magic, version and the two counts, which must fit the bytes left. */
  private async header(): Promise<{ version: number; tensorCount: number; kvCount: number }> {
    const { c, L } = this;
    await c.ensure(8, 'GGUF header');
    if (c.u32() !== 0x46554747) throw new GgufError('bad magic (not GGUF)', 0);
    const version = c.u32();
    if (version === 0x03000000 || version === 0x02000000) throw new GgufError(`big-endian GGUF (version bytes ${version.toString(16)}) is not supported`, 4);
    if (version < 1 || version > 3) throw new GgufError(`unsupported GGUF version ${version} at offset 4`, 4);
    const v1 = (this.v1 = version === 1);
    const countAt = c.pos;
    const tensorCount = await this.count('tensor count');
    const kvCount = await this.count('kv count');
    // Cheapest possible entries: a kv is 13 bytes, a tensor info 24; counts beyond that are lies.
    if (!(kvCount <= L.maxKv) || kvCount * 13 > c.remaining) throw new GgufError(`kv count ${kvCount} at offset ${countAt + (v1 ? 4 : 8)} is impossible for ${c.remaining} remaining bytes (limit ${L.maxKv})`, countAt + (v1 ? 4 : 8));
    if (!(tensorCount <= L.maxTensors) || tensorCount * 24 > c.remaining) throw new GgufError(`tensor count ${tensorCount} at offset ${countAt} is impossible for ${c.remaining} remaining bytes (limit ${L.maxTensors})`, countAt);
    return { version, tensorCount, kvCount };
  }

  /** Counts and lengths: u32 in version 1, u64 since. */
  private async count(what: string): Promise<number> {
    await this.c.ensure(this.v1 ? 4 : 8, what);
    return this.v1 ? this.c.u32() : this.c.u64();
  }

  private async string(keep: number, what: string): Promise<string> {
    const { c, L } = this;
    const at = c.pos;
    const n = await this.count(`${what} length`);
    if (!(n <= L.maxString)) throw new GgufError(`${what} length ${n} at offset ${at} exceeds the ${L.maxString}-byte limit`, at);
    if (n > c.remaining) throw new GgufError(`${what} length ${n} at offset ${at} runs past the end of the file (${c.remaining} bytes left)`, at);
    const k = Math.min(n, keep);
    await c.ensure(k, what);
    const s = c.bytes(k).toString('utf8');
    c.skip(n - k, what);
    return s;
  }

  private async value(type: number, depth: number, keep: number, at: number): Promise<GgufValue> {
    const c = this.c;
    switch (type) {
      case T.U8: await c.ensure(1); return c.u8();
      case T.I8: await c.ensure(1); return (c.u8() << 24) >> 24;
      case T.U16: await c.ensure(2); return c.u16();
      case T.I16: await c.ensure(2); return (c.u16() << 16) >> 16;
      case T.U32: await c.ensure(4); return c.u32();
      case T.I32: await c.ensure(4); return c.i32();
      case T.F32: await c.ensure(4); return c.f32();
      case T.F64: await c.ensure(8); return c.f64();
      case T.BOOL: {
        await c.ensure(1);
        const b = c.u8();
        if (b > 1) this.issues.push({ offset: c.pos - 1, message: `bool value ${b} at offset ${c.pos - 1} is neither 0 nor 1` });
        return b !== 0;
      }
      case T.U64: { await c.ensure(8); const v = c.u64big(); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString(); }
      case T.I64: { await c.ensure(8); const v = c.i64big(); return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString(); }
      case T.STRING: return this.string(keep, 'string');
      case T.ARRAY: return this.array(depth, at);
      default:
        throw new GgufError(`unknown value type ${type} at offset ${at}`, at);
    }
  }

  /** An array: its first elements kept, the rest stepped over (its byte count checked first). */
  private async array(depth: number, at: number): Promise<GgufValue> {
    const { c, L } = this;
    if (depth >= L.maxArrayDepth) throw new GgufError(`arrays nested deeper than ${L.maxArrayDepth} at offset ${at}`, at);
    await c.ensure(4, 'array type');
    const et = c.u32();
    const cntAt = c.pos;
    const count = await this.count('array count');
    const minSize = FIXED_SIZE[et] ?? (et === T.STRING ? (this.v1 ? 4 : 8) : et === T.ARRAY ? 12 : -1);
    if (minSize < 0) throw new GgufError(`unknown array element type ${et} at offset ${cntAt - 4}`, cntAt - 4);
    if (!(count * minSize <= c.remaining)) throw new GgufError(`array count ${count} at offset ${cntAt} needs at least ${count * minSize} bytes, only ${c.remaining} left`, cntAt);
    const head: GgufValue[] = [];
    if (FIXED_SIZE[et] !== undefined) {
      const n = Math.min(count, L.arrayHead);
      for (let i = 0; i < n; i++) head.push(await this.value(et, depth + 1, 64, c.pos));
      c.skip((count - n) * FIXED_SIZE[et], 'array');
    } else if (et === T.STRING) {
      await this.stringArray(count, head);
    } else {
      for (let i = 0; i < count; i++) {
        const v = await this.value(et, depth + 1, i < L.arrayHead ? 256 : 0, c.pos);
        if (i < L.arrayHead) head.push(v);
      }
    }
    return { type: TYPE_NAMES[et] ?? String(et), count, head };
  }

  /** Vocabularies hold 100k+ strings: step over them synchronously, awaiting only to refill. */
  private async stringArray(count: number, head: GgufValue[]): Promise<void> {
    const { c, L } = this;
    const lw = this.v1 ? 4 : 8;
    for (let i = 0; i < count; i++) {
      if (i < L.arrayHead) {
        head.push(await this.string(256, 'string'));
        continue;
      }
      if (!c.has(lw)) await c.ensure(lw, 'string length');
      const lenAt = c.pos;
      const n = this.v1 ? c.u32() : c.u64();
      if (!(n <= L.maxString) || n > c.remaining) throw new GgufError(`string length ${n} at offset ${lenAt} runs past the end of the file or the ${L.maxString}-byte limit`, lenAt);
      c.skip(n, 'string');
    }
  }

  private async keyValues(kvCount: number): Promise<{ kv: Record<string, GgufValue>; chatTemplates: Record<string, string>; tokens: number | null }> {
    const c = this.c;
    const kv = safeRecord<GgufValue>();
    const chatTemplates = safeRecord<string>();
    let tokens: number | null = null;
    for (let i = 0; i < kvCount; i++) {
      const keyAt = c.pos;
      const key = await this.string(1024, 'key');
      await c.ensure(4, 'value type');
      const typeAt = c.pos;
      const type = c.u32();
      if (Object.hasOwn(kv, key)) this.issues.push({ offset: keyAt, message: `duplicate key ${JSON.stringify(key)} at offset ${keyAt}` });
      const isTemplate = key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
      const value = await this.value(type, 0, isTemplate ? KEEP_TEMPLATE : this.L.keepString, typeAt);
      kv[key] = value;
      // A repeated template key keeps every copy: readers differ on which one they use, so all are checked.
      if (isTemplate && typeof value === 'string') chatTemplates[Object.hasOwn(chatTemplates, key) ? `${key} (again at offset ${keyAt})` : key] = value;
      if (key === 'tokenizer.ggml.tokens' && typeof value === 'object') tokens = value.count;
    }
    return { kv, chatTemplates, tokens };
  }

  private alignment(kv: Record<string, GgufValue>): number {
    const alignRaw = kv['general.alignment'];
    if (alignRaw === undefined) return 32;
    if (typeof alignRaw === 'number' && alignRaw > 0 && (alignRaw & (alignRaw - 1)) === 0 && alignRaw <= 1 << 30) return alignRaw;
    this.issues.push({ offset: 0, message: `general.alignment ${JSON.stringify(alignRaw)} is not a power of two; using 32` });
    return 32;
  }

  private async tensorInfos(tensorCount: number, alignment: number): Promise<{ tensors: GgufTensor[]; quantization: Record<string, number>; params: number }> {
    const { c, L, issues } = this;
    const tensors: GgufTensor[] = [];
    const names = new Set<string>();
    const quantization = safeRecord<number>();
    let params = 0;
    for (let i = 0; i < tensorCount; i++) {
      const at = c.pos;
      const name = await this.string(256, 'tensor name');
      await c.ensure(4, 'n_dims');
      const nd = c.u32();
      if (nd > 4) throw new GgufError(`tensor ${JSON.stringify(name)} at offset ${at} has ${nd} dimensions (GGML allows 4)`, at);
      await c.ensure(nd * 8 + 12, 'tensor info');
      const dims: bigint[] = [];
      for (let d = 0; d < nd; d++) dims.push(c.u64big());
      const ne = dims.reduce((a, b) => a * b, 1n);
      // Sizes, offsets and parameter counts below are plain numbers: a dimension or element count
      // past 2^53 cannot be one, and no loader could address such a tensor anyway (llama.cpp refuses
      // products past INT64_MAX). Refuse the file, quoting the dimensions as written.
      if (dims.some((x) => x > BigInt(Number.MAX_SAFE_INTEGER)) || ne > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new GgufError(`tensor ${JSON.stringify(name)} at offset ${at} has dimensions [${dims.join(', ')}] (${ne} elements), more than ${Number.MAX_SAFE_INTEGER}`, at);
      }
      const shape = dims.map(Number);
      const typeId = c.u32();
      const offset = c.u64big();
      if (names.has(name)) issues.push({ offset: at, message: `duplicate tensor name ${JSON.stringify(name)} at offset ${at}` });
      names.add(name);
      const t = GGML_TYPES[typeId];
      let bytes: number | null = null;
      if (!t) issues.push({ offset: at, message: `tensor ${JSON.stringify(name)} at offset ${at} has unknown ggml type ${typeId}` });
      else {
        const [, blk, size] = t;
        if (nd > 0 && shape[0]! % blk !== 0) issues.push({ offset: at, message: `tensor ${JSON.stringify(name)}: first dimension ${shape[0]} is not a multiple of the ${t[0]} block size ${blk}` });
        bytes = Number((ne / BigInt(blk)) * BigInt(size));
        params += Number(ne);
        quantization[t[0]] = (quantization[t[0]] ?? 0) + 1;
      }
      if (offset % BigInt(alignment) !== 0n) issues.push({ offset: at, message: `tensor ${JSON.stringify(name)} data offset ${offset} is not aligned to ${alignment}` });
      if (tensors.length < L.maxTensors) tensors.push({ name, type: t?.[0] ?? `type${typeId}`, shape, offset: offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : Infinity, bytes });
    }
    return { tensors, quantization, params };
  }

  /** Tensor ranges must lie inside the file and must not overlap. */
  private checkRanges(tensors: GgufTensor[], tensorCount: number, dataOffset: number): void {
    const { issues, src } = this;
    const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
    let prevEnd = 0;
    let prevName = '';
    for (const t of sorted) {
      if (t.bytes === null) continue;
      const start = dataOffset + t.offset;
      const end = start + t.bytes;
      if (!Number.isFinite(start) || end > src.size) issues.push({ offset: start, message: `tensor ${JSON.stringify(t.name)} data [${start}, ${end}) runs past the end of the file (${src.size} bytes)` });
      if (t.offset < prevEnd) issues.push({ offset: start, message: `tensor ${JSON.stringify(t.name)} data at ${t.offset} overlaps ${JSON.stringify(prevName)} (ends at ${prevEnd})` });
      if (t.offset + t.bytes > prevEnd) {
        prevEnd = t.offset + t.bytes;
        prevName = t.name;
      }
    }
    if (tensorCount > 0 && dataOffset > src.size) issues.push({ offset: dataOffset, message: `data section starts at ${dataOffset}, past the end of the file (${src.size} bytes)` });
  }
}

/** Inspect output: metadata for humans and the UI (tensors capped, templates in full). */
export function summarize(info: GgufInfo, maxTensors = 2000): Record<string, unknown> {
  return {
    version: info.version,
    architecture: info.architecture,
    name: info.name,
    contextLength: info.contextLength,
    fileType: info.fileType,
    tensorCount: info.tensorCount,
    parameterCount: info.parameterCount,
    quantization: info.quantization,
    tokenizerModel: info.tokenizerModel,
    vocabSize: info.vocabSize,
    chatTemplate: info.chatTemplates['tokenizer.chat_template'] ?? null,
    chatTemplates: info.chatTemplates,
    alignment: info.alignment,
    dataOffset: info.dataOffset,
    kv: info.kv,
    tensors: info.tensors.slice(0, maxTensors),
    tensorsTruncated: info.tensors.length > maxTensors,
    issues: info.issues,
  };
}

// ---- scan rules ---------------------------------------------------------------------------

/** Structure that lies about the file, and the chat templates llama.cpp-based runners render. */
export const rules: FormatRules = {
  malformed: { rule: 'gguf.malformed', severity: 'high' },
  async scan(s) {
    const g = await read(s.src);
    for (const i of g.issues.slice(0, 50)) s.out.push(finding('high', 'gguf.malformed', s.display, at(i.offset), i.message));
    const templates = Object.entries(g.chatTemplates);
    // The Jinja parser loads only for files that carry a template (it is most of the scanner's code).
    if (templates.length) {
      const { scanTemplate } = await import('./jinja/template');
      for (const [k, v] of templates) s.out.push(...scanTemplate(v, s.display, `kv ${k}`));
    }
  },
};
