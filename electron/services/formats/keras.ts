// Keras models: the v3 `.keras` zip (config.json + metadata.json + model.weights.h5) and legacy HDF5
// `.h5` files. HDF5 is read as HDF5 (hdf5.ts): Keras takes its architecture from the root group's
// `model_config` attribute (and compile settings from `training_config`), so those attributes are what
// we read — never a text search, which a planted string fools and unbalanced braces make quadratic.
import type { Budget } from './budget';
import { finding, type Finding, type Severity } from './finding';
import { readRootAttributes, SIGNATURE } from './hdf5';
import { basename, FormatError, readExact, type ByteSource } from './io';
import { parseBytes, parseText } from './json';
import { classifyImport } from './pickle/rules';
import type { FormatRules } from './scanContext';
import { ZipError, type ZipArchive } from './zip';
import { safeRecord, type MatchContext } from './types';

export class KerasError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'KerasError';
  }
}

export const HDF5_SIGNATURE = SIGNATURE;
/** The superblock may follow a user block of 512, 1024, 2048… bytes. */
export const match = (head: Buffer, _ctx?: MatchContext): boolean => [0, 512, 1024, 2048, 4096, 8192, 16384, 32768].some((o) => head.length >= o + 8 && head.subarray(o, o + 8).equals(HDF5_SIGNATURE));

const MAX_CONFIG = 64 << 20;

export interface H5Config {
  /** Root attribute the JSON came from (model_config, training_config). */
  attribute: string;
  value: unknown;
  offset: number;
}

export interface H5Info {
  modelConfig: unknown | null;
  configOffset: number | null;
  /** Every JSON attribute Keras deserialises (model_config, training_config), duplicates included. */
  configs: H5Config[];
  kerasVersion: string | null;
  backend: string | null;
  hasTrainingConfig: boolean;
  /** Whether the attribute names Keras writes were seen at all. */
  isKeras: boolean;
  /** What could not be read: each is a place Keras may read a config from that we did not. */
  issues: string[];
}

/** Attributes whose JSON Keras deserialises on load (legacy_h5_format.load_model_from_hdf5). */
const CONFIG_ATTRS = new Set(['model_config', 'training_config']);

export async function readH5(src: ByteSource, budget?: Budget): Promise<H5Info> {
  const root = await readRootAttributes(src, budget);
  const info: H5Info = { modelConfig: null, configOffset: null, configs: [], kerasVersion: null, backend: null, hasTrainingConfig: false, isKeras: false, issues: [...root.issues] };
  for (const a of root.attributes) {
    if (a.name === 'keras_version' || a.name === 'model_config') info.isKeras = true;
    if (a.name === 'keras_version' && a.value !== null) info.kerasVersion ??= a.value.slice(0, 64);
    if (a.name === 'backend' && a.value !== null) info.backend ??= a.value.slice(0, 64);
    if (a.name === 'training_config') info.hasTrainingConfig = true;
    if (!CONFIG_ATTRS.has(a.name)) continue;
    if (a.value === null) {
      info.issues.push(`attribute ${JSON.stringify(a.name)} at offset ${a.offset} is not a string${a.problem ? ` (${a.problem})` : ''}`);
      continue;
    }
    try {
      const v = parseText(a.value, a.name, budget);
      info.configs.push({ attribute: a.name, value: v, offset: a.offset });
      if (a.name === 'model_config' && info.modelConfig === null) {
        info.modelConfig = v;
        info.configOffset = a.offset;
      }
    } catch (e) {
      info.issues.push(`attribute ${JSON.stringify(a.name)} at offset ${a.offset}: ${(e as Error).message}`);
    }
  }
  return info;
}

export async function readKerasZip(zip: ZipArchive): Promise<{ config: unknown | null; metadata: Record<string, unknown> | null; files: string[] }> {
  const get = async (name: string): Promise<unknown | null> => {
    const e = zip.entries.findLast((x) => x.name === name); // zipfile: the last entry of a name wins
    if (!e) return null;
    if (e.size > MAX_CONFIG) throw new KerasError(`${name} is ${e.size} bytes (limit ${MAX_CONFIG})`);
    const src = await zip.source(e, MAX_CONFIG, `${zip.src.name}!${name}`);
    try {
      // saving_lib: json.loads(zf.open(name).read()) — bytes, so Python's encoding detection applies.
      return parseBytes(await readExact(src, 0, src.size, name), name);
    } catch (err) {
      throw new KerasError((err as Error).message);
    }
  };
  return { config: await get('config.json'), metadata: (await get('metadata.json')) as Record<string, unknown> | null, files: zip.entries.map((e) => e.name) };
}

export interface LambdaRef {
  /** JSON path of the layer, e.g. `config.layers[2]`. */
  path: string;
  layer: string;
  functionType: string;
  /** Identifiers recovered from marshalled bytecode or source. */
  names: string[];
  encoding: 'bytecode' | 'source' | 'reference' | 'unknown';
}

export interface CustomObjectRef {
  path: string;
  module: string;
  className: string;
}

