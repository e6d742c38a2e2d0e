// Importing what the user dropped or picked: in Electron the real paths go to registry.import; in a
// browser each file is uploaded to the bridge first (folders walked with webkitGetAsEntry, relative
// paths kept), then the upload folder is imported. Every step reports progress and every failure.
import type { ImportResult } from '../../../electron/contract/registry';
import { api, discardUpload, importUpload, isElectron, pathForFile, uploadFile } from '../api/client';
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

/** Follows an import job to the end and says how it went. */
export async function followImport(jobId: string, label: string): Promise<ImportResult | null> {
  const { toast } = useApp.getState();
  try {
    const job = await awaitJob(jobId);
    if (job.state !== 'done') {
      toast({ kind: 'error', title: `Import of ${label} ${job.state}`, detail: job.error ?? undefined });
      return null;
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
    return r;
  } catch (e) {
    toast({ kind: 'error', title: `Lost track of the import of ${label}`, detail: errorText(e) });
    return null;
  }
}

/** Uploads an item's files under one bridge-issued upload id; null (and nothing left behind) on failure. */
async function uploadItem(item: DropItem): Promise<string | null> {
  const { setUpload, patchUpload } = useJobs.getState();
  const total = item.files.reduce((s, f) => s + f.file.size, 0);
  const id = `upload-${newLocalId()}`;
  const controller = new AbortController();
  const started = performance.now();
  setUpload({
    id, kind: 'upload', title: `Upload ${item.name}`, state: 'running', doneBytes: 0, totalBytes: total,
    bytesPerSec: null, etaSec: null, error: null, createdAt: new Date().toISOString(), cancel: () => controller.abort(),
  });
  let base = 0;
  let last = 0;
  const report = (done: number, force = false) => {
    const now = performance.now();
    if (!force && now - last < 150) return;
    last = now;
    const secs = (now - started) / 1000;
    const bps = secs > 0.2 ? done / secs : null;
    patchUpload(id, { doneBytes: done, bytesPerSec: bps, etaSec: bps ? (total - done) / bps : null });
  };
  let upload: string | null = null;
  try {
    if (!item.files.length) throw new Error(`the folder ${q(item.name)} is empty`);
    for (const f of item.files) {
      // Folders keep their inner layout; a single file keeps its own name.
      const rel = item.kind === 'folder' ? f.rel : f.file.name;
      upload = (await uploadFile(upload, rel, f.file, (loaded) => report(base + loaded), controller.signal)).upload;
      base += f.file.size;
      report(base, true);
    }
    patchUpload(id, { state: 'done', doneBytes: total, etaSec: 0 });
    return upload;
  } catch (e) {
    // Free the server's temp space now rather than when the bridge stops.
    if (upload) void discardUpload(upload).catch(() => undefined);
    const cancelled = controller.signal.aborted;
    patchUpload(id, { state: cancelled ? 'cancelled' : 'failed', error: errorText(e) });
    useApp.getState().toast({ kind: 'error', title: cancelled ? `Upload of ${item.name} cancelled` : `Upload of ${item.name} failed`, detail: errorText(e) });
    return null;
  }
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
  await Promise.all(items.map(async (item) => {
    let upload: string | null = null;
    try {
      if (isElectron()) {
        if (!item.path) throw new Error(`no path on disk for ${q(item.name)}; drop it from a local folder`);
        const { jobId } = await api.call('registry.import', { path: item.path, inPlace: mode === 'in_place' });
        await followImport(jobId, item.name);
        return;
      }
      upload = await uploadItem(item);
      if (!upload) return;
      const { jobId } = await importUpload(upload, { uploadedAs: item.name, folder: item.kind === 'folder' });
      upload = null; // the bridge owns it now and removes it when the job ends
      await followImport(jobId, item.name);
    } catch (e) {
      // Refused before a job started (e.g. the mode changed meanwhile): free the server's temp copy now.
      if (upload) void discardUpload(upload).catch(() => undefined);
      toast({ kind: 'error', title: `Could not import ${item.name}`, detail: errorText(e) });
    }
  }));
}
