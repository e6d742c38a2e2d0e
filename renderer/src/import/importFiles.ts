// Importing what the user dropped or picked: in Electron the real paths go to registry.import; in a
// browser each file is uploaded to the bridge first (folders walked with webkitGetAsEntry, relative
// paths kept), then the upload folder is imported. Every step reports progress and every failure.
import type { ImportResult } from '../../../electron/contract/registry';
import { api, ApiError, discardUpload, importUpload, isElectron, pathForFile, uploadFile } from '../api/client';
import { modelHref } from '../lib/route';
import { errorText, fmtBytes, q } from '../lib/format';
import { useApp, type ImportMode } from '../store/appStore';
import { awaitJob, useJobs } from '../store/jobsStore';

export interface DropItem {
  name: string;
  kind: 'file' | 'folder';
  files: Array<{ rel: string; file: File }>;
  /** The path on disk (Electron only). */
  path: string | null;
}

async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const out: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call: call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return out;
    out.push(...batch);
  }
}

async function walk(dir: FileSystemDirectoryEntry, prefix: string, out: Array<{ rel: string; file: File }>): Promise<void> {
  for (const e of await readAll(dir.createReader())) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) await walk(e as FileSystemDirectoryEntry, rel, out);
    else if (e.isFile) {
      const file = await new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject));
      out.push({ rel, file });
    }
  }
}

/**
 * Reads a drop. The DataTransfer is only readable during the event, so entries and files are taken
 * synchronously here; folder walking continues afterwards.
 */
export function collectDrop(dt: DataTransfer): Promise<DropItem[]> {
  const taken: Array<{ entry: FileSystemEntry | null; file: File | null }> = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    taken.push({ entry: typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null, file: item.getAsFile() });
  }
  if (!taken.length) for (const file of Array.from(dt.files ?? [])) taken.push({ entry: null, file });
  return Promise.all(taken.map(async ({ entry, file }): Promise<DropItem> => {
    const path = file ? pathForFile(file) : null;
    if (entry?.isDirectory) {
      const files: DropItem['files'] = [];
      // Electron imports the folder by path; only the browser needs its contents.
      if (!isElectron()) await walk(entry as FileSystemDirectoryEntry, '', files);
      return { name: entry.name, kind: 'folder', files, path };
    }
    if (!file) throw new Error(`could not read the dropped item ${q(entry?.name ?? '?')}`);
    return { name: file.name, kind: 'file', files: [{ rel: file.name, file }], path };
  }));
}

export function itemsFromFileList(list: FileList | File[]): DropItem[] {
  return Array.from(list).map((file) => ({ name: file.name, kind: 'file', files: [{ rel: file.name, file }], path: pathForFile(file) }));
}

const newLocalId = (): string => (crypto.randomUUID?.() ?? `${Date.now()}${Math.random()}`).replace(/[^A-Za-z0-9]/g, '').slice(0, 32);

/** Follows an import job to the end and says how it went; a failure comes back as its reason. */
export async function followImport(jobId: string, label: string): Promise<{ result: ImportResult | null; error: string | null }> {
  const { toast } = useApp.getState();
  try {
    const job = await awaitJob(jobId);
    if (job.state !== 'done') {
      const error = job.error ?? `the import ${job.state}`;
      toast({ kind: 'error', title: `Import of ${label} ${job.state}`, detail: error });
      return { result: null, error };
    }
    const r = job.result as ImportResult;
    const what = r.created ? `Imported ${r.model}@${r.version}` : `Already registered as ${r.model}@${r.version}`;
    const size = `${r.files.length} file(s), ${fmtBytes(r.files.reduce((s, f) => s + f.size, 0))}`;
    if (r.danger) {
      // Never a green "Imported" for a file that runs code when loaded: the verdict is the title.
      const d = r.danger;
      const n = [d.critical ? `${d.critical} critical` : '', d.high ? `${d.high} high` : ''].filter(Boolean).join(' and ');
      toast({
        kind: 'danger',
        title: `${what} with ${n} finding${d.critical + d.high === 1 ? '' : 's'}`,
        detail: `Do not load it. ${d.rules.slice(0, 2).map((x) => `${x.rule}: ${x.detail}`).join('; ')}`,
        action: { label: 'Review', href: modelHref(r.model, r.version, 'security') },
      });
    } else {
      const verdict = !r.scan ? 'not scanned yet' : r.scan.verdict === 'clean' ? 'scan: clean' : r.scan.verdict === 'findings' ? `scan: ${r.scan.findings} finding(s), worst ${r.scan.worst ?? '?'}` : 'scan: some files could not be read';
      toast({
        kind: r.scan?.verdict === 'findings' || r.scan?.verdict === 'error' ? 'info' : 'success',
        title: what,
        detail: `${size} · ${verdict}`,
        action: { label: 'Open', href: modelHref(r.model, r.version) },
      });
    }
    return { result: r, error: null };
  } catch (e) {
    toast({ kind: 'error', title: `Lost track of the import of ${label}`, detail: errorText(e) });
    return { result: null, error: errorText(e) };
  }
}

/**
 * Uploads an item's files under one bridge-issued upload id, reporting into the import's task;
 * null (and nothing left behind) on failure.
 */
