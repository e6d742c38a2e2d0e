// Keras models: the v3 `.keras` zip (config.json + metadata.json + model.weights.h5) and legacy HDF5
// `.h5` files. For HDF5 we do not implement the format: Keras stores the architecture as the JSON
// `model_config` attribute, whose bytes sit contiguously near the start of the file, so a bounded
// search for the JSON object is enough to read (and scan) it.
import { FormatError, readExact, type ByteSource } from './io';
import type { ZipArchive } from './zip';
import { safeRecord, type MatchContext } from './types';

export class KerasError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'KerasError';
  }
}

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The superblock may follow a user block of 512, 1024, 2048… bytes. */
export const match = (head: Buffer, _ctx?: MatchContext): boolean => [0, 512, 1024, 2048, 4096, 8192, 16384, 32768].some((o) => head.length >= o + 8 && head.subarray(o, o + 8).equals(HDF5_SIGNATURE));

const SEARCH_WINDOW = 32 << 20;
const MAX_CONFIG = 64 << 20;

/** Extracts the balanced JSON object starting at `start` (string-aware), or null. */
function balancedJson(buf: Buffer, start: number): string | null {
  let depth = 0;
  let inStr = false;
  for (let i = start; i < buf.length; i++) {
    const b = buf[i]!;
    if (inStr) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inStr = false;
      continue;
    }
    if (b === 0x22) inStr = true;
    else if (b === 0x7b) depth++;
    else if (b === 0x7d && --depth === 0) return buf.toString('utf8', start, i + 1);
    else if (b === 0) return null;
  }
  return null;
}

export interface H5Info {
  modelConfig: unknown | null;
  configOffset: number | null;
  kerasVersion: string | null;
  backend: string | null;
  hasTrainingConfig: boolean;
  /** Whether the attribute names Keras writes were seen at all. */
  isKeras: boolean;
}

export async function readH5(src: ByteSource): Promise<H5Info> {
  // Keras writes its attributes before the weights: 4 MiB nearly always holds them; widen once if not.
  const first = await readH5Window(src, Math.min(src.size, 4 << 20));
  if (first.modelConfig || src.size <= 4 << 20) return first;
  return readH5Window(src, Math.min(src.size, SEARCH_WINDOW));
}

async function readH5Window(src: ByteSource, n: number): Promise<H5Info> {
  const buf = await readExact(src, 0, n, 'HDF5 head');
  const info: H5Info = { modelConfig: null, configOffset: null, kerasVersion: null, backend: null, hasTrainingConfig: false, isKeras: false };
  info.isKeras = buf.includes('model_config') || buf.includes('keras_version');
  info.hasTrainingConfig = buf.includes('training_config');
  for (let i = buf.indexOf('{"class_name"'); i !== -1; i = buf.indexOf('{"class_name"', i + 1)) {
    const json = balancedJson(buf, i);
    if (!json) continue;
    try {
      const v = JSON.parse(json) as { config?: unknown };
      if (v && typeof v === 'object' && 'config' in v) {
        info.modelConfig = v;
        info.configOffset = i;
        break;
      }
    } catch {
      /* not this one */
    }
  }
  const near = (attr: string, re: RegExp): string | null => {
    const i = buf.indexOf(attr);
    if (i < 0) return null;
    const m = re.exec(buf.toString('latin1', i + attr.length, Math.min(buf.length, i + attr.length + 512)));
    return m ? m[0] : null;
  };
  info.kerasVersion = near('keras_version', /^\D{0,24}?(\d+\.\d+(\.\d+)?(-tf)?)/)?.replace(/^\D+/, '') ?? null;
  info.backend = near('backend', /^[^a-z]{0,24}(tensorflow|theano|jax|torch|cntk)/)?.replace(/^[^a-z]+/, '') ?? null;
  // h5py stores variable-length string attributes in global heap collections ("GCOL"): read their
  // short strings to recover keras_version and backend.
  if (!info.kerasVersion || !info.backend) {
    for (const s of globalHeapStrings(buf)) {
      if (!info.kerasVersion && /^\d+\.\d+\.\d+(-tf)?$/.test(s)) info.kerasVersion = s;
      if (!info.backend && /^(tensorflow|theano|jax|torch|cntk)$/.test(s)) info.backend = s;
    }
  }
  return info;
}