export interface ConfigAnalysis {
  className: string | null;
  name: string | null;
  layerCount: number;
  layerClasses: Record<string, number>;
  lambdas: LambdaRef[];
  customObjects: CustomObjectRef[];
  /** The config had more objects than MAX_VISIT: the rest was not looked at. */
  truncated: boolean;
}

const MAX_VISIT = 2_000_000;
const MAX_REPORTS = 1000;

const KERAS_MODULES = /^(keras|tf_keras|keras_hub|keras_nlp|keras_cv|tensorflow\.keras|tensorflow\.python\.keras)(\.|$)/;
/** Plain Python values Keras may name with module "builtins"; any other builtin (a function: exec, eval, open) is imported. */
const DATA_BUILTINS = /^(dict|list|tuple|set|frozenset|str|int|float|bool|bytes|complex|slice|range|NoneType)$/;

/** Printable identifiers inside marshalled code: co_names/co_consts survive as plain strings. */
export function identifiersIn(b: Buffer): string[] {
  const out = new Set<string>();
  const s = b.toString('latin1');
  for (const m of s.matchAll(/[A-Za-z_][A-Za-z0-9_.]{1,63}/g)) if (out.size < 64) out.add(m[0]);
  return [...out];
}

function decodeFunction(fn: unknown): { names: string[]; encoding: LambdaRef['encoding'] } {
  // Keras 2: [base64(marshal(code)), defaults, closure] or a base64 string. Keras 3: {class_name: '__lambda__', config: {code}}.
  let payload: unknown = fn;
  if (Array.isArray(fn)) payload = fn[0];
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    const cfg = (payload as { config?: { code?: unknown; value?: unknown } }).config;
    payload = cfg?.code ?? (Array.isArray(cfg?.value) ? cfg.value[0] : cfg?.value);
  }
  if (typeof payload !== 'string') return { names: [], encoding: 'unknown' };
  if (/^[A-Za-z0-9+/=\s]+$/.test(payload) && payload.length >= 16) {
    const bytes = Buffer.from(payload, 'base64');
    return { names: identifiersIn(bytes), encoding: 'bytecode' };
  }
  return { names: identifiersIn(Buffer.from(payload)), encoding: 'source' };
}

/** Walks a Keras config (any nesting: Sequential, Functional, nested models, wrappers). */
export function analyzeConfig(config: unknown, budget?: Budget): ConfigAnalysis {
  const out: ConfigAnalysis = { className: null, name: null, layerCount: 0, layerClasses: safeRecord(), lambdas: [], customObjects: [], truncated: false };
  if (config && typeof config === 'object') {
    const c = config as { class_name?: unknown; config?: { name?: unknown } };
    out.className = typeof c.class_name === 'string' ? c.class_name : null;
    out.name = typeof c.config?.name === 'string' ? c.config.name : null;
  }
  // Iterative, with parent links instead of path strings: a config nested 100,000 deep costs linear
  // time and no stack (Keras recurses as deep as Python lets it, so there is no depth to stop at).
  interface Node { v: object; key: string | number | null; parent: Node | null }
  const pathOf = (n: Node): string => {
    const parts: string[] = [];
    for (let x: Node | null = n; x && x.key !== null; x = x.parent) parts.push(typeof x.key === 'number' ? `[${x.key}]` : `.${x.key}`);
    return parts.reverse().join('').replace(/^\./, '');
  };
  const stack: Node[] = config && typeof config === 'object' ? [{ v: config, key: null, parent: null }] : [];
  let visited = 0;
  while (stack.length) {
    budget?.tick();
    if (++visited > MAX_VISIT) {
      out.truncated = true;
      break;
    }
    const n = stack.pop()!;
    if (Array.isArray(n.v)) {
      for (let i = n.v.length - 1; i >= 0; i--) {
        const x: unknown = n.v[i];
        if (x && typeof x === 'object') stack.push({ v: x, key: i, parent: n });
      }
      continue;
    }
    const o = n.v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : null;
    const cfg = o.config && typeof o.config === 'object' ? (o.config as Record<string, unknown>) : null;
    if (cls && cfg && n.parent) {
      out.layerCount++;
      out.layerClasses[cls] = (out.layerClasses[cls] ?? 0) + 1;
    }
    if (cls === 'Lambda' && cfg && out.lambdas.length < MAX_REPORTS) {
      const ft = typeof cfg.function_type === 'string' ? cfg.function_type : 'lambda';
      const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? ''));
      const d = ft === 'function' ? { names: [text(cfg.module), text(Array.isArray(cfg.function) ? cfg.function[0] : cfg.function)], encoding: 'reference' as const } : decodeFunction(cfg.function);
      out.lambdas.push({ path: pathOf(n) || '(root)', layer: typeof cfg.name === 'string' ? cfg.name : '?', functionType: ft, ...d });
    }
    // A bare __lambda__ object outside a Lambda layer (custom layers can hold one too).
    const inLambda = n.key === 'function' && n.parent?.key === 'config';
    if (cls === '__lambda__' && !inLambda && out.lambdas.length < MAX_REPORTS) out.lambdas.push({ path: pathOf(n), layer: '?', functionType: '__lambda__', ...decodeFunction(o) });
    const mod = typeof o.module === 'string' ? o.module : null;
    const reg = typeof o.registered_name === 'string' ? o.registered_name : null;
    // Keras 3 names a function as {module, class_name: "function", config: its name} and imports module.name.
    const name = cls === 'function' && typeof o.config === 'string' ? o.config : cls;
    const dataBuiltin = mod === 'builtins' && name !== null && cls !== 'function' && DATA_BUILTINS.test(name);
    if (name && ((mod && !KERAS_MODULES.test(mod) && !dataBuiltin) || (reg && reg.includes('>') && !/^keras/i.test(reg))) && out.customObjects.length < MAX_REPORTS) {
      out.customObjects.push({ path: pathOf(n) || '(root)', module: mod ?? reg ?? '?', className: name });
    }
    const entries = Object.entries(o);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      if (x && typeof x === 'object') stack.push({ v: x, key: k, parent: n });
    }
  }
  return out;
}

