// Inspect and scan registered versions: their files are reached through the registry (vault blobs are
// named by hash, so the version's relative paths are what names and folder rules are judged by).
import path from 'node:path';
import type { Inspection } from '../../contract/scan';
import type { AppContext } from '../AppContext';
import { inspectSource } from '../formats/inspect';
import { FileSource, FormatError } from '../formats/io';
import type { JobHandle } from '../jobs/JobManager';
import { scanFiles, SCANNER_VERSION, type ScanItem, type SiblingLookup } from './scanner';
import { saveFailedScan, saveInspection, saveScan, verdictOf } from './store';

export const INSPECTOR_VERSION = '1.0.0';
const MAX_INSPECT_FILES = 5000;

interface VersionFile {
  rel: string;
  abs: string;
  size: number;
}

function versionFiles(ctx: AppContext, versionId: number): { files: VersionFile[]; label: string } {
  const reg = ctx.registry;
  const v = reg.versionById(versionId);
  return { files: reg.files(versionId).map((f) => ({ rel: f.path, abs: reg.filePath(versionId, f.path), size: f.size })), label: `${v.model}@${v.version}` };
}

/** Relative references inside a version resolve among the version's own files, never the disk. */
function versionSiblings(files: VersionFile[], from: string): SiblingLookup {
  const byRel = new Map(files.map((f) => [f.rel, f]));
  return async (rel) => {
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), rel.replace(/\\/g, '/')));
    if (joined.startsWith('../') || joined === '..' || path.posix.isAbsolute(joined)) return 'outside';
    const f = byRel.get(joined);
    return f ? { path: f.abs, size: f.size } : null;
  };
}

/** Version-level format of a multi-file version, from its file names and per-file formats. */
function folderFormat(files: Array<{ path: string; metadata: Inspection }>): string {
  const names = new Set(files.map((f) => f.path));
  if ([...names].some((n) => path.posix.basename(n) === 'saved_model.pb')) return 'tf-savedmodel';
  if (['config.json', 'tokenizer.json', 'tokenizer_config.json'].some((n) => names.has(n)) || files.some((f) => f.metadata.format === 'hf-index')) return 'hf-folder';
  const weights = files.filter((f) => ['gguf', 'safetensors', 'onnx', 'pytorch', 'pytorch-legacy', 'keras', 'keras-h5', 'joblib', 'pickle'].includes(f.metadata.format));
  const kinds = new Set(weights.map((w) => w.metadata.format));
  return kinds.size === 1 ? [...kinds][0]! : 'directory';
}

export async function inspectVersion(ctx: AppContext, versionId: number, job?: JobHandle): Promise<void> {
  const { files } = versionFiles(ctx, versionId);
  const per: Array<{ path: string; metadata: Inspection; error: string | null }> = [];
  let done = 0;
  const total = files.reduce((a, f) => a + f.size, 0);
  for (const f of files.slice(0, MAX_INSPECT_FILES)) {
    job?.throwIfCancelled();
    try {
      const src = await FileSource.open(f.abs);
      try {
        const m = await inspectSource(src, path.posix.basename(f.rel));
        per.push({ path: f.rel, metadata: { ...m, name: path.posix.basename(f.rel) }, error: typeof m.error === 'string' ? m.error : null });
      } finally {
        await src.close();
      }
    } catch (e) {
      if (!(e instanceof FormatError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      per.push({ path: f.rel, metadata: { format: 'unknown' }, error: (e as Error).message });
    }
    done += f.size;
    job?.progress(done, total, `inspecting ${f.rel}`);
  }
  let inspection: Inspection;
  let format: string;
  if (per.length === 1) {
    inspection = per[0]!.metadata;
    format = inspection.format;
  } else {
    format = folderFormat(per);
    const pick = (name: string): Inspection | undefined => per.find((p) => p.path === name)?.metadata;
    inspection = {
      format,
      fileCount: files.length,
      bytes: total,
      files: per.map((p) => ({ path: p.path, format: p.metadata.format, ...(p.error ? { error: p.error } : {}) })),
      ...(pick('config.json') ? { config: pick('config.json') } : {}),
      ...(pick('tokenizer_config.json') ? { tokenizer: pick('tokenizer_config.json') } : {}),
      ...(per.some((p) => p.metadata.format === 'hf-index') ? { shardIndexes: Object.fromEntries(per.filter((p) => p.metadata.format === 'hf-index').map((p) => [p.path, p.metadata])) } : {}),
      weightFormats: [...new Set(per.map((p) => p.metadata.format).filter((f) => !['unknown', 'json', 'hf-config', 'hf-tokenizer', 'hf-index'].includes(f)))],
    };
  }
  saveInspection(ctx.db, versionId, { format, inspection, files: per, inspectorVersion: INSPECTOR_VERSION });
}

export async function scanVersion(ctx: AppContext, versionId: number, job?: JobHandle): Promise<{ scanId: number; verdict: 'clean' | 'findings' | 'error' }> {
  const { files, label } = versionFiles(ctx, versionId);
  const items: ScanItem[] = files.map((f) => ({ path: f.abs, display: f.rel, inFolder: files.length > 1, sibling: versionSiblings(files, f.rel) }));
  try {
    const report = await scanFiles(items, {
      ...(job ? { signal: job.signal, onProgress: (d: number, t: number, file: string) => job.progress(d, t, `scanning ${file}`) } : {}),
    });
    const scanId = saveScan(ctx.db, report, { versionId, target: label, jobId: job?.id ?? null });
    return { scanId, verdict: verdictOf(report) };
  } catch (e) {
    job?.throwIfCancelled();
    const scanId = saveFailedScan(ctx.db, { versionId, target: label, jobId: job?.id ?? null, error: (e as Error).message, scannerVersion: SCANNER_VERSION });
    return { scanId, verdict: 'error' };
  }
}
