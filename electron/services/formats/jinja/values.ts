// Abstract values for the template analysis: what an expression can hold when the template renders.
// Strings the template builds from constants are computed exactly (as Python would: str(), %-format,
// slicing, filters), so a name spelled in pieces is seen whole; anything that cannot be computed is
// `str` (built at render time, unknown) and is never trusted as an attribute name.

export class CDict {
  constructor(public m: Map<string, CVal>) {}
}
export type CVal = string | number | boolean | null | CVal[] | CDict;

export type Atom =
  | { k: 'c'; v: CVal; built?: boolean }
  | { k: 'num' }
  | { k: 'bool' }
  /** Values the application passes in (messages, tools, documents, flags). */
  | { k: 'data' }
  /** Render variables the model's own files set (bos_token, eos_token…): attacker-chosen strings. */
  | { k: 'ctx'; name: string }
  /** A string built at render time that could not be computed. */
  | { k: 'str' }
  | { k: 'seq'; el: Abs }
  /** A dict literal with constant keys and computed values. */
  | { k: 'map'; f: Array<[string, Abs]> }
  | { k: 'ns'; id: string }
  /** A Jinja global object (cycler, lipsum, namespace, range, dict, self, loop). */
  | { k: 'glob'; name: string }
  /** Not a string: a bound method, Undefined, a callable (harmless as a name, unknown as a target). */
  | { k: 'obj' }
  | { k: 'any' };
export type Abs = Atom[];

export const MAX_ATOMS = 48;
export const MAX_STR = 1 << 16;
const MAX_KEY = 4096;

