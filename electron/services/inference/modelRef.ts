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
  /** For people: "name@3" or the file name. */
  label: string;
}

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
  if ('path' in ref) {
    const abs = path.resolve(ref.path);
    if (!fs.existsSync(abs)) throw new HallmarkError('not_found', `no such file: ${quote(ref.path)}`);
    if (!fs.statSync(abs).isFile()) throw new HallmarkError('invalid_input', `${quote(ref.path)} is not a file`);
    return { path: abs, format: detectFormat(abs), versionId: null, key: `path:${abs}`, label: path.basename(abs) };
  }
  const reg = ctx.registry;
  const v = 'versionId' in ref ? reg.versionById(ref.versionId) : reg.version(ref.name, ref.version);
  const label = `${v.model}@${v.version}`;
  const rel = pickFile(reg.files(v.id), ref.file, label);
  const file = reg.filePath(v.id, rel);
  if (!fs.existsSync(file)) throw new HallmarkError('not_found', `${label}: the file ${quote(rel)} is missing at ${quote(file)}`);
  return { path: file, format: detectFormat(file, rel), versionId: v.id, key: `version:${v.id}`, label };
}

/** The CLI's MODEL argument: an existing path, else NAME[@VERSION]. */
export function parseModelArg(arg: string): ModelRef {
  if (fs.existsSync(arg) || /[\\/]/.test(arg) || RUNNABLE.test(arg)) return { path: arg };
  return parseRef(arg);
}