async function uploadItem(item: DropItem, id: string, signal: AbortSignal): Promise<string | null> {
  const { patchImport } = useJobs.getState();
  const total = item.files.reduce((s, f) => s + f.file.size, 0);
  const started = performance.now();
  let base = 0;
  let last = 0;
  const report = (done: number, force = false) => {
    const now = performance.now();
    if (!force && now - last < 150) return;
    last = now;
    const secs = (now - started) / 1000;
    const bps = secs > 0.2 ? done / secs : null;
    patchImport(id, { doneBytes: done, bytesPerSec: bps, etaSec: bps ? (total - done) / bps : null });
  };
  let upload: string | null = null;
  try {
    if (!item.files.length) throw new Error(`the folder ${q(item.name)} is empty`);
    for (const f of item.files) {
      // Folders keep their inner layout; a single file keeps its own name.
      const rel = item.kind === 'folder' ? f.rel : f.file.name;
      upload = (await uploadFile(upload, rel, f.file, (loaded) => report(base + loaded), signal)).upload;
      base += f.file.size;
      report(base, true);
    }
    patchImport(id, { doneBytes: total, etaSec: 0 });
    return upload;
  } catch (e) {
    // Free the server's temp space now rather than when the bridge stops.
    if (upload) void discardUpload(upload).catch(() => undefined);
    const cancelled = signal.aborted;
    patchImport(id, { state: cancelled ? 'cancelled' : 'failed', error: cancelled ? 'cancelled during the upload' : `upload failed: ${errorText(e)}` });
    useApp.getState().toast({ kind: 'error', title: cancelled ? `Upload of ${item.name} cancelled` : `Upload of ${item.name} failed`, detail: errorText(e) });
    return null;
  }
}

/** One item, one task: upload (browser) and import job report into the same row. */
async function importItem(item: DropItem, mode: ImportMode): Promise<void> {
  const { setImport, patchImport } = useJobs.getState();
  const viaUpload = !isElectron();
  const id = `import-${newLocalId()}`;
  const controller = new AbortController();
  let jobId: string | null = null;
  setImport({
    id, kind: 'import', name: item.name, title: `Import ${item.name}`, state: 'running', viaUpload,
    phase: viaUpload ? 'uploading' : 'importing', doneBytes: 0, totalBytes: item.files.reduce((s, f) => s + f.file.size, 0),
    bytesPerSec: null, etaSec: null, jobId: null, result: null, error: null, createdAt: new Date().toISOString(),
    // Cancel reaches whichever half runs now: the upload here, or the server's job.
    cancel: () => {
      controller.abort();
      if (jobId) void api.call('jobs.cancel', { id: jobId }).catch(() => undefined);
    },
  });
  let upload: string | null = null;
  if (viaUpload) {
    upload = await uploadItem(item, id, controller.signal);
    if (!upload) return;
  }

  /** Starts the server's import (the bytes are there: uploaded, or on disk) and follows it to the end. */
  const run = async (allowUnknown: boolean): Promise<void> => {
    try {
      if (controller.signal.aborted) throw new Error('cancelled');
      if (upload) {
        ({ jobId } = await importUpload(upload, { uploadedAs: item.name, folder: item.kind === 'folder', allowUnknown }));
      } else {
        if (!item.path) throw new Error(`no path on disk for ${q(item.name)}; drop it from a local folder`);
        ({ jobId } = await api.call('registry.import', { path: item.path, inPlace: mode === 'in_place', allowUnknown }));
      }
    } catch (e) {
      const notModel = e instanceof ApiError && e.code === 'not_a_model';
      // Refused before a job started. Not a model: the user may still register it ("Import anyway"),
      // so the upload stays until they choose; anything else frees the bridge's copy now.
      const discard = () => {
        if (upload) void discardUpload(upload).catch(() => undefined);
      };
      if (!notModel) discard();
      patchImport(id, {
        state: 'failed', error: errorText(e),
        retry: notModel ? { label: 'Import anyway', run: () => { patchImport(id, { state: 'running', phase: 'importing', error: null, retry: undefined, onDismiss: undefined }); void run(true); } } : undefined,
        onDismiss: notModel ? discard : undefined,
      });
      useApp.getState().toast({ kind: 'error', title: notModel ? `${item.name} is not a model` : `Could not import ${item.name}`, detail: errorText(e) });
      return;
    }
    patchImport(id, { phase: 'importing', jobId });
    const { result, error } = await followImport(jobId, item.name);
    const job = useJobs.getState().jobs[jobId];
    if (result) patchImport(id, { state: 'done', result: { model: result.model, version: result.version } });
    else patchImport(id, { state: job?.state === 'cancelled' ? 'cancelled' : 'failed', error });
  };
  await run(false);
}

/** Imports dropped or picked items with the chosen mode (browser mode always copies into the vault). */
export async function importItems(items: DropItem[], mode: ImportMode): Promise<void> {
  const { toast } = useApp.getState();
  if (!items.length) {
    toast({ kind: 'error', title: 'Nothing to import', detail: 'the drop held no files or folders' });
    return;
  }
  // Maintenance refuses imports (the server decides); asking first spares a browser a multi-GB upload that
  // would only be refused at the end. A failed question just goes on: the server still refuses.
  const operating = await api.call('mode.get', {}).catch(() => null);
  if (operating?.mode === 'maintenance') {
    for (const item of items) toast({ kind: 'error', title: `Could not import ${item.name}`, detail: 'Hallmark is in maintenance mode: new jobs and imports are paused; switch back to inference mode from the status bar or with `hallmark mode inference`' });
    return;
  }
  await Promise.all(items.map((item) => importItem(item, mode)));
}
