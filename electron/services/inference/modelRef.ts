import fs from 'node:fs';
import path from 'node:path';
import type { ModelRef, RunFormat } from '../../contract/inference';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import { parseRef } from '../registry/Registry';

export interface ResolvedModel {
  /** The file the runtime opens (a vault blob or the in-place/original path). */
  path: string;
  format: RunFormat;
  versionId: number | null;
  /** Stable key for the prediction log, baselines and audits: one per version, or per absolute path. */
  key: string;
  /** For people: "name@3" or the file name; with adapters "name@3 (base base.gguf + adapter adapter.gguf)". */
  label: string;
  /** GGUF LoRA adapters (absolute paths) the runtime applies on top of `path`, in order; empty for most models. */
  adapters: string[];
}

/** The training card an embed writes into its version's config (EmbedService): adapter versions name both files. */
interface EmbedCard { kind?: unknown; mode?: unknown; adapter?: unknown; base_gguf?: unknown }
const adapterCard = (config: Record<string, unknown>): { adapter: string; base: string } | null => {
  const c = config as EmbedCard;
  return c.kind === 'hallmark.embed' && c.mode === 'adapter' && typeof c.adapter === 'string' && typeof c.base_gguf === 'string'
    ? { adapter: c.adapter, base: c.base_gguf } : null;
};

const RUNNABLE = /\.(gguf|onnx)$/i;

/** Detects the runtime format from the bytes (GGUF magic) and the name (.onnx has no magic). */
export function detectFormat(file: string, name = file): RunFormat {
  let magic = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, 0);
      magic = b.toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new HallmarkError('not_found', `cannot read model file ${quote(file)}: ${(e as Error).message}`);
  }
  if (magic === 'GGUF') return 'gguf';
  if (/\.(onnx|ort)$/i.test(name)) return 'onnx';
  if (/\.gguf$/i.test(name)) throw new HallmarkError('invalid_model', `${quote(path.basename(name))} has a .gguf name but no GGUF header`);
  throw new HallmarkError('unsupported_format', `${quote(path.basename(name))} is neither GGUF nor ONNX; only .gguf and .onnx models can be run`);
}

/** Picks the runnable file of a version: the one named, the only .gguf/.onnx, or the first part of a split GGUF. */
function pickFile(files: Array<{ path: string }>, wanted: string | undefined, label: string): string {
  if (wanted) {
    if (!files.some((f) => f.path === wanted)) throw new HallmarkError('not_found', `${label} has no file ${quote(wanted)}`);
    return wanted;
  }
  const runnable = files.filter((f) => RUNNABLE.test(f.path));
  if (runnable.length === 1) return runnable[0]!.path;
  const firstParts = runnable.filter((f) => /-00001-of-\d{5}\.gguf$/i.test(f.path));
  if (firstParts.length === 1) return firstParts[0]!.path;
  if (!runnable.length && files.length === 1) return files[0]!.path;
  if (!runnable.length) throw new HallmarkError('unsupported_format', `${label} has no .gguf or .onnx file`);
  throw new HallmarkError('ambiguous_model', `${label} has several model files (${runnable.map((f) => f.path).join(', ')}); say which one`);
}

export function resolveModel(ctx: AppContext, ref: ModelRef): ResolvedModel {
  const m = resolveBase(ctx, ref);
  const extra = (ref.adapters ?? []).map((a) => resolveAdapter(ctx, a));
  if (!extra.length) return m;
  if (m.format !== 'gguf') throw new HallmarkError('wrong_format', `LoRA adapters apply to GGUF models; ${quote(m.label)} is ${m.format.toUpperCase()}`);
  const adapters = [...m.adapters, ...extra.map((a) => a.path)];
  const names = extra.map((a) => a.label);
  return {
    ...m, adapters,
    // Base + adapters is a model of its own: its predictions, baselines and audits are kept apart from the base's.
    key: `${m.key}+adapters:${adapters.join('|')}`,
    label: `${m.label} + adapter ${names.join(' + ')}`,
  };
}

