// safetensors reader: u64 header length, JSON header, then one contiguous data buffer.
// Format: https://github.com/huggingface/safetensors. We read only the header (bounded like the Rust
// library: 100 MB) and check every tensor's dtype × shape against its byte range and the file size.
import { FormatError, readExact, SliceSource, type ByteSource } from './io';
import { finding } from './finding';
import { analyzePickle } from './pickle/analyze';
import { pickleFindings } from './pickle/rules';
import type { FormatRules } from './scanContext';
import { safeRecord, type MatchContext } from './types';

export class SafetensorsError extends FormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = 'SafetensorsError';
  }
}

export const MAX_HEADER = 100_000_000;

/** Bytes per element; sub-byte types as fractions (F4 = 0.5, F6 = 0.75). */
export const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8, C64: 8, F4: 0.5, F6_E2M3: 0.75, F6_E3M2: 0.75,
};

export const match = (head: Buffer, _ctx?: MatchContext): boolean => {
  if (head.length < 10) return false;
  const n = head.readBigUInt64LE(0);
  if (n < 2n || n > BigInt(MAX_HEADER)) return false;
  // The header is JSON starting with '{' (writers may pad with spaces at the end, not the start).
  return head[8] === 0x7b && (head[9] === 0x22 || head[9] === 0x7d || head[9] === 0x20 || head[9] === 0x0a);
};

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsIssue {
  location: string;
  message: string;
}

export interface SafetensorsInfo {
  headerLength: number;
  metadata: Record<string, string> | null;
  tensors: SafetensorsTensor[];
  dtypes: Record<string, number>;
  parameterCount: number;
  dataBytes: number;
  issues: SafetensorsIssue[];
}

