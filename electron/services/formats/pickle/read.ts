// Plain pickle files (protocols 0-5) and what they hold. Detection never unpickles: protocol 2+
// starts with PROTO; protocol 0/1 streams are recognised by walking opcodes in the head.
import { analyzePickle, type PickleAnalysis, type TorchTensorRef } from './analyze';
import { FormatError, type ByteSource } from '../io';
import { safeRecord, type MatchContext } from '../types';

export class PickleFormatError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'PickleFormatError';
  }
}

// Argument shapes of protocol 0/1 opcodes, for the synchronous sniffing walk below.
const LINE1 = new Set([0x46, 0x49, 0x4c, 0x50, 0x53, 0x56, 0x67, 0x70]); // F I L P S V g p
const LINE2 = new Set([0x63, 0x69]); // c i
const FIXED: Record<number, number> = { 0x4a: 4, 0x4b: 1, 0x4d: 2, 0x47: 8, 0x68: 1, 0x6a: 4, 0x71: 1, 0x72: 4 };
const BARE = new Set([0x28, 0x30, 0x31, 0x32, 0x4e, 0x51, 0x52, 0x61, 0x62, 0x64, 0x7d, 0x65, 0x6c, 0x5d, 0x6f, 0x73, 0x74, 0x29, 0x75]);
const LEN4 = new Set([0x54, 0x58]); // BINSTRING BINUNICODE
const LEN1 = new Set([0x55]); // SHORT_BINSTRING

/** Protocol 0/1 pickles have no magic: accept a head that walks as valid opcodes for a while. */
function looksLikeOldPickle(head: Buffer): boolean {
  let p = 0;
  let ops = 0;
  const line = (ident: boolean): boolean => {
    const nl = head.indexOf(0x0a, p);
    if (nl < 0) return false;
    const s = head.toString('latin1', p, nl);
    if (ident && !/^[A-Za-z_][\w.]*$/.test(s)) return false;
    p = nl + 1;
    return true;
  };
  while (p < head.length) {
    const op = head[p++]!;
    ops++;
    if (op === 0x2e) return ops >= 2; // STOP
    if (BARE.has(op)) continue;
    if (LINE2.has(op)) {
      if (!line(true) || !line(true)) return p >= head.length && ops >= 8;
      continue;
    }
    if (LINE1.has(op)) {
      const nl = head.indexOf(0x0a, p);
      if (nl < 0) return ops >= 8;
      const s = head.toString('latin1', p, nl);
      if ((op === 0x49 || op === 0x4c || op === 0x67 || op === 0x70) && !/^-?\d+L?$/.test(s)) return false;
      if (op === 0x53 && !/^(['"]).*\1$/s.test(s)) return false;
      if (op === 0x46 && !/^[-+\d.eEinfa]+$/i.test(s)) return false;
      p = nl + 1;
      continue;
    }
    if (FIXED[op] !== undefined) {
      p += FIXED[op];
      continue;
    }
    if (LEN4.has(op)) {
      if (p + 4 > head.length) return ops >= 8;
      const n = head.readUInt32LE(p);
      p += 4 + n;
      continue;
    }
    if (LEN1.has(op)) {
      if (p >= head.length) return ops >= 8;
      p += 1 + head[p]!;
      continue;
    }
    return false;
  }
  return ops >= 8;
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean => {
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return true;
  if (head.length >= 2 && head[0] === 0x80) return false;
  // Text that happens to start with an opcode letter fails the walk within a few bytes.
  return head.length >= 3 && looksLikeOldPickle(head.subarray(0, Math.min(head.length, 4096)));
};

/** True when the stream starts with torch's legacy magic number pickle. */
export const isTorchLegacy = (head: Buffer): boolean =>
  head.length >= 14 && head[0] === 0x80 && head[1] === 2 && head[2] === 0x8a && head[3] === 0x0a &&
  head.subarray(4, 14).equals(Buffer.from('6c fc 9c 46 f9 20 6a a8 50 19'.replace(/ /g, ''), 'hex'));

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128', QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8', QInt32Storage: 'qint32', QUInt4x2Storage: 'quint4x2', QUInt2x4Storage: 'quint2x4',
};

export function tensorDtype(t: TorchTensorRef): string {
  if (!t.storageType) return 'unknown';
  const name = t.storageType.slice(t.storageType.lastIndexOf('.') + 1);
  return STORAGE_DTYPES[name] ?? name;
}

/** Tensor summary shared by torch zips and legacy files. */
export function tensorSummary(tensors: TorchTensorRef[], max = 5000): Record<string, unknown> {
  const dtypes = safeRecord<number>();
  let params = 0;
  for (const t of tensors) {
    const d = tensorDtype(t);
    dtypes[d] = (dtypes[d] ?? 0) + 1;
    if (t.shape.every((x) => x >= 0)) params += t.shape.reduce((a, b) => a * b, 1);
  }
  return {
    tensorCount: tensors.length,
    parameterCount: params,
    dtypes,
    tensors: tensors.slice(0, max).map((t) => ({ name: t.name, dtype: tensorDtype(t), shape: t.shape, storage: t.storageKey })),
    tensorsTruncated: tensors.length > max,
  };
}

export function importsOf(a: PickleAnalysis): Array<{ module: string; name: string; count: number }> {
  return a.globals.map((g) => ({ module: g.module, name: g.name, count: g.count }));
}

export async function read(src: ByteSource): Promise<{ analysis: PickleAnalysis; summary: Record<string, unknown> }> {
  // Inspection describes the data as joblib lays it out (identical to pickle.load's reading without array wrappers).
  const analysis = await analyzePickle(src, { torch: isTorchLegacy(await src.read(0, 14)), joblib: true });
  const summary: Record<string, unknown> = {
    protocol: analysis.streams[0]?.protocol ?? null,
    pickles: analysis.streams.length,
    imports: importsOf(analysis),
    damaged: analysis.damage?.message ?? null,
  };
  if (analysis.torchLegacy || analysis.tensors.length) Object.assign(summary, tensorSummary(analysis.tensors));
  return { analysis, summary };
}
