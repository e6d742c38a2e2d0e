import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import type { ImportOptions, ImportResult } from '../../contract/registry';
import { ImportOptions as ImportOptionsSchema } from '../../contract/registry';
import type { AppContext } from '../AppContext';
import { formatZod, HallmarkError, productError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { applyDetectedMeta } from '../evaluate/detect';
import { describeKind, fileError, hashFile, type IngestResult } from './BlobStore';
import { safeZipPath } from './paths';

/** Limits that stop a hostile zip from filling the disk: entry count, expansion ratio, total size. */
export const ZIP_LIMITS = {
  maxEntries: 100_000,
  /** Ratio above which an entry (bigger than ratioFloor) is treated as a bomb; real weights compress < 3:1. */
  maxRatio: 200,
  ratioFloor: 1 << 20,
  maxTotal: 512 * 2 ** 30,
  /**
   * Many entries each under ratioFloor add up (2,000 × 1 MiB of zeros is a 2 MB zip): the whole archive
   * is held to maxRatio too once it expands past this.
   */
  totalRatioFloor: 64 << 20,
};
const MAX_FOLDER_FILES = 200_000;

interface Source {
  /** Path inside the version, always with forward slashes. */
  rel: string;
  size: number;
  /** A file on disk … */
  abs?: string;
  /** … or an entry of an open zip. */
  zipEntry?: yauzl.Entry;
  mtimeMs?: number;
}

export interface ImportPlan {
  kind: 'file' | 'folder' | 'zip';
  root: string;
  sources: Source[];
  zip?: yauzl.ZipFile;
  total: number;
  defaultName: string;
}

const EXT_FRAMEWORK: Record<string, string> = {
  '.gguf': 'gguf', '.safetensors': 'safetensors', '.onnx': 'onnx', '.pt': 'pytorch', '.pth': 'pytorch', '.bin': 'pytorch',
  '.ckpt': 'pytorch', '.h5': 'keras', '.hdf5': 'keras', '.keras': 'keras', '.pkl': 'pickle', '.joblib': 'pickle',
  '.pb': 'tensorflow', '.xgb': 'xgboost', '.ubj': 'xgboost', '.cbm': 'catboost',
};

/** A first guess from names only; the inspector refines the format from the bytes. */
export function guessFramework(rels: string[]): string {
  if (rels.some((r) => path.posix.basename(r) === 'config.json') && rels.some((r) => /\.(safetensors|bin)$/.test(r))) return 'huggingface';
  const counts = new Map<string, number>();
  for (const r of rels) {
    const fw = EXT_FRAMEWORK[path.posix.extname(r).toLowerCase()];
    if (fw) counts.set(fw, (counts.get(fw) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'other';
}

export function defaultModelName(p: string): string {
  const base = path.basename(p).replace(/\.(zip|gguf|safetensors|onnx|pt|pth|bin|ckpt|h5|hdf5|keras|pkl|joblib|pb|npz|npy)$/i, '');
  const clean = base.replace(/[^A-Za-z0-9._ +-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  return clean || 'model';
}

/** Looks at the path and lists what would be imported, refusing anything unsafe before a byte is copied. */
export async function planImport(p: string, uploadedAs?: string): Promise<ImportPlan> {
  let st: fs.Stats;
  try {
    st = await fsp.lstat(p);
  } catch (e) {
    throw fileError(e, p);
  }
  if (st.isSymbolicLink()) {
    try {
      st = await fsp.stat(p);
    } catch (e) {
      throw fileError(e, p);
    }
  }
  const displayName = uploadedAs ?? path.basename(p);
  if (st.isDirectory()) return planFolder(p, displayName);
  if (!st.isFile()) throw new HallmarkError('not_regular_file', `${quote(p)} is ${describeKind(st)}; import takes a file, a folder or a .zip`);
  if (/\.zip$/i.test(displayName) && (await isZip(p))) return planZip(p, displayName);
  return { kind: 'file', root: path.dirname(p), sources: [{ rel: path.basename(p), abs: p, size: st.size, mtimeMs: st.mtimeMs }], total: st.size, defaultName: defaultModelName(displayName) };
}

async function isZip(p: string): Promise<boolean> {
  const fh = await fsp.open(p, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b.readUInt32LE(0) === 0x04034b50 || b.readUInt32LE(0) === 0x06054b50;
  } finally {
    await fh.close();
  }
}

async function planFolder(root: string, displayName: string): Promise<ImportPlan> {
  const realRoot = await fsp.realpath(root);
  const sources: Source[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string, relDir: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw fileError(e, dir);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const ent of entries) {
      const abs = path.join(dir, ent.name);
      const rel = relDir ? `${relDir}/${ent.name}` : ent.name;
      let st: fs.Stats;
      try {
        st = await fsp.lstat(abs);
        if (st.isSymbolicLink()) {
          const target = await fsp.realpath(abs);
          if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
            throw new HallmarkError('symlink_escape', `symlink ${quote(rel)} points outside the folder (to ${quote(target)}); refusing to import it`);
          }
          st = await fsp.stat(abs);
        }
      } catch (e) {
        throw e instanceof HallmarkError ? e : fileError(e, abs);
      }
      if (st.isDirectory()) {
        const real = await fsp.realpath(abs);
        if (seen.has(real)) continue; // a link back to a folder already walked
        seen.add(real);
        await walk(abs, rel);
      } else if (st.isFile()) {
        sources.push({ rel, abs, size: st.size, mtimeMs: st.mtimeMs });
        if (sources.length > MAX_FOLDER_FILES) throw new HallmarkError('too_many_files', `${quote(root)} has more than ${MAX_FOLDER_FILES} files`);
      } else {
        throw new HallmarkError('not_regular_file', `${quote(rel)} in the folder is ${describeKind(st)}; remove it or import the files one by one`);
      }
    }
  };
  seen.add(realRoot);
  await walk(root, '');
  if (!sources.length) throw new HallmarkError('empty', `${quote(root)} contains no files`);
  checkCaseCollisions(sources.map((s) => s.rel));
  return { kind: 'folder', root, sources, total: sources.reduce((s, x) => s + x.size, 0), defaultName: defaultModelName(displayName) };
}

function checkCaseCollisions(rels: string[]): void {
  const seen = new Map<string, string>();
  for (const r of rels) {
    const k = r.toLowerCase();
    const prev = seen.get(k);
    if (prev !== undefined) throw new HallmarkError('duplicate_path', `${quote(prev)} and ${quote(r)} differ only in case or are duplicated; they would collide on export`);
    seen.set(k, r);
  }
}

async function planZip(p: string, displayName: string): Promise<ImportPlan> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(p, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
      err ? reject(new HallmarkError('bad_zip', `${quote(p)} is not a readable zip: ${err.message}`)) : resolve(z)));
  try {
    if (zip.entryCount > ZIP_LIMITS.maxEntries) throw new HallmarkError('zip_bomb', `${quote(p)} has ${zip.entryCount} entries (limit ${ZIP_LIMITS.maxEntries})`);
    const sources: Source[] = [];
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (e: Error) => reject(new HallmarkError('bad_zip', `${quote(p)}: ${e.message}`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          // We decode names ourselves so that hostile ones reach our checks with a precise error.
          const raw = entry.fileName as unknown as Buffer;
          const name = raw.toString(entry.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1');
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode === 0o120000) throw new HallmarkError('zip_symlink', `zip entry ${quote(name)} is a symbolic link; refusing to extract`);
          if (name.endsWith('/')) {
            safeZipPath(name);
            zip.readEntry();
            return;
          }
          const rel = safeZipPath(name);
          const u = entry.uncompressedSize;
          if (u > ZIP_LIMITS.ratioFloor && u / Math.max(1, entry.compressedSize) > ZIP_LIMITS.maxRatio) {
            throw new HallmarkError('zip_bomb', `zip entry ${quote(name)} expands ${Math.round(u / Math.max(1, entry.compressedSize))}× (${u} bytes from ${entry.compressedSize}); limit ${ZIP_LIMITS.maxRatio}×`);
          }
          total += u;
          if (total > ZIP_LIMITS.maxTotal) throw new HallmarkError('zip_bomb', `${quote(p)} expands to more than ${ZIP_LIMITS.maxTotal} bytes`);
          sources.push({ rel, size: u, zipEntry: entry, mtimeMs: entry.getLastModDate().getTime() });
          zip.readEntry();
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      zip.readEntry();
    });
    if (!sources.length) throw new HallmarkError('empty', `${quote(p)} contains no files`);
    const archiveSize = (await fsp.stat(p)).size;
    if (total > ZIP_LIMITS.totalRatioFloor && total / Math.max(1, archiveSize) > ZIP_LIMITS.maxRatio) {
      throw new HallmarkError('zip_bomb', `${quote(p)} expands ${Math.round(total / Math.max(1, archiveSize))}× in all (${total} bytes from ${archiveSize}); limit ${ZIP_LIMITS.maxRatio}×`);
    }
    const dup = sources.map((s) => s.rel);
    if (new Set(dup).size !== dup.length) {
      const d = dup.find((r, i) => dup.indexOf(r) !== i);
      throw new HallmarkError('duplicate_path', `zip ${quote(p)} has the entry ${quote(d)} more than once`);
    }
    checkCaseCollisions(dup);
    return { kind: 'zip', root: p, sources, zip, total, defaultName: defaultModelName(displayName) };
  } catch (e) {
    zip.close();
    throw e;
  }
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(new HallmarkError('bad_zip', `zip entry ${quote(String(entry.fileName))}: ${err.message}`)) : resolve(s))));
}