// ---- scan rules ---------------------------------------------------------------------------

const DANGEROUS_CODE_NAMES = /^(os|posix|nt|subprocess|system|popen|eval|exec|__import__|__builtins__|getattr|open|socket|shutil|compile|marshal|pickle|importlib|builtins|sys)$/;

/** A .keras file: the v3 zip, or a bare config.json (its JSON path says where). */
export const rules: FormatRules = {
  // A .keras zip whose directory does not read is a damaged archive, as for any zip.
  damage: (e, display, location) => (e instanceof ZipError ? finding('medium', 'archive.malformed', display, location, `${e.name}: ${e.message}`) : null),
  async scan(s) {
    const head = await s.src.read(0, 2);
    if (head[0] === 0x50 && head[1] === 0x4b) return s.zip('keras');
    scanConfig(await s.json(), s.display, '', s.out, s.budget);
  },
};

/** Legacy HDF5 files: every config attribute Keras deserialises. */
export const h5Rules: FormatRules = {
  async scan({ src, display, budget, out }) {
    const h = await readH5(src, budget);
    for (const c of h.configs) scanConfig(c.value, display, `${c.attribute} at byte ${c.offset}`, out, budget);
    for (const i of h.issues.slice(0, 20)) out.push(finding('medium', 'file.unscannable', display, 'root attributes', `not fully scanned: ${i}`));
  },
};

/** Whether a zip is opened by keras.saving.load_model: by its detected kind or by its name. */
export const isKerasArchive = (format: string, display: string): boolean => format === 'keras' || /\.keras$/i.test(basename(display));

/**
 * Inside a .keras archive the container decides what config.json is: Keras deserialises it whatever
 * keys it has (saving_lib reads it by name), and inspect reads it the same way (readKerasZip).
 */
export async function scanArchiveConfig(z: ZipArchive, format: string, display: string, out: Finding[], budget: Budget): Promise<void> {
  try {
    const k = await readKerasZip(z);
    if (k.config !== null) scanConfig(k.config, `${display}!config.json`, '', out, budget);
    else if (format === 'keras' || z.entries.length) out.push(finding('medium', 'file.unscannable', display, 'file', 'not fully scanned: a .keras archive without config.json'));
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    out.push(finding('medium', 'file.unscannable', `${display}!config.json`, 'entry', `not fully scanned: ${e.message}`));
  }
}

/** Lambda layers and custom objects in a Keras config, wherever it came from (`where` says). */
export function scanConfig(config: unknown, display: string, where: string, out: Finding[], budget?: Budget): void {
  const a = analyzeConfig(config, budget);
  if (a.truncated) out.push(finding('medium', 'file.unscannable', display, where || 'config', 'not fully scanned: the Keras config has more objects than the analysis limit; the rest was not checked'));
  for (const l of a.lambdas) {
    const bad = l.names.filter((n) => DANGEROUS_CODE_NAMES.test(n) || n.split('.').some((p) => DANGEROUS_CODE_NAMES.test(p)));
    const sev: Severity = bad.length ? 'critical' : 'high';
    const names = l.names.length ? `; names in the code: ${l.names.slice(0, 12).join(', ')}` : '';
    out.push(finding(sev, 'keras.lambda', display, [where, l.path].filter(Boolean).join(' '), `Lambda layer ${JSON.stringify(l.layer)} carries ${l.encoding === 'bytecode' ? 'marshalled Python bytecode' : l.encoding === 'source' ? 'Python source' : `a reference to ${l.names.join('.')}`} that runs when the model is loaded or called${bad.length ? ` (references ${bad.join(', ')})` : ''}${names}`));
  }
  for (const c of a.customObjects.slice(0, 50)) {
    const cls = classifyImport(c.module, c.className);
    const sev: Severity = cls.kind === 'dangerous' ? cls.severity : 'medium';
    out.push(finding(sev, 'keras.custom-object', display, [where, c.path].filter(Boolean).join(' '), `the config names ${JSON.stringify(`${c.module}.${c.className}`)}; deserialising imports and uses it${cls.kind === 'dangerous' ? `: ${cls.why}` : ''}`));
  }
}
