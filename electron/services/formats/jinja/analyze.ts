// Judges a parsed chat template (the @huggingface/jinja AST, one tree per code block) by what its
// attribute and item lookups can reach when Python Jinja2 renders it without a sandbox.
// Principle: a lookup is fine when its name is a compile-time constant that is not private/dunder/an
// interpreter internal, a number, or application data (message fields, tool arguments) used on data.
// A name the template builds at render time that cannot be computed here is suspicious by construction,
// however it was built (`~`, join, format, %c, replace, reverse, slicing, escapes, set-variables, loops,
// namespace fields, macros…), so obfuscation cannot make a lookup look safe.
import type { Severity } from '../finding';
import { c, CDict, formatFieldPaths, keyOf, pyFormat, pyPercent, pyRepr, pySlice, pyStr, union, MAX_STR, type Abs, type Atom, type CVal } from './values';

export interface Reason {
  severity: Severity;
  why: string;
  /** Text to point the excerpt at. */
  needle?: string;
}

/** The AST of @huggingface/jinja, as far as this analysis reads it. */
export interface Node {
  type: string;
  value?: unknown;
  object?: Node;
  property?: Node;
  computed?: boolean;
  callee?: Node;
  args?: Node[];
  operator?: { value: string };
  left?: Node;
  right?: Node;
  argument?: Node;
  operand?: Node;
  filter?: Node;
  test?: Node;
  lhs?: Node;
  condition?: Node;
  trueExpr?: Node;
  falseExpr?: Node;
  start?: Node;
  stop?: Node;
  step?: Node;
  key?: Node;
  assignee?: Node;
  loopvar?: Node;
  iterable?: Node;
  name?: Node;
  call?: Node;
  callerArgs?: Node[] | null;
}

const DUNDER = /^__.*__$/;
/** Attribute names that reach frames, code, globals or the interpreter without an underscore. */
const INTERNALS = new Set(['gi_frame', 'gi_code', 'gi_yieldfrom', 'cr_frame', 'cr_code', 'cr_await', 'ag_frame', 'ag_code', 'f_globals', 'f_builtins', 'f_locals', 'f_back', 'f_code', 'tb_frame', 'tb_next', 'func_globals', 'func_code', 'func_closure', 'co_code', 'co_consts', 'im_func', 'im_class', 'im_self', 'mro', 'subclasses', 'globals', 'builtins', 'modules', 'func_builtins']);
const OS_NAMES = new Set(['os', 'sys', 'subprocess', 'builtins', 'importlib', 'posix', 'nt', 'pty', 'shutil', 'socket', 'ctypes', 'popen', 'system', 'spawn', 'spawnv', 'spawnl', 'execv', 'execve', 'execl', 'fork', 'eval', 'exec', 'compile', 'getattr', 'setattr', 'delattr', 'import_module', '__import__', 'open', 'load_module', 'check_output', 'check_call', 'run', 'call', 'Popen', 'getoutput']);
/** Free names that are code-execution or file primitives when a renderer passes Python builtins in. */
const DANGEROUS_GLOBALS = new Set(['os', 'sys', 'subprocess', 'builtins', 'importlib', 'eval', 'exec', 'compile', 'open', 'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars', 'input', 'breakpoint', 'type', 'object', 'help', 'memoryview']);
const WEB_GADGETS = new Set(['request', 'url_for', 'get_flashed_messages', 'config', 'session', 'g', 'current_app']);
const GADGET_GLOBALS = new Set(['cycler', 'joiner', 'lipsum']);
const LOOP_FIELDS = new Set(['index', 'index0', 'revindex', 'revindex0', 'length', 'depth', 'depth0']);
const LOOP_BOOLS = new Set(['first', 'last']);
const BIG = 1e6;

/** Why looking up `name` is dangerous, or null. */
export function nameReason(name: string, built: boolean): Reason | null {
  const how = built ? ` (a name the template builds at render time)` : '';
  if (DUNDER.test(name)) return { severity: 'critical', why: `accesses the Python dunder attribute "${name}"${how}, the first step of every Jinja sandbox escape`, needle: name };
  if (/^_\w*__\w/.test(name)) return { severity: 'critical', why: `reaches a name-mangled private attribute "${name}"${how} (self._TemplateReference__context is the template's runtime context)`, needle: name };
  if (name.startsWith('_')) return { severity: 'high', why: `accesses the private attribute "${name}"${how}`, needle: name };
  if (INTERNALS.has(name)) return { severity: 'critical', why: `names the interpreter internal "${name}"${how} (frames, globals, class hierarchy)`, needle: name };
  if (OS_NAMES.has(name)) return { severity: 'critical', why: `references the OS or interpreter primitive "${name}"${how}`, needle: name };
  return null;
}

const str = (n: Node | undefined): string => (n && typeof n.value === 'string' ? n.value : '');
const isC = (a: Atom): a is { k: 'c'; v: CVal; built?: boolean } => a.k === 'c';
const ANY: Abs = [{ k: 'any' }];
const STR: Abs = [{ k: 'str' }];
const NUM: Abs = [{ k: 'num' }];
const BOOL: Abs = [{ k: 'bool' }];
const OBJ: Abs = [{ k: 'obj' }];

/** Keeps application data and model-set values as what they are; template-built unknowns become `str`. */
function strLike(a: Atom): Atom {
  return a.k === 'data' || a.k === 'ctx' ? a : { k: 'str' };
}

