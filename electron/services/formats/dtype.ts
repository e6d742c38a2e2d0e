// NumPy dtypes spelled as strings (numpy.dtype(str)), as .npy headers, npz members and joblib wrappers
// carry them. What matters for safety is whether the dtype holds Python objects: numpy.load and
// joblib.load then unpickle the data. Every spelling NumPy accepts for an object is recognised; a
// spelling we cannot interpret is `null`, and callers treat it as possibly holding objects.

export interface DtypeInfo {
  /** Holds Python objects: the data is a pickle. */
  object: boolean;
  /** Bytes per item; null when the dtype is known but its size is not fixed here (object, flexible). */
  itemSize: number | null;
}

const SIZED: Record<string, number[]> = { b: [1], i: [1, 2, 4, 8], u: [1, 2, 4, 8], f: [2, 4, 8, 12, 16], c: [8, 16, 24, 32], M: [8], m: [8] };
const CHARS: Record<string, number> = {
  '?': 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, p: 8, P: 8, e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32, M: 8, m: 8,
};
const NAMES: Record<string, number> = {
  bool: 1, bool_: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, float16: 2, float32: 4,
  float64: 8, float128: 16, complex64: 8, complex128: 16, complex256: 32, half: 2, single: 4, double: 8, longdouble: 16,
  float: 8, int: 8, complex: 16, byte: 1, ubyte: 1, short: 2, ushort: 2, intc: 4, uintc: 4, long: 8, ulong: 8, longlong: 8,
  ulonglong: 8, intp: 8, uintp: 8, datetime64: 8, timedelta64: 8, csingle: 8, cdouble: 16, clongdouble: 32,
};
const FLEXIBLE = /^(str_?|unicode_?|bytes_?|string_?|void|a|S|U|V)$/;

/** Interprets one dtype string. Null: not a spelling we know (numpy may still accept it). */
export function interpretDtypeString(raw: string): DtypeInfo | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 4096) return null;
  // 'f8,O': a structured dtype with one field per comma-separated part.
  if (s.includes(',') && !/^\([^)]*\)[^,]*$/.test(s)) {
    const parts = splitTopLevel(s);
    if (parts.length > 1) {
      let size: number | null = 0;
      for (const p of parts) {
        const d = interpretDtypeString(p);
        if (d === null) return null;
        if (d.object) return { object: true, itemSize: null };
        size = size === null || d.itemSize === null ? null : size + d.itemSize;
      }
      return { object: false, itemSize: size };
    }
  }
  // Sub-array prefixes: '(2,3)f8' and '3f8'.
  let count = 1;
  let rest = s;
  const shape = /^\(([\d\s,]*)\)\s*/.exec(rest) ?? /^(\d+)(?=[^\d])/.exec(rest);
  if (shape) {
    for (const n of shape[1]!.split(',').map((x) => x.trim()).filter(Boolean)) count *= Number(n);
    rest = rest.slice(shape[0].length);
  }
  const m = /^([<>|=]?)([A-Za-z?_][A-Za-z_]*?)(\d*)(\[\w+\])?$/.exec(rest);
  if (!m) return null;
  const [, , base, digits, unit] = m as unknown as [string, string, string, string, string | undefined];
  const n = digits ? Number(digits) : null;
  const sized = (v: number | null): DtypeInfo => ({ object: false, itemSize: v === null ? null : v * count });
  if (/^(O|object_?)$/.test(base)) return { object: true, itemSize: null };
  if (unit !== undefined && !/^(M|m|datetime64|timedelta64)$/.test(base)) return null;
  if (FLEXIBLE.test(base)) {
    if (n === null) return sized(null);
    return sized(/^(U|str_?|unicode_?)$/.test(base) ? n * 4 : n);
  }
  if (base.length === 1 && SIZED[base] && n !== null) return SIZED[base].includes(n) ? sized(n) : null;
  if (base.length === 1 && CHARS[base] !== undefined && n === null) return sized(CHARS[base]);
  if (NAMES[`${base}${digits}`] !== undefined) return sized(NAMES[`${base}${digits}`]!);
  return null;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

/** Item size of a dtype descriptor string ('<f8', 'u1', 'S10', 'U5', 'O'), 'object', or null when unsure. */
export function dtypeItemSize(descr: string): number | 'object' | null {
  const d = interpretDtypeString(descr);
  if (!d) return null;
  return d.object ? 'object' : d.itemSize;
}