export async function read(src: ByteSource): Promise<SafetensorsInfo> {
  if (src.size < 8) throw new SafetensorsError(`file is ${src.size} bytes, shorter than the 8-byte header length`, 0);
  const n = (await readExact(src, 0, 8, 'header length')).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(`header length ${n} at offset 0 exceeds the ${MAX_HEADER}-byte limit`, 0);
  const len = Number(n);
  if (8 + len > src.size) throw new SafetensorsError(`header length ${len} at offset 0 runs past the end of the file (${src.size} bytes)`, 0);
  const raw = await readExact(src, 8, len, 'header');
  const text = raw.toString('utf8');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header at offset 8 is not valid JSON: ${(e as Error).message}`, 8);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('header at offset 8 is not a JSON object', 8);

  const issues: SafetensorsIssue[] = [];
  const dup = firstDuplicateKey(text);
  if (dup !== null) issues.push({ location: `tensor ${JSON.stringify(dup)}`, message: `${JSON.stringify(dup)} is declared twice in the header: this reader keeps the last declaration, others may read the first` });
  const tensors: SafetensorsTensor[] = [];
  let metadata: Record<string, string> | null = null;
  const dtypes = safeRecord<number>();
  let params = 0;
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        issues.push({ location: '__metadata__', message: '__metadata__ is not an object of strings' });
        continue;
      }
      metadata = safeRecord<string>();
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') issues.push({ location: `__metadata__.${k}`, message: `__metadata__ value ${JSON.stringify(k)} is not a string` });
        metadata[k] = typeof s === 'string' ? s : JSON.stringify(s);
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const where = `tensor ${JSON.stringify(name)}`;
    if (!t || typeof t !== 'object') {
      issues.push({ location: where, message: `${where} is not an object` });
      continue;
    }
    const dtype = typeof t.dtype === 'string' ? t.dtype : '';
    const shape = Array.isArray(t.shape) ? t.shape : null;
    const offs = Array.isArray(t.data_offsets) ? t.data_offsets : null;
    if (!(dtype in DTYPE_BYTES)) issues.push({ location: where, message: `${where} has unknown dtype ${JSON.stringify(t.dtype)}` });
    if (!shape || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      issues.push({ location: where, message: `${where} has an invalid shape ${JSON.stringify(t.shape)?.slice(0, 80)}` });
      continue;
    }
    if (!offs || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || (offs[0] as number) > (offs[1] as number)) {
      issues.push({ location: where, message: `${where} has invalid data_offsets ${JSON.stringify(t.data_offsets)?.slice(0, 80)}` });
      continue;
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const begin = offs[0] as number;
    const end = offs[1] as number;
    if (dtype in DTYPE_BYTES) {
      const expect = Math.ceil(numel * DTYPE_BYTES[dtype]!);
      if (!Number.isSafeInteger(numel) || expect !== end - begin) issues.push({ location: where, message: `${where}: ${dtype} × ${JSON.stringify(shape)} needs ${expect} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}` });
      dtypes[dtype] = (dtypes[dtype] ?? 0) + 1;
    }
    params += numel;
    tensors.push({ name, dtype, shape: shape as number[], begin, end });
  }

  // The data buffer must be exactly covered: no overlaps, no holes, nothing past the end.
  const dataStart = 8 + len;
  const dataBytes = src.size - dataStart;
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = '';
  for (const t of sorted) {
    if (t.begin < cursor) issues.push({ location: `tensor ${JSON.stringify(t.name)}`, message: `tensor ${JSON.stringify(t.name)} bytes [${t.begin}, ${t.end}) overlap ${JSON.stringify(prev)} (ends at ${cursor})` });
    else if (t.begin > cursor) issues.push({ location: `tensor ${JSON.stringify(t.name)}`, message: `gap of ${t.begin - cursor} unreferenced bytes before tensor ${JSON.stringify(t.name)} at data offset ${cursor}` });
    if (t.end > dataBytes) issues.push({ location: `tensor ${JSON.stringify(t.name)}`, message: `tensor ${JSON.stringify(t.name)} data_offsets end ${t.end} is past the end of the data (${dataBytes} bytes after the header)` });
    if (t.end > cursor) {
      cursor = t.end;
      prev = t.name;
    }
  }
  if (cursor < dataBytes) issues.push({ location: `byte ${dataStart + cursor}`, message: `${dataBytes - cursor} trailing bytes after the last tensor are not referenced by the header` });
  return { headerLength: len, metadata, tensors, dtypes, parameterCount: params, dataBytes, issues: issues.slice(0, 200) };
}

export function summarize(info: SafetensorsInfo, maxTensors = 5000): Record<string, unknown> {
  return {
    headerLength: info.headerLength,
    tensorCount: info.tensors.length,
    parameterCount: info.parameterCount,
    dtypes: info.dtypes,
    metadata: info.metadata,
    tensors: info.tensors.slice(0, maxTensors).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    tensorsTruncated: info.tensors.length > maxTensors,
    issues: info.issues,
  };
}

/**
 * The first key that appears twice in the top-level object of valid JSON text, or null. JSON.parse keeps
 * the last silently; a header that means different tensors to different readers is worth reporting.
 */
export function firstDuplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && (text.charCodeAt(k) <= 0x20)) k++;
        if (text.charCodeAt(k) === 0x3a) {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return null;
}

// ---- scan rules ---------------------------------------------------------------------------

export const rules: FormatRules = {
  malformed: { rule: 'safetensors.malformed', severity: 'high' },
  async scan({ src, display, out }) {
    const s = await read(src);
    for (const i of s.issues.slice(0, 50)) {
      const soft = /^gap of|trailing bytes/.test(i.message) || /unknown dtype/.test(i.message);
      out.push(finding(soft ? 'medium' : 'high', 'safetensors.malformed', display, i.location, i.message));
    }
    // Bytes after the last tensor are ignored by safetensors but may be a second format (polyglot).
    const end = 8 + s.headerLength + Math.max(0, ...s.tensors.map((t) => t.end));
    if (end < src.size && end >= 8 + s.headerLength) {
      const tail = new SliceSource(`${display}`, src, end, src.size - end);
      const a = await analyzePickle(tail, { maxPickles: 1 });
      if (a.globals.length && !a.damage) for (const f of pickleFindings(a, display)) out.push({ ...f, location: `${f.location} after the tensor data (+${end})`, detail: `trailing pickle: ${f.detail}` });
    }
  },
};