/** Order-independent identity of a version's content. */
export function contentHash(files: Array<{ path: string; size: number; sha256: string }>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${f.path}\0${f.size}\0${f.sha256}\n`);
  return h.digest('hex');
}

async function checkFreeSpace(dir: string, need: number): Promise<void> {
  try {
    const s = await fsp.statfs(dir);
    const free = Number(s.bavail) * Number(s.bsize);
    if (need > free) throw new HallmarkError('disk_full', `importing needs ${need} bytes but only ${free} are free in ${quote(dir)}; free some space or register in place`);
  } catch (e) {
    if (e instanceof HallmarkError) throw e;
  }
}

/** Runs small files concurrently (their hashing runs in the thread pool); big ones stream one at a time. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < items.length && failed === null) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
  return out;
}

export interface ImportTuning {
  /** Files hashed at once; defaults to one per core (bench compares 1 vs many). */
  concurrency?: number;
  /** Refuse up front when the vault's disk lacks room (default on; tests turn it off to reach a real ENOSPC mid-copy). */
  checkSpace?: boolean;
  /** The version this one derives from when not the model's previous one (an embed's base). */
  parentId?: number | null;
}

/** Imports a file, folder or zip as a new (or existing, when identical) version. */
export async function importPath(ctx: AppContext, input: ImportOptions, job: JobHandle, tuning: ImportTuning = {}): Promise<ImportResult> {
  const parsed = ImportOptionsSchema.safeParse(input);
  if (!parsed.success) throw new HallmarkError('invalid_input', `invalid import options: ${formatZod(parsed.error)}`);
  const o = parsed.data;
  const plan = await planImport(o.path, o.uploadedAs);
  const registry = ctx.registry;
  const ingested = new Set<string>();
  try {
    if (o.inPlace && plan.kind === 'zip') throw new HallmarkError('in_place_zip', `a zip cannot be registered in place; import it into the vault instead`);
    if (o.inPlace && o.uploadedAs) throw new HallmarkError('in_place_upload', `an uploaded file cannot be registered in place`);
    if (!o.inPlace && tuning.checkSpace !== false) await checkFreeSpace(ctx.blobs.root, plan.total);
    // Hashing and the post-import scan each pass over every byte: one half of the job's progress each.
    job.phase?.(0, 0.5);
    job.progress(0, plan.total, `hashing ${plan.sources.length} file(s)`);
    let done = 0;
    const tick = (n: number) => {
      done += n;
      job.progress(done, plan.total);
    };
    const concurrency = tuning.concurrency ?? Math.max(2, (await import('node:os')).availableParallelism());
    const ingest = async (s: Source): Promise<IngestResult> => {
      job.throwIfCancelled();
      if (s.zipEntry) {
        const r = await ctx.blobs.ingestStream(await openEntry(plan.zip!, s.zipEntry), job.signal, tick, s.size);
        ingested.add(r.sha256);
        return r;
      }
      if (o.inPlace) return hashFile(s.abs!, job.signal, tick);
      const r = await ctx.blobs.ingestFile(s.abs!, job.signal, tick);
      ingested.add(r.sha256);
      return r;
    };
    // Zip entries share one file descriptor and stream in order; files on disk run in parallel.
    const results = plan.kind === 'zip'
      ? await mapLimit(plan.sources, 1, ingest)
      : await mapLimit(plan.sources, concurrency, ingest);
    job.throwIfCancelled();
    const files = plan.sources.map((s, i) => ({ path: s.rel, size: results[i]!.size, sha256: results[i]!.sha256, mtimeMs: s.mtimeMs ?? null }));
    const name = o.name ?? plan.defaultName;
    const newModel = !registry.findModel(name);
    const commit = () => registry.commitVersion({
      name,
      description: o.description,
      framework: o.framework ?? (registry.findModel(name) ? undefined : guessFramework(files.map((f) => f.path))),
      modelType: o.modelType,
      tags: o.tags,
      storage: o.inPlace ? 'in_place' : 'vault',
      sourcePath: o.inPlace ? path.resolve(plan.root) : null,
      contentHash: contentHash(files),
      files,
      metrics: o.metrics,
      config: o.config,
      notes: o.notes,
      dedupe: !o.newVersion,
      parentId: tuning.parentId,
    });
    let committed: ReturnType<typeof commit>;
    try {
      committed = commit();
    } catch (e) {
      if (!(e instanceof HallmarkError && e.code === 'blob_missing')) throw e;
      // A concurrent delete removed a blob we found already present (or had just written): ingest those
      // files once more from their source; if they vanish again, fail without committing.
      const missing = new Set((e.details as { missing: string[] }).missing);
      for (const [i, src] of plan.sources.entries()) {
        if (!missing.has(results[i]!.sha256)) continue;
        const again = await ingest(src);
        if (again.sha256 !== results[i]!.sha256) throw new HallmarkError('changed_while_reading', `${quote(src.rel)} changed during the import; retry once it is no longer being written`);
      }
      committed = commit();
    }
    job.phase?.(0.5, 1);
    if (committed.created) await ctx.runVersionHooks(committed.versionId, job);
    // A new model's framework and type come from its files' headers (a pickle's imports, an objective,
    // ONNX outputs, GGUF metadata), never from the extension alone; what the user gave is kept.
    if (committed.created && newModel) await applyDetectedMeta(ctx, committed.versionId, name, { framework: o.framework !== undefined, modelType: o.modelType !== undefined });
    // The verdict travels with the result: "imported" must never read as "safe" when the scan found danger.
    const scan = ctx.registry.latestScan(committed.versionId);
    const danger = ctx.registry.dangerousFindings(committed.versionId);
    return { model: committed.model, version: committed.version, files: committed.files, created: committed.created, scan, danger };
  } catch (e) {
    // Blobs this failed import wrote stay behind only if a committed version uses them (same trash
    // protocol as delete, so a concurrent import about to commit one of them re-ingests it).
    if (ingested.size) {
      try {
        registry.reclaimBlobs(() => null, () => ingested);
      } catch {
        // best effort (the disk may be full): `hallmark gc` removes what is left
      }
    }
    throw productError(e);
  } finally {
    plan.zip?.close();
  }
}