function cKey(v: CVal, budget = { n: MAX_KEY }): string | null {
  if (--budget.n < 0) return null;
  if (v instanceof CDict) {
    const parts: string[] = [];
    for (const [k, x] of v.m) {
      const s = cKey(x, budget);
      if (s === null) return null;
      parts.push(`${JSON.stringify(k)}:${s}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const x of v) {
      const s = cKey(x, budget);
      if (s === null) return null;
      parts.push(s);
    }
    return `[${parts.join(',')}]`;
  }
  if (typeof v === 'string') {
    budget.n -= v.length >> 4;
    return budget.n < 0 ? null : JSON.stringify(v);
  }
  return typeof v === 'number' ? `n${v}` : String(v);
}

function atomKey(a: Atom): string | null {
  switch (a.k) {
    case 'c': {
      const k = cKey(a.v);
      return k === null ? null : `c${a.built ? 'b' : ''}:${k}`;
    }
    case 'ctx':
      return `ctx:${a.name}`;
    case 'ns':
      return `ns:${a.id}`;
    case 'glob':
      return `glob:${a.name}`;
    case 'seq':
      return `seq:${a.el.map(atomKey).join('|')}`;
    case 'map':
      return `map:${a.f.map(([k, v]) => `${JSON.stringify(k)}=${v.map(atomKey).join('|')}`).join(',')}`;
    default:
      return a.k;
  }
}

/** Values too big to track exactly become their unknown kind. */
function widen(a: Atom): Atom {
  if (a.k === 'map') return { k: 'seq', el: leaves([a]).map(widen) };
  if (a.k !== 'c') return a.k === 'seq' ? { k: 'seq', el: a.el.map(widen) } : a;
  if (typeof a.v === 'string') return { k: 'str' };
  if (typeof a.v === 'number') return { k: 'num' };
  if (typeof a.v === 'boolean') return { k: 'bool' };
  if (a.v === null) return a;
  return { k: 'any' };
}

export function c(v: CVal, built = false): Atom {
  if (typeof v === 'string' && v.length > MAX_STR) return { k: 'str' };
  return built ? { k: 'c', v, built } : { k: 'c', v };
}

/** Everything that is not a sequence inside a nested sequence. */
function leaves(x: Abs, out: Atom[] = []): Atom[] {
  for (const a of x) {
    if (a.k === 'seq') leaves(a.el, out);
    else if (a.k === 'map') for (const [k, v] of a.f) out.push(c(k), ...leaves(v));
    else out.push(a);
  }
  return out;
}

/**
 * Containers nest at most two deep (a list of pairs, a dict of dicts): deeper contents are merged into a
 * sequence of their leaves, so values that feed themselves (a macro recursing on `{"type": t}` or
 * `spec|items`) reach a fixpoint.
 */
function clamp(a: Atom, d = 0): Atom {
  if (a.k !== 'seq' && a.k !== 'map') return a;
  if (d >= 1) return { k: 'seq', el: union(leaves([a]).map((x) => clamp(x, 2))) };
  if (a.k === 'seq') return { k: 'seq', el: a.el.map((e) => clamp(e, d + 1)) };
  return { k: 'map', f: a.f.map(([k, v]) => [k, v.map((e) => clamp(e, d + 1))]) };
}

/** Union of abstract values, deduplicated; past MAX_ATOMS constants collapse to their unknown kinds. */
export function union(...xs: Abs[]): Abs {
  const seen = new Map<string, Atom>();
  for (const x of xs) {
    for (const a0 of x) {
      let a = clamp(a0);
      let k = atomKey(a);
      if (k === null) {
        a = widen(a);
        k = atomKey(a)!;
      }
      if (!seen.has(k)) seen.set(k, a);
    }
  }
  let out = [...seen.values()];
  if (out.length > MAX_ATOMS) out = union(out.map(widen)).slice(0, MAX_ATOMS);
  return out;
}

export const keyOf = (x: Abs): string => x.map((a) => atomKey(a) ?? '?').sort().join('\n');

// ---- Python semantics on constants

export function pyStr(v: CVal): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  return pyRepr(v);
}

export function pyRepr(v: CVal): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof CDict) return `{${[...v.m].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return pyStr(v);
}

/** Python's `fmt % args` for the common conversions; null when it cannot be computed. */
export function pyPercent(fmt: string, args: CVal): string | null {
  const list = Array.isArray(args) ? args : [args];
  let i = 0;
  let bad = false;
  const out = fmt.replace(/%(\([^)]*\))?[-+ #0]*(\d+|\*)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g, (m, key: string | undefined, _w, _p, conv: string) => {
    if (conv === '%') return '%';
    let v: CVal | undefined;
    if (key) {
      const d = Array.isArray(args) ? undefined : args instanceof CDict ? args.m.get(key.slice(1, -1)) : undefined;
      v = d;
    } else v = list[i++];
    if (v === undefined) {
      bad = true;
      return m;
    }
    switch (conv) {
      case 'c':
        if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x10ffff) return String.fromCodePoint(v);
        if (typeof v === 'string' && [...v].length === 1) return v;
        bad = true;
        return m;
      case 's':
        return pyStr(v);
      case 'r':
      case 'a':
        return pyRepr(v);
      case 'd':
      case 'i':
      case 'u':
        return typeof v === 'number' ? String(Math.trunc(v)) : ((bad = true), m);
      case 'x':
        return typeof v === 'number' ? Math.trunc(v).toString(16) : ((bad = true), m);
      case 'X':
        return typeof v === 'number' ? Math.trunc(v).toString(16).toUpperCase() : ((bad = true), m);
      case 'o':
        return typeof v === 'number' ? Math.trunc(v).toString(8) : ((bad = true), m);
      default:
        bad = true;
        return m;
    }
  });
  return bad ? null : out;
}

/** Python slicing of a string or list. */
export function pySlice<T>(s: T[], start: number | null, stop: number | null, step: number | null): T[] {
  const n = s.length;
  const st = step ?? 1;
  if (st === 0) return [];
  const norm = (x: number | null, def: number): number => {
    if (x === null) return def;
    if (x < 0) x += n;
    return st > 0 ? Math.min(Math.max(x, 0), n) : Math.min(Math.max(x, -1), n - 1);
  };
  const a = norm(start, st > 0 ? 0 : n - 1);
  const b = norm(stop, st > 0 ? n : -1);
  const out: T[] = [];
  if (st > 0) for (let i = a; i < b && out.length <= MAX_STR; i += st) out.push(s[i]!);
  else for (let i = a; i > b && out.length <= MAX_STR; i += st) out.push(s[i]!);
  return out;
}

/** `str.format` on constants (positional/keyword fields, no attribute access): null when not computable. */
export function pyFormat(fmt: string, args: CVal[], kwargs: Map<string, CVal>): string | null {
  let auto = 0;
  let bad = false;
  const out = fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [name = '', spec] = (field ?? '').split(/[:!]/);
    if (spec !== undefined && spec !== '' && !/^[sr]?$/.test(spec)) bad = true;
    const v = name === '' ? args[auto++] : /^\d+$/.test(name) ? args[Number(name)] : kwargs.get(name);
    if (v === undefined || /[.[]/.test(name)) {
      bad = true;
      return m;
    }
    return pyStr(v);
  });
  return bad ? null : out;
}

/** The attribute paths a `str.format` string reaches (`{0.__class__}`, `{x[os]}`): every part after the first. */
export function formatFieldPaths(fmt: string): string[][] {
  const out: string[][] = [];
  for (const m of fmt.matchAll(/\{([^{}!:]*)[^{}]*\}/g)) {
    const f = m[1]!;
    const parts = [...f.matchAll(/\.([^.[]*)|\[([^\]]*)\]/g)].map((p) => p[1] ?? p[2] ?? '');
    if (parts.length) out.push(parts);
  }
  return out;
}
