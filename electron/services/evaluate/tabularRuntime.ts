// Which file of a version runs, through which runtime, and the gate in front of pickles. ONNX wins when the
// version has a converted model (in-process onnxruntime-node); otherwise the native XGBoost/LightGBM/CatBoost
// file or a pickle runs in the Python worker, a pickle only after its scan passed (no high/critical finding)
// AND the user confirmed (allowPickle). The worker is one child process per context, started on demand.
import path from 'node:path';
import { OnnxRuntimeError } from '../../../native/OnnxRuntime';
import { TabularWorker, TabularWorkerError } from '../../../native/TabularWorker';
import { describeDanger } from '../../contract/registry';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import { FileSource } from '../formats/io';
import { inspectSource } from '../formats/inspect';
import { runServices } from '../inference/RunServices';
import { parseRef } from '../registry/Registry';
import { onnxRunner, pythonRunner, type TabularRunner } from './runners';
import { tabularCommand } from './tabularEnv';

const PY_FORMATS = new Set(['pickle', 'joblib', 'xgboost', 'lightgbm', 'catboost']);

export interface OpenedModel {
  runner: TabularRunner;
  versionId: number;
  label: string;
  key: string;
  file: string;
  format: string;
  /** Frees what the runtime holds for this batch (the worker's copy of the model). */
  close(): Promise<void>;
}

const workers = new WeakMap<AppContext, Promise<TabularWorker>>();

/** The context's Python worker, started on first use and stopped with the context. */
export function tabularWorker(ctx: AppContext): Promise<TabularWorker> {
  let w = workers.get(ctx);
  if (!w) {
    const cmd = tabularCommand();
    w = TabularWorker.create({ python: cmd.python, pythonPath: cmd.pythonPath });
    workers.set(ctx, w);
    w.catch(() => workers.delete(ctx));
    const created = w;
    ctx.onDispose(async () => (await created.catch(() => null))?.dispose());
  }
  return w;
}

/** Native adapters' errors as HallmarkError (the model's own message is kept: it is what the user needs). */
export function asEvalError(e: unknown, label: string): unknown {
  if (e instanceof TabularWorkerError) {
    if (e.code === 'MODEL_ERROR') return new HallmarkError('model_error', `${label} raised: ${e.message}`);
    if (e.code === 'PICKLE_NOT_ALLOWED') return new HallmarkError('pickle_confirmation_required', e.message);
    return new HallmarkError(e.code.toLowerCase(), e.message);
  }
  if (e instanceof OnnxRuntimeError) return new HallmarkError(e.code === 'run_failed' ? 'model_error' : e.code, e.code === 'run_failed' ? `${label} raised: ${e.message}` : e.message);
  return e;
}

export interface OpenOptions {
  runtime?: 'auto' | 'onnx' | 'python';
  /** The user confirmed loading a pickle (CLI --allow-pickle, the app's confirm dialog). */
  allowPickle?: boolean;
  /** A file of the version to run (else the ONNX file, else the one tabular model file). */
  file?: string;
}

interface Choice { versionId: number; label: string; rel: string; format: string }

/**
 * Which file of NAME@VERSION runs and how, with the pickle gate applied, without loading anything: the UI
 * calls it before starting a job so a pickle's confirmation (or refusal) is asked up front.
 */
export async function chooseTabular(ctx: AppContext, ref: string | number, opts: OpenOptions = {}): Promise<Choice> {
  const reg = ctx.registry;
  let v;
  if (typeof ref === 'number') v = reg.versionById(ref);
  else {
    const r = parseRef(ref);
    v = reg.version(r.name, r.version);
  }
  const label = `${v.model}@${v.version}`;
  const files = reg.files(v.id);
  const runtime = opts.runtime ?? 'auto';
  const named = opts.file ? files.filter((f) => f.path === opts.file) : files;
  if (opts.file && !named.length) throw new HallmarkError('not_found', `${label} has no file ${quote(opts.file)}`);
  const onnx = named.filter((f) => /\.onnx$/i.test(f.path));
  if (runtime !== 'python' && onnx.length) {
    if (onnx.length > 1) throw new HallmarkError('ambiguous_model', `${label} has several ONNX files (${onnx.map((f) => f.path).join(', ')}); say which one`);
    return { versionId: v.id, label, rel: onnx[0]!.path, format: 'onnx' };
  }
  if (runtime === 'onnx') throw new HallmarkError('unsupported_format', `${label} has no ONNX file; run it with the Python runtime (--runtime python)`);
  // Tabular files by their bytes (a vault blob has no extension): the inspector's format, at most 64 looked at.
  const candidates: Array<{ rel: string; format: string }> = [];
  for (const f of named.slice(0, 64)) {
    const src = await FileSource.open(reg.filePath(v.id, f.path)).catch(() => null);
    if (!src) continue;
    try {
      const ins = await inspectSource(src, path.posix.basename(f.path));
      if (PY_FORMATS.has(ins.format)) candidates.push({ rel: f.path, format: ins.format === 'joblib' ? 'pickle' : ins.format });
    } catch {
      // unreadable: not a candidate
    } finally {
      await src.close();
    }
  }
  if (!candidates.length) throw new HallmarkError('unsupported_format', `${label} has no ONNX, pickle, XGBoost, LightGBM or CatBoost model file`);
  if (candidates.length > 1) throw new HallmarkError('ambiguous_model', `${label} has several model files (${candidates.map((c) => c.rel).join(', ')}); say which one`);
  const c = candidates[0]!;
  if (c.format === 'pickle') {
    const scan = reg.latestScan(v.id);
    if (!scan || scan.verdict === 'error') throw new HallmarkError('not_scanned', `${label} is a pickle that has not been scanned completely; scan it (hallmark scan) before loading it`);
    const danger = reg.dangerousFindings(v.id);
    if (danger) throw new HallmarkError('dangerous_findings', `refusing to load ${label}: its scan found ${describeDanger(danger)}; a pickle with such findings is never loaded`);
    if (!opts.allowPickle) {
      throw new HallmarkError('pickle_confirmation_required',
        `${label} is a pickle (${c.rel}): loading it runs code from the file. Its scan passed (${scan.findings} finding(s), worst ${scan.worst ?? 'none'}). Confirm with --allow-pickle (or in the app) to load it in the isolated Python worker`,
        { file: c.rel, scan });
    }
  }
  return { versionId: v.id, label, rel: c.rel, format: c.format };
}

/** Opens NAME@VERSION (or a version id) for tabular predictions. */
export async function openTabular(ctx: AppContext, ref: string | number, opts: OpenOptions = {}): Promise<OpenedModel> {
  const c = await chooseTabular(ctx, ref, opts);
  const file = ctx.registry.filePath(c.versionId, c.rel);
  const base = { versionId: c.versionId, label: c.label, key: `version:${c.versionId}`, file: c.rel, format: c.format };
  try {
    if (c.format === 'onnx') return { ...base, runner: onnxRunner(await runServices(ctx).onnx().open(file)), close: async () => undefined };
    const worker = await tabularWorker(ctx);
    const model = await worker.load(file, { format: c.format, allowPickle: c.format === 'pickle' && Boolean(opts.allowPickle) });
    return { ...base, runner: pythonRunner(worker, model), close: () => worker.unload(model) };
  } catch (e) {
    throw asEvalError(e, c.label);
  }
}