function resolveBase(ctx: AppContext, ref: ModelRef): ResolvedModel {
  if ('path' in ref) {
    const abs = path.resolve(ref.path);
    if (!fs.existsSync(abs)) throw new HallmarkError('not_found', `no such file: ${quote(ref.path)}`);
    if (!fs.statSync(abs).isFile()) throw new HallmarkError('invalid_input', `${quote(ref.path)} is not a file`);
    return { path: abs, format: detectFormat(abs), versionId: null, key: `path:${abs}`, label: path.basename(abs), adapters: [] };
  }
  const reg = ctx.registry;
  const summary = 'versionId' in ref ? reg.versionById(ref.versionId) : reg.version(ref.name, ref.version);
  const v = reg.version(summary.model, summary.version);
  const label = `${v.model}@${v.version}`;
  const card = adapterCard(v.config);
  const rel = ref.file ?? card?.base ?? null;
  const fileOf = (r: string) => {
    const file = reg.filePath(v.id, r);
    if (!fs.existsSync(file)) throw new HallmarkError('not_found', `${label}: the file ${quote(r)} is missing at ${quote(file)}`);
    return file;
  };
  if (card && !ref.file) {
    // An adapter-mode embed version: its base GGUF with its LoRA adapter applied, as it was trained and audited.
    if (!v.files.some((f) => f.path === card.base) || !v.files.some((f) => f.path === card.adapter)) {
      throw new HallmarkError('not_found', `${label} is an adapter version but lacks ${quote(card.base)} or ${quote(card.adapter)}`);
    }
    return {
      path: fileOf(card.base), format: 'gguf', versionId: v.id, key: `version:${v.id}`,
      label: `${label} (base ${card.base} + adapter ${card.adapter})`, adapters: [fileOf(card.adapter)],
    };
  }
  const picked = pickFile(v.files, rel ?? undefined, label);
  const file = fileOf(picked);
  return { path: file, format: detectFormat(file, picked), versionId: v.id, key: `version:${v.id}`, label, adapters: [] };
}

/** One --adapter: a GGUF LoRA file, or NAME@VERSION of a registered version holding one (its card's adapter or its only GGUF). */
function resolveAdapter(ctx: AppContext, arg: string): { path: string; label: string } {
  const ref = parseModelArg(arg);
  if ('path' in ref) {
    const abs = path.resolve(ref.path);
    if (!fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) throw new HallmarkError('not_found', `no such adapter file: ${quote(arg)}`);
    if (detectFormat(abs) !== 'gguf') throw new HallmarkError('wrong_format', `the adapter ${quote(arg)} is not a GGUF file`);
    return { path: abs, label: path.basename(abs) };
  }
  const reg = ctx.registry;
  const found = 'versionId' in ref ? reg.versionById(ref.versionId) : reg.version(ref.name, ref.version);
  const v = reg.version(found.model, found.version);
  const label = `${v.model}@${v.version}`;
  const rel = ref.file ?? adapterCard(v.config)?.adapter ?? pickFile(v.files, undefined, label);
  if (!v.files.some((f) => f.path === rel)) throw new HallmarkError('not_found', `${label} has no file ${quote(rel)}`);
  const file = reg.filePath(v.id, rel);
  if (!fs.existsSync(file)) throw new HallmarkError('not_found', `${label}: the file ${quote(rel)} is missing at ${quote(file)}`);
  if (detectFormat(file, rel) !== 'gguf') throw new HallmarkError('wrong_format', `the adapter ${label} is not a GGUF file`);
  return { path: file, label: `${label}:${rel}` };
}

/** The CLI's MODEL argument: an existing path, else NAME[@VERSION]. */
export function parseModelArg(arg: string): ModelRef {
  if (fs.existsSync(arg) || /[\\/]/.test(arg) || RUNNABLE.test(arg)) return { path: arg };
  return parseRef(arg);
}