function pyJson(v: CVal): string {
  const esc = (s: string): string => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const j = (x: CVal): string => {
    if (typeof x === 'string') return esc(x);
    if (x === null) return 'null';
    if (typeof x === 'boolean' || typeof x === 'number') return String(x);
    if (Array.isArray(x)) return `[${x.map(j).join(', ')}]`;
    return `{${[...x.m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, y]) => `${esc(k)}: ${j(y)}`).join(', ')}}`;
  };
  return j(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
}

export class Analyzer {
  private env = new Map<string, Abs>();
  private ns = new Map<string, Abs>();
  private changed = new Set<string>();
  /** Names the template binds (set, for, macro, parameters): not globals of the renderer. */
  readonly bound = new Set<string>();
  readonly macros = new Set<string>();
  private reasons: Reason[] | null = null;
  private nsSeq = 0;
  private nsIds = new WeakMap<Node, string>();
  private macroParams = new Map<string, string[]>();

  /** Names bound anywhere in these statements (flow-insensitive scoping). */
  declare(stmts: Node[]): void {
    const bind = (t: Node | undefined): void => {
      if (!t) return;
      if (t.type === 'Identifier') this.bound.add(str(t));
      else if (t.type === 'TupleLiteral' || t.type === 'ArrayLiteral') for (const e of (t.value as Node[]) ?? []) bind(e);
    };
    for (const s of stmts) {
      if (s.type === 'Set') bind(s.assignee);
      else if (s.type === 'For') bind(s.loopvar);
      else if (s.type === 'Macro') {
        this.macros.add(str(s.name));
        this.bound.add(str(s.name));
        this.macroParams.set(str(s.name), (s.args ?? []).map((a) => str(a.type === 'KeywordArgumentExpression' ? a.key : a)));
        for (const a of s.args ?? []) bind(a.type === 'KeywordArgumentExpression' ? a.key : a);
      } else if (s.type === 'CallStatement') for (const a of s.callerArgs ?? []) bind(a.type === 'KeywordArgumentExpression' ? a.key : a);
    }
  }

  /** Binds names assigned in blocks this analysis could not parse: their values are unknown. */
  bindUnknown(name: string): void {
    this.bound.add(name);
    this.assign(name, ANY);
  }

  /**
   * Runs the statements to a fixpoint (flow-insensitive: every assignment reaches every use), then once more
   * judging; returns the reasons per statement.
   */
  run(stmts: Node[]): Reason[][] {
    for (let pass = 0; pass < 8; pass++) {
      this.changed.clear();
      for (const s of stmts) this.stmt(s);
      if (!this.changed.size) break;
      if (pass === 6) for (const k of this.changed) this.widenVar(k); // strings growing each pass (x = x ~ '_')
    }
    return stmts.map((s) => {
      this.reasons = [];
      this.stmt(s);
      const r = this.reasons;
      this.reasons = null;
      return r;
    });
  }

  private widenVar(k: string): void {
    const m = k.startsWith('ns\0') ? this.ns : this.env;
    const key = k.startsWith('ns\0') ? k.slice(3) : k;
    const w = (a: Atom): Atom => (a.k !== 'c' ? a : typeof a.v === 'string' ? { k: 'str' } : typeof a.v === 'number' ? { k: 'num' } : { k: 'any' });
    m.set(key, union((m.get(key) ?? []).map(w)));
  }

  private report(r: Reason | null): void {
    if (r && this.reasons) this.reasons.push(r);
  }

  private assign(name: string, v: Abs): void {
    const old = this.env.get(name) ?? [];
    const u = union(old, v);
    if (u.length !== old.length || keyOf(u) !== keyOf(old)) {
      this.env.set(name, u);
      this.changed.add(name);
    }
  }

  private nsAssign(id: string, field: string, v: Abs): void {
    const k = `${id}\0${field}`;
    const old = this.ns.get(k) ?? [];
    const u = union(old, v);
    if (u.length !== old.length || keyOf(u) !== keyOf(old)) {
      this.ns.set(k, u);
      this.changed.add(`ns\0${k}`);
    }
  }

  private nsField(id: string, field: string | null): Abs {
    if (field !== null) return this.ns.get(`${id}\0${field}`) ?? ANY;
    const out: Abs[] = [];
    for (const [k, v] of this.ns) if (k.startsWith(`${id}\0`)) out.push(v);
    return out.length ? union(...out) : ANY;
  }

  private bindTarget(t: Node | undefined, v: Abs): void {
    if (!t) return;
    if (t.type === 'Identifier') this.assign(str(t), v);
    else if (t.type === 'TupleLiteral' || t.type === 'ArrayLiteral') (t.value as Node[]).forEach((e, i) => this.bindTarget(e, this.elementAt(v, i)));
    else if (t.type === 'MemberExpression' && !t.computed && t.property?.type === 'Identifier') {
      // {% set ns.field = v %}
      const field = str(t.property);
      this.report(nameReason(field, false));
      for (const a of this.ev(t.object!)) if (a.k === 'ns') this.nsAssign(a.id, field, v);
    } else this.ev(t);
  }

  private stmt(s: Node): void {
    switch (s.type) {
      case 'Set':
        this.bindTarget(s.assignee, s.value ? this.ev(s.value as Node) : STR);
        return;
      case 'If':
        this.ev(s.test!);
        return;
      case 'For':
        this.bindTarget(s.loopvar, this.elements(this.ev(s.iterable!)));
        return;
      case 'Macro':
        for (const a of s.args ?? []) {
          if (a.type === 'KeywordArgumentExpression') this.assign(str(a.key), this.ev(a.value as Node));
          else this.assign(str(a), []);
        }
        return;
      case 'CallStatement':
        for (const a of s.callerArgs ?? []) if (a.type === 'KeywordArgumentExpression') this.assign(str(a.key), this.ev(a.value as Node));
        this.ev(s.call!);
        return;
      case 'FilterStatement':
        this.applyFilter(s.filter!, STR);
        return;
      case 'Break':
      case 'Continue':
      case 'Comment':
        return;
      default:
        this.ev(s);
    }
  }

  // ---- values

  private elements(x: Abs): Abs {
    const out: Abs[] = [];
    for (const a of x) {
      if (isC(a)) {
        if (typeof a.v === 'string') out.push(a.v.length > 4096 ? STR : [...new Set(a.v)].map((ch) => c(ch, true)));
        else if (Array.isArray(a.v)) out.push(a.v.map((e) => c(e, a.built)));
        else if (a.v instanceof CDict) out.push([...a.v.m.keys()].map((k) => c(k, a.built)));
        else out.push([]); // numbers, booleans and None are not iterable
      } else if (a.k === 'seq') out.push(a.el);
      else if (a.k === 'map') out.push(a.f.map(([k]) => c(k)));
      else if (a.k === 'data' || a.k === 'ctx' || a.k === 'str') out.push([a]);
      else if (a.k === 'obj' || a.k === 'num' || a.k === 'bool' || a.k === 'ns') out.push([]); // Undefined iterates as empty; the rest raise
      else out.push(ANY);
    }
    return union(...out);
  }

  private elementAt(x: Abs, i: number): Abs {
    const out: Abs[] = [];
    for (const a of x) {
      if (isC(a) && (Array.isArray(a.v) || typeof a.v === 'string')) {
        const e = a.v[i];
        out.push(e === undefined ? ANY : [c(e, a.built)]);
      } else if (a.k === 'seq') out.push(a.el);
      else if (a.k === 'data' || a.k === 'ctx' || a.k === 'str') out.push([a]);
      else out.push(ANY);
    }
    return union(...out);
  }

  private identifier(name: string, asCallee: boolean): Abs {
    if (name === 'true' || name === 'True') return [c(true)];
    if (name === 'false' || name === 'False') return [c(false)];
    if (name === 'none' || name === 'None') return [c(null)];
    if (name === 'loop') return [{ k: 'glob', name: 'loop' }];
    if (this.bound.has(name)) return this.env.get(name) ?? [];
    // A free name: a Jinja global, something the renderer passes, or undefined.
    if (DUNDER.test(name)) this.report({ severity: 'critical', why: `references the Python dunder name "${name}"`, needle: name });
    else if (GADGET_GLOBALS.has(name)) this.report({ severity: 'high', why: `uses the Jinja global "${name}", whose __init__.__globals__ is a classic sandbox escape gadget`, needle: name });
    else if (name === 'self') this.report({ severity: 'high', why: 'reaches the template object itself (self), the way to its runtime context', needle: 'self' });
    else if ((name === 'namespace' || name === 'range' || name === 'dict') && !asCallee) this.report({ severity: 'high', why: `touches the Jinja global "${name}" itself rather than calling it`, needle: name });
    else if (DANGEROUS_GLOBALS.has(name)) this.report({ severity: 'critical', why: `references the code-execution or file primitive "${name}" (renderers that pass Python builtins in expose it)`, needle: name });
    else if (WEB_GADGETS.has(name)) this.report({ severity: 'medium', why: `uses the web-framework SSTI gadget "${name}"`, needle: name });
    if (GADGET_GLOBALS.has(name) || name === 'self' || name === 'namespace' || name === 'range' || name === 'dict') return [{ k: 'glob', name }];
    if (/_token$|^additional_special_tokens$/.test(name)) return [{ k: 'ctx', name }];
    return [{ k: 'data' }];
  }

  /** Judges a lookup of `key` on `obj` and returns what it yields. */
  private lookup(obj: Abs, key: Abs, how: string): Abs {
    const dataTarget = obj.every((a) => a.k === 'data' || a.k === 'ctx' || a.k === 'c' || a.k === 'seq' || a.k === 'map' || a.k === 'ns' || (a.k === 'glob' && a.name === 'loop'));
    for (const k of key) {
      if (isC(k)) {
        if (typeof k.v === 'string') {
          this.report(nameReason(k.v, !!k.built));
          if (k.built && !nameReason(k.v, true) && /^\w+$/.test(k.v) === false) this.report({ severity: 'high', why: `${how} a name built at render time (${JSON.stringify(k.v.slice(0, 40))})` });
        }
      } else if (k.k === 'num' || k.k === 'bool' || k.k === 'seq' || k.k === 'ns' || k.k === 'glob' || k.k === 'obj') continue; // getattr() takes only strings
      else if (k.k === 'data') {
        if (!dataTarget) this.report({ severity: 'high', why: `${how} an object that is not plain data with a name taken from the conversation` });
      } else if (k.k === 'ctx') this.report({ severity: 'high', why: `${how} a name taken from the render variable "${k.name}", which the model's own files set`, needle: k.name });
      else this.report({ severity: 'high', why: `${how} a name computed at render time that cannot be known before rendering` });
    }
    for (const o of obj) {
      if (o.k === 'glob' && o.name !== 'loop') this.report({ severity: 'high', why: `reaches into the Jinja global "${o.name}"`, needle: o.name });
      if (o.k === 'glob' && o.name === 'loop') {
        for (const k of key) if (isC(k) && typeof k.v === 'string' && !LOOP_FIELDS.has(k.v) && !LOOP_BOOLS.has(k.v) && !['cycle', 'changed', 'previtem', 'nextitem'].includes(k.v)) this.report(nameReason(k.v, !!k.built) ?? { severity: 'medium', why: `reads the unusual loop attribute "${k.v}"`, needle: k.v });
      }
    }
    const out: Abs[] = [];
    for (const o of obj) {
      for (const k of key) {
        if (o.k === 'c' && isC(k)) {
          const v = o.v;
          let r: CVal | undefined;
          if (v instanceof CDict && typeof k.v === 'string') r = v.m.get(k.v);
          else if ((Array.isArray(v) || typeof v === 'string') && typeof k.v === 'number' && Number.isInteger(k.v)) r = v[k.v < 0 ? v.length + k.v : k.v];
          // a missing key is Undefined; a name on a str is one of its methods: not strings either way
          out.push(r === undefined ? OBJ : [c(r, o.built || k.built)]);
        } else if (o.k === 'c' && typeof o.v === 'string') out.push(STR);
        else if (o.k === 'c' && (Array.isArray(o.v) || o.v instanceof CDict)) out.push(this.elements([o]).concat(this.valuesOf(o)));
        else if (o.k === 'seq') out.push(o.el);
        else if (o.k === 'map') out.push(isC(k) && typeof k.v === 'string' ? (o.f.find(([f]) => f === k.v)?.[1] ?? OBJ) : union(...o.f.map(([, v]) => v)));
        else if (o.k === 'ns') out.push(this.nsField(o.id, isC(k) && typeof k.v === 'string' ? k.v : null));
        else if (o.k === 'glob' && o.name === 'loop' && isC(k) && typeof k.v === 'string') out.push(LOOP_FIELDS.has(k.v) ? NUM : LOOP_BOOLS.has(k.v) ? BOOL : ANY);
        else if (o.k === 'data' || o.k === 'ctx') out.push([o]);
        else if (o.k === 'str') out.push(STR);
        // Undefined stays Undefined; numbers, booleans and methods have no string attributes without underscores
        else if (o.k === 'obj' || o.k === 'num' || o.k === 'bool') out.push(OBJ);
        else out.push(ANY);
      }
    }
    return union(...out);
  }

  private valuesOf(a: Atom): Abs {
    return isC(a) && a.v instanceof CDict ? [...a.v.m.values()].map((v) => c(v, a.built)) : [];
  }

  private num(n: Node | undefined): number | null {
    if (!n) return null;
    const v = this.ev(n);
    return v.length === 1 && isC(v[0]!) && typeof v[0].v === 'number' ? v[0].v : null;
  }

  ev(n: Node): Abs {
    switch (n.type) {
      case 'StringLiteral':
        return [c(str(n))];
      case 'IntegerLiteral':
      case 'FloatLiteral':
        return [c(n.value as number)];
      case 'Identifier':
        return this.identifier(str(n), false);
      case 'ArrayLiteral':
      case 'TupleLiteral': {
        const els = (n.value as Node[]).map((e) => this.ev(e));
        if (els.every((e) => e.length === 1 && isC(e[0]!))) return [c(els.map((e) => (e[0] as { v: CVal }).v), els.some((e) => (e[0] as { built?: boolean }).built))];
        return [{ k: 'seq', el: union(...els) }];
      }
      case 'ObjectLiteral': {
        const m = new Map<string, CVal>();
        const vals: Abs[] = [];
        let exact = true;
        for (const [k, v] of n.value as Map<Node, Node>) {
          const kv = this.ev(k);
          const vv = this.ev(v);
          vals.push(kv, vv); // keys too: iterating or |items yields them
          if (kv.length === 1 && isC(kv[0]!) && vv.length === 1 && isC(vv[0]!)) m.set(pyStr(kv[0].v), vv[0].v);
          else exact = false;
        }
        if (exact) return [c(new CDict(m))];
        // constant keys, computed values: keep the fields apart
        const keys = [...(n.value as Map<Node, Node>).keys()].map((k) => this.ev(k));
        if (keys.every((k) => k.length === 1 && isC(k[0]!) && typeof k[0].v === 'string')) {
          return [{ k: 'map', f: keys.map((k, i) => [(k[0] as { v: string }).v, vals[2 * i + 1]!] as [string, Abs]) }];
        }
        return [{ k: 'seq', el: union(...vals) }];
      }
      case 'MemberExpression':
        return this.member(n);
      case 'CallExpression':
        return this.call(n);
      case 'BinaryExpression':
        return this.binary(n);
      case 'UnaryExpression': {
        const v = this.ev(n.argument!);
        if (n.operator?.value === 'not') return BOOL;
        return v.map((a) => (isC(a) && typeof a.v === 'number' ? c(n.operator?.value === '-' ? -a.v : a.v) : { k: 'num' }));
      }
      case 'FilterExpression':
        return this.applyFilter(n.filter!, this.ev(n.operand!));
      case 'TestExpression':
        this.ev(n.operand!);
        return BOOL;
      case 'SelectExpression':
        this.ev(n.test!);
        return this.ev(n.lhs!);
      case 'Ternary':
        this.ev(n.condition!);
        return union(this.ev(n.trueExpr!), this.ev(n.falseExpr!));
      case 'KeywordArgumentExpression':
      case 'SpreadExpression':
      case 'KeywordSpreadExpression':
        return this.ev((n.value as Node | undefined) ?? n.argument!);
      case 'SliceExpression':
        for (const p of [n.start, n.stop, n.step]) if (p) this.ev(p);
        return ANY;
      default:
        return ANY;
    }
  }

  private member(n: Node): Abs {
    const obj = this.ev(n.object!);
    const p = n.property!;
    if (!n.computed) return this.lookup(obj, p.type === 'Identifier' ? [c(str(p))] : this.ev(p), 'looks up');
    if (p.type === 'SliceExpression') {
      const [a, b, s] = [p.start, p.stop, p.step].map((x) => (x ? this.num(x) : null));
      const unknown = [p.start, p.stop, p.step].some((x, i) => x && [a, b, s][i] === null);
      return obj.map((o) => {
        if (isC(o) && !unknown && (typeof o.v === 'string' || Array.isArray(o.v))) {
          const r = typeof o.v === 'string' ? pySlice([...o.v], a ?? null, b ?? null, s ?? null).join('') : pySlice(o.v, a ?? null, b ?? null, s ?? null);
          return c(r, true);
        }
        if (isC(o) && typeof o.v === 'string') return { k: 'str' };
        return o.k === 'c' && Array.isArray(o.v) ? { k: 'seq', el: this.elements([o]) } : o;
      });
    }
    return this.lookup(obj, this.ev(p), 'looks up an attribute or item with');
  }

  private args(n: Node): { pos: Abs[]; kw: Map<string, Abs> } {
    const pos: Abs[] = [];
    const kw = new Map<string, Abs>();
    for (const a of n.args ?? []) {
      if (a.type === 'KeywordArgumentExpression') kw.set(str(a.key), this.ev(a.value as Node));
      else pos.push(this.ev(a));
    }
    return { pos, kw };
  }

  private call(n: Node): Abs {
    const callee = n.callee!;
    if (callee.type === 'Identifier') {
      const name = str(callee);
      const fn = this.identifier(name, true);
      const { pos, kw } = this.args(n);
      if (this.macros.has(name)) {
        // arguments flow into the macro's parameters
        const m = this.macroParams.get(name);
        if (m) {
          pos.forEach((v, i) => m[i] && this.assign(m[i], v));
          for (const [k, v] of kw) this.assign(k, v);
        }
        return STR;
      }
      if (this.bound.has(name)) return this.callValue(fn);
      if (name === 'namespace') {
        let id = this.nsIds.get(n);
        if (!id) this.nsIds.set(n, (id = `ns${this.nsSeq++}`));
        for (const [k, v] of kw) {
          this.report(nameReason(k, false));
          this.nsAssign(id, k, v);
        }
        return [{ k: 'ns', id }];
      }
      if (name === 'range') {
        const nums = pos.flatMap((p) => p.filter(isC).map((a) => a.v)).filter((v): v is number => typeof v === 'number');
        if (nums.some((v) => Math.abs(v) >= BIG)) this.report({ severity: 'medium', why: `loops ${Math.max(...nums.map(Math.abs)).toExponential(0)} times (template denial of service)`, needle: 'range' });
        return [{ k: 'seq', el: NUM }];
      }
      if (name === 'dict') {
        const m = new Map<string, CVal>();
        let exact = !pos.length;
        for (const [k, v] of kw) {
          if (v.length === 1 && isC(v[0]!)) m.set(k, v[0].v);
          else exact = false;
        }
        return exact ? [c(new CDict(m))] : [{ k: 'seq', el: union(...kw.values()) }];
      }
      if (name === 'strftime_now') return STR;
      return ANY;
    }
    if (callee.type === 'MemberExpression' && !callee.computed && callee.property?.type === 'Identifier') {
      const recv = this.ev(callee.object!);
      const method = str(callee.property);
      this.lookup(recv, [c(method)], 'looks up');
      const { pos, kw } = this.args(n);
      return this.method(recv, method, pos, kw);
    }
    const fn = this.ev(callee);
    this.args(n);
    return this.callValue(fn);
  }

  private callValue(fn: Abs): Abs {
    return fn.some((a) => a.k === 'data') ? [{ k: 'data' }] : ANY;
  }

  private method(recv: Abs, m: string, pos: Abs[], kw: Map<string, Abs>): Abs {
    const consts = (xs: Abs[]): CVal[] | null => (xs.every((x) => x.length === 1 && isC(x[0]!)) ? xs.map((x) => (x[0] as { v: CVal }).v) : null);
    const args = consts(pos);
    const kwc = consts([...kw.values()]);
    if (m === 'format' || m === 'format_map') {
      // str.format resolves "{0.attr}" / "{0[key]}" fields with getattr/getitem
      for (const a of recv) {
        if (isC(a) && typeof a.v === 'string') {
          for (const path of formatFieldPaths(a.v)) for (const part of path) this.report(nameReason(part, !!a.built) ?? (part === '' ? null : null));
          if (formatFieldPaths(a.v).length && ![...formatFieldPaths(a.v)].flat().some((p) => nameReason(p, true))) this.report({ severity: 'high', why: 'calls str.format with fields that look up attributes or items', needle: 'format' });
        } else this.report({ severity: 'high', why: 'calls str.format on a string built at render time (its fields can look up any attribute)', needle: 'format' });
      }
    }
    const out: Abs[] = [];
    for (const a of recv) {
      if (isC(a) && typeof a.v === 'string' && args && kwc) {
        const r = strMethod(a.v, m, args, new Map([...kw.keys()].map((k, i) => [k, kwc[i]!])));
        out.push(r === undefined ? STR : [c(r, true)]);
      } else if (isC(a) && a.v instanceof CDict) {
        const d = a.v;
        if (m === 'items') out.push([c([...d.m].map(([k, v]) => [k, v]), a.built)]);
        else if (m === 'keys') out.push([c([...d.m.keys()], a.built)]);
        else if (m === 'values') out.push([c([...d.m.values()], a.built)]);
        else if (m === 'get' && args && typeof args[0] === 'string') out.push(d.m.has(args[0]) ? [c(d.m.get(args[0])!, a.built)] : (pos[1] ?? [c(null)]));
        else out.push(ANY);
      } else if (a.k === 'data' || a.k === 'ctx') out.push([a]);
      else if (a.k === 'ns' && m === 'get') out.push(this.nsField(a.id, null));
      else if (a.k === 'str' || (isC(a) && typeof a.v === 'string')) out.push(['startswith', 'endswith', 'isdigit', 'isalpha', 'isspace', 'islower', 'isupper'].includes(m) ? BOOL : ['count', 'find', 'index', 'rfind'].includes(m) ? NUM : ['split', 'rsplit', 'splitlines'].includes(m) ? [{ k: 'seq', el: STR }] : STR);
      else if (a.k === 'map') {
        const pair = (k: string, v: Abs): Atom => ({ k: 'seq', el: union([c(k)], v) });
        if (m === 'items') out.push([{ k: 'seq', el: a.f.map(([k, v]) => pair(k, v)) }]);
        else if (m === 'keys') out.push([{ k: 'seq', el: a.f.map(([k]) => c(k)) }]);
        else if (m === 'values') out.push([{ k: 'seq', el: union(...a.f.map(([, v]) => v)) }]);
        else if (m === 'get') out.push(args && typeof args[0] === 'string' ? (a.f.find(([f]) => f === args[0])?.[1] ?? pos[1] ?? [c(null)]) : union(...a.f.map(([, v]) => v)));
        else out.push(ANY);
      } else if (a.k === 'seq' && ['items', 'keys', 'values'].includes(m)) out.push([{ k: 'seq', el: a.el }]);
      else if (a.k === 'seq' && m === 'get') out.push(a.el);
      else if (a.k === 'glob' && a.name === 'loop' && m === 'cycle') out.push(union(...pos));
      else out.push(ANY);
    }
    return union(...out);
  }

  private binary(n: Node): Abs {
    const op = n.operator?.value ?? '';
    const l = this.ev(n.left!);
    const r = this.ev(n.right!);
    if (op === 'and' || op === 'or') return union(l, r);
    if (['==', '!=', '<', '>', '<=', '>=', 'in', 'not in', 'is'].includes(op)) return BOOL;
    const out: Atom[] = [];
    for (const a of l.slice(0, 48)) {
      for (const b of r.slice(0, 48)) out.push(this.binop(op, a, b));
    }
    return union(out);
  }

  private binop(op: string, a: Atom, b: Atom): Atom {
    const built = true;
    if (isC(a) && isC(b)) {
      const x = a.v;
      const y = b.v;
      switch (op) {
        case '~': {
          const s = pyStr(x) + pyStr(y);
          return c(s, built);
        }
        case '+':
          if (typeof x === 'number' && typeof y === 'number') return c(x + y);
          if (typeof x === 'string' && typeof y === 'string') return c(x + y, built);
          if (Array.isArray(x) && Array.isArray(y)) return c([...x, ...y], built);
          return { k: 'any' };
        case '-':
          return typeof x === 'number' && typeof y === 'number' ? c(x - y) : { k: 'any' };
        case '*':
          if (typeof x === 'number' && typeof y === 'number') return c(x * y);
          if ((typeof x === 'string' && typeof y === 'number') || (typeof x === 'number' && typeof y === 'string')) {
            const [s, k] = typeof x === 'string' ? [x, y as number] : [y as string, x];
            if (s.length * k > BIG) {
              this.report({ severity: 'medium', why: `builds a string of ${(s.length * k).toExponential(0)} characters (template denial of service)` });
              return { k: 'str' };
            }
            return c(k > 0 ? s.repeat(Math.floor(k)) : '', built);
          }
          return { k: 'any' };
        case '**':
          if (typeof x === 'number' && typeof y === 'number') return c(x ** y);
          return { k: 'any' };
        case '/':
          return typeof x === 'number' && typeof y === 'number' && y !== 0 ? c(x / y) : { k: 'any' };
        case '//':
          return typeof x === 'number' && typeof y === 'number' && y !== 0 ? c(Math.floor(x / y)) : { k: 'any' };
        case '%':
          if (typeof x === 'number' && typeof y === 'number' && y !== 0) return c(((x % y) + y) % y);
          if (typeof x === 'string') {
            const s = pyPercent(x, y);
            return s === null ? { k: 'str' } : c(s, built);
          }
          return { k: 'any' };
        default:
          return { k: 'any' };
      }
    }
    const numeric = (z: Atom): boolean => z.k === 'num' || z.k === 'bool' || (isC(z) && typeof z.v === 'number');
    if (op === '~') return a.k === 'data' && b.k === 'data' ? { k: 'data' } : { k: 'str' };
    if (numeric(a) && numeric(b)) return { k: 'num' };
    if (op === '*' && ((isC(a) && typeof a.v === 'string') || (isC(b) && typeof b.v === 'string'))) return { k: 'str' };
    if (op === '%' && isC(a) && typeof a.v === 'string') return { k: 'str' };
    if (a.k === 'data' && b.k === 'data') return { k: 'data' };
    if ((op === '+' || op === '%') && (a.k === 'data' || a.k === 'ctx' || b.k === 'data' || b.k === 'ctx' || a.k === 'str' || b.k === 'str' || isC(a) || isC(b))) {
      // string concatenation with something unknown
      if (numeric(a) || numeric(b)) return { k: 'num' };
      return { k: 'str' };
    }
    if (numeric(a) || numeric(b)) return { k: 'num' };
    return { k: 'any' };
  }

  // ---- filters

  private applyFilter(f: Node, operand: Abs): Abs {
    const name = f.type === 'CallExpression' ? str(f.callee) : str(f);
    const { pos, kw } = f.type === 'CallExpression' ? this.args(f) : { pos: [] as Abs[], kw: new Map<string, Abs>() };
    const attrArg = (x: Abs | undefined, how: string): void => {
      if (!x) return;
      for (const a of x) {
        if (isC(a) && typeof a.v === 'string') for (const part of a.v.split('.')) {
          if (!/^\d+$/.test(part)) this.lookup([{ k: 'data' }], [c(part, a.built)], how);
        }
        else if (isC(a) && typeof a.v === 'number') continue;
        else this.lookup([{ k: 'data' }], [a], how);
      }
    };
    switch (name) {
      case 'attr':
        this.report({ severity: 'high', why: "uses the |attr() filter, which looks up attributes without '.' or '[]'", needle: 'attr' });
        return this.lookup(operand, pos[0] ?? ANY, 'looks up (|attr) an attribute with');
      case 'map':
      case 'select':
      case 'reject':
      case 'selectattr':
      case 'rejectattr': {
        if (kw.has('attribute')) attrArg(kw.get('attribute'), `applies |${name} to an attribute with`);
        if (name === 'selectattr' || name === 'rejectattr') attrArg(pos[0], `applies |${name} to an attribute with`);
        else if (pos[0]) {
          for (const a of pos[0]) {
            if (isC(a) && a.v === 'attr') {
              this.report({ severity: 'high', why: `uses |${name}('attr', …), which looks up attributes without '.' or '[]'`, needle: 'attr' });
              attrArg(pos[1] ?? ANY, 'looks up (|attr) an attribute with');
            } else if (!isC(a)) this.report({ severity: 'high', why: `applies a filter or test whose name is computed at render time (|${name})`, needle: name });
          }
        }
        if (name === 'map' && operand.every(isC) && pos[0] && pos[0].length === 1 && isC(pos[0][0]!) && typeof pos[0][0].v === 'string' && !kw.size) {
          const fname = pos[0][0].v;
          return union(...operand.map((o): Abs => {
            const els = this.elements([o]);
            if (!els.every(isC)) return [{ k: 'seq', el: STR }];
            const mapped = els.map((e) => this.applyFilterConst(fname, [e], pos.slice(1)));
            return [{ k: 'seq', el: union(...mapped) }];
          }));
        }
        return operand.map((o) => (o.k === 'data' || o.k === 'ctx' ? o : { k: 'seq', el: name === 'map' ? ANY : this.elements([o]) }));
      }
      case 'sort':
      case 'groupby':
      case 'unique':
      case 'sum':
      case 'min':
      case 'max':
        attrArg(kw.get('attribute') ?? (name === 'groupby' ? pos[0] : undefined), `applies |${name} to an attribute with`);
        break;
      default:
    }
    return this.applyFilterConst(name, operand, pos, kw);
  }

  private applyFilterConst(name: string, operand: Abs, pos: Abs[], kw = new Map<string, Abs>()): Abs {
    const one = (x: Abs | undefined): CVal | undefined => (x && x.length === 1 && isC(x[0]!) ? x[0].v : undefined);
    const argc = pos.map(one);
    const allConst = argc.every((a) => a !== undefined) && [...kw.values()].every((v) => one(v) !== undefined);
    const out: Abs[] = [];
    for (const a of operand) {
      if (isC(a) && allConst) {
        const r = constFilter(name, a.v, argc, new Map([...kw].map(([k, v]) => [k, one(v)!])));
        if (r !== undefined) {
          out.push(Array.isArray(r) && r.length > 0 && name === 'random' ? r.map((e) => c(e, true)) : [c(r, true)]);
          continue;
        }
      }
      if ((name === 'items' || name === 'dictsort') && (a.k === 'map' || (isC(a) && !(a.v instanceof CDict)))) {
        // |items raises on anything but a mapping
        out.push(a.k === 'map' ? this.method([a], 'items', [], new Map()) : []);
        continue;
      }
      if (name === 'default' || name === 'd') {
        out.push([a], ...pos.slice(0, 1));
        continue;
      }
      if (['length', 'count', 'int', 'float', 'abs', 'round', 'wordcount', 'sum'].includes(name)) out.push(NUM);
      else if (['first', 'last', 'random', 'min', 'max'].includes(name)) out.push(a.k === 'data' || a.k === 'ctx' ? [a] : this.elements([a]));
      else if (['list', 'sort', 'unique', 'reverse', 'batch', 'slice', 'items', 'dictsort', 'select', 'reject', 'selectattr', 'rejectattr', 'groupby'].includes(name)) {
        // pairs and groups are sequences of the same elements (keys and values alike)
        const el = this.elements([a]);
        out.push(a.k === 'data' || a.k === 'ctx' ? [a] : [{ k: 'seq', el: ['items', 'dictsort', 'groupby', 'batch', 'slice'].includes(name) ? [{ k: 'seq', el }] : el }]);
      }
      else if (['tojson', 'string', 'lower', 'upper', 'title', 'capitalize', 'trim', 'center', 'indent', 'truncate', 'wordwrap', 'replace', 'format', 'join', 'e', 'escape', 'safe', 'forceescape', 'striptags', 'urlencode', 'urlize', 'xmlattr', 'filesizeformat', 'pprint'].includes(name)) out.push([strLike(a)]);
      else out.push(a.k === 'data' ? [a] : ANY);
    }
    return union(...out);
  }
}

function chars(s: string): string[] {
  return [...s];
}

/** Python `str` methods on constants; undefined when not modelled. */
function strMethod(s: string, m: string, a: CVal[], kw: Map<string, CVal>): CVal | undefined {
  const sa = (i: number): string | undefined => (typeof a[i] === 'string' ? (a[i]) : undefined);
  switch (m) {
    case 'upper':
      return s.toUpperCase();
    case 'lower':
    case 'casefold':
      return s.toLowerCase();
    case 'strip':
    case 'lstrip':
    case 'rstrip': {
      const set = sa(0);
      if (a.length && set === undefined) return undefined;
      const cs = set ?? ' \t\n\r\f\v';
      let i = 0;
      let j = s.length;
      if (m !== 'rstrip') while (i < j && cs.includes(s[i]!)) i++;
      if (m !== 'lstrip') while (j > i && cs.includes(s[j - 1]!)) j--;
      return s.slice(i, j);
    }
    case 'replace': {
      const [x, y] = [sa(0), sa(1)];
      if (x === undefined || y === undefined) return undefined;
      const count = typeof a[2] === 'number' ? a[2] : -1;
      return pyReplace(s, x, y, count);
    }
    case 'join':
      return Array.isArray(a[0]) && a[0].every((e) => typeof e === 'string') ? (a[0]).join(s) : typeof a[0] === 'string' ? chars(a[0]).join(s) : undefined;
    case 'split':
    case 'rsplit': {
      const sep = sa(0);
      return sep === undefined ? s.split(/\s+/).filter(Boolean) : sep === '' ? undefined : s.split(sep);
    }
    case 'format':
      return pyFormat(s, a, kw) ?? undefined;
    case 'title':
      return s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
    case 'capitalize':
      return s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s;
    case 'swapcase':
      return chars(s).map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');
    case 'removeprefix':
      return sa(0) !== undefined && s.startsWith(sa(0)!) ? s.slice(sa(0)!.length) : s;
    case 'removesuffix':
      return sa(0) && s.endsWith(sa(0)!) ? s.slice(0, s.length - sa(0)!.length) : s;
    case 'zfill':
    case 'center':
    case 'ljust':
    case 'rjust': {
      const w = typeof a[0] === 'number' ? a[0] : 0;
      if (w > 4096) return undefined;
      const f = sa(1) ?? (m === 'zfill' ? '0' : ' ');
      if (m === 'ljust') return s.padEnd(w, f);
      if (m === 'rjust' || m === 'zfill') return s.padStart(w, f);
      const total = Math.max(0, w - s.length);
      const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
      return f.repeat(left) + s + f.repeat(total - left);
    }
    case 'startswith':
      return sa(0) !== undefined ? s.startsWith(sa(0)!) : undefined;
    case 'endswith':
      return sa(0) !== undefined ? s.endsWith(sa(0)!) : undefined;
    default:
      return undefined;
  }
}

function pyReplace(s: string, x: string, y: string, count: number): string {
  if (x === '') {
    const cs = chars(s);
    const parts: string[] = [];
    let n = 0;
    for (const ch of cs) {
      if (count < 0 || n < count) {
        parts.push(y);
        n++;
      }
      parts.push(ch);
    }
    if (count < 0 || n < count) parts.push(y);
    return parts.join('');
  }
  if (count < 0) return s.split(x).join(y);
  let out = '';
  let i = 0;
  for (let n = 0; n < count; n++) {
    const j = s.indexOf(x, i);
    if (j < 0) break;
    out += s.slice(i, j) + y;
    i = j + x.length;
  }
  return out + s.slice(i);
}

/** Jinja2's built-in filters on constants; undefined when not modelled. */
function constFilter(name: string, v: CVal, a: CVal[], kw: Map<string, CVal>): CVal | undefined {
  const seq = (x: CVal): CVal[] | undefined => (typeof x === 'string' ? chars(x) : Array.isArray(x) ? x : x instanceof CDict ? [...x.m.keys()] : undefined);
  switch (name) {
    case 'string':
      return pyStr(v);
    case 'lower':
    case 'upper':
    case 'title':
    case 'capitalize':
      return strMethod(pyStr(v), name, [], kw);
    case 'trim':
      return strMethod(pyStr(v), 'strip', a.slice(0, 1), kw);
    case 'replace':
      return typeof a[0] === 'string' && typeof a[1] === 'string' ? pyReplace(pyStr(v), a[0], a[1], typeof a[2] === 'number' ? a[2] : -1) : undefined;
    case 'reverse': {
      if (typeof v === 'string') return chars(v).reverse().join('');
      const s = seq(v);
      return s ? [...s].reverse() : undefined;
    }
    case 'list':
      return seq(v);
    case 'first':
      return seq(v)?.[0];
    case 'last': {
      const s = seq(v);
      return s?.[s.length - 1];
    }
    case 'join': {
      const s = seq(v);
      const sep = a[0] ?? kw.get('d') ?? '';
      if (!s || typeof sep !== 'string' || kw.has('attribute')) return undefined;
      const r = s.map(pyStr).join(sep);
      return r.length > MAX_STR ? undefined : r;
    }
    case 'format':
      return typeof v === 'string' ? (pyPercent(v, kw.size ? new CDict(kw) : a) ?? undefined) : undefined;
    case 'length':
    case 'count':
      return seq(v)?.length;
    case 'int':
      return typeof v === 'number' ? Math.trunc(v) : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? parseInt(v, 10) : undefined;
    case 'tojson':
      return pyJson(v);
    case 'default':
    case 'd':
      return v;
    case 'unique': {
      const s = seq(v);
      return s ? [...new Set(s.map((e) => pyRepr(e)))].map((r) => s.find((e) => pyRepr(e) === r)!) : undefined;
    }
    case 'sort': {
      const s = seq(v);
      return s && s.every((e) => typeof e === 'string') ? [...(s)].sort() : undefined;
    }
    case 'center':
      return typeof a[0] === 'number' ? strMethod(pyStr(v), 'center', [a[0]], kw) : undefined;
    case 'random': {
      const s = seq(v);
      return s && s.length <= 48 ? s : undefined; // each element is possible
    }
    case 'items':
      return v instanceof CDict ? [...v.m].map(([k, x]) => [k, x]) : undefined;
    case 'dictsort':
      return v instanceof CDict ? [...v.m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([k, x]) => [k, x]) : undefined;
    default:
      return undefined;
  }
}