/** Short strings stored in HDF5 global heap collections (bounded: 8 collections, 256 objects each). */
export function globalHeapStrings(buf: Buffer): string[] {
  const out: string[] = [];
  let at = buf.indexOf('GCOL');
  for (let n = 0; at !== -1 && n < 8; n++, at = buf.indexOf('GCOL', at + 4)) {
    // GCOL, version(1), reserved(3), collection size(8), then objects: index(2) refs(2) reserved(4) size(8) data (8-aligned).
    let p = at + 16;
    for (let k = 0; k < 256 && p + 16 <= buf.length; k++) {
      const index = buf.readUInt16LE(p);
      if (index === 0) break;
      const size = Number(buf.readBigUInt64LE(p + 8));
      if (size > 1 << 20 || p + 16 + size > buf.length) break;
      if (size <= 64) out.push(buf.toString('utf8', p + 16, p + 16 + size));
      p += 16 + Math.ceil(size / 8) * 8;
    }
  }
  return out;
}

export async function readKerasZip(zip: ZipArchive): Promise<{ config: unknown | null; metadata: Record<string, unknown> | null; files: string[] }> {
  const get = async (name: string): Promise<unknown | null> => {
    const e = zip.entries.find((x) => x.name === name);
    if (!e) return null;
    if (e.size > MAX_CONFIG) throw new KerasError(`${name} is ${e.size} bytes (limit ${MAX_CONFIG})`);
    const src = await zip.source(e, MAX_CONFIG, `${zip.src.name}!${name}`);
    const text = (await readExact(src, 0, src.size, name)).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new KerasError(`${name} is not valid JSON: ${(err as Error).message}`);
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
}

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
export function analyzeConfig(config: unknown): ConfigAnalysis {
  const out: ConfigAnalysis = { className: null, name: null, layerCount: 0, layerClasses: safeRecord(), lambdas: [], customObjects: [] };
  if (config && typeof config === 'object') {
    const c = config as { class_name?: unknown; config?: { name?: unknown } };
    out.className = typeof c.class_name === 'string' ? c.class_name : null;
    out.name = typeof c.config?.name === 'string' ? c.config.name : null;
  }
  let visited = 0;
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > 64 || ++visited > 1_000_000 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
      return;
    }
    const o = v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : null;
    const cfg = o.config && typeof o.config === 'object' ? (o.config as Record<string, unknown>) : null;
    if (cls && cfg && path !== '') {
      out.layerCount++;
      out.layerClasses[cls] = (out.layerClasses[cls] ?? 0) + 1;
    }
    if (cls === 'Lambda' && cfg) {
      const ft = typeof cfg.function_type === 'string' ? cfg.function_type : 'lambda';
      const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? ''));
      const d = ft === 'function' ? { names: [text(cfg.module), text(Array.isArray(cfg.function) ? cfg.function[0] : cfg.function)], encoding: 'reference' as const } : decodeFunction(cfg.function);
      out.lambdas.push({ path: path || '(root)', layer: typeof cfg.name === 'string' ? cfg.name : '?', functionType: ft, ...d });
    }
    // A bare __lambda__ object outside a Lambda layer (custom layers can hold one too).
    if (cls === '__lambda__' && !path.endsWith('.config.function')) out.lambdas.push({ path, layer: '?', functionType: '__lambda__', ...decodeFunction(o) });
    const mod = typeof o.module === 'string' ? o.module : null;
    const reg = typeof o.registered_name === 'string' ? o.registered_name : null;
    // Keras 3 names a function as {module, class_name: "function", config: its name} and imports module.name.
    const name = cls === 'function' && typeof o.config === 'string' ? o.config : cls;
    const dataBuiltin = mod === 'builtins' && name !== null && cls !== 'function' && DATA_BUILTINS.test(name);
    if (name && ((mod && !KERAS_MODULES.test(mod) && !dataBuiltin) || (reg && reg.includes('>') && !/^keras/i.test(reg)))) {
      out.customObjects.push({ path: path || '(root)', module: mod ?? reg ?? '?', className: name });
    }
    for (const [k, x] of Object.entries(o)) if (x && typeof x === 'object') visit(x, path ? `${path}.${k}` : k, depth + 1);
  };
  visit(config, '', 0);
  return out;
}
