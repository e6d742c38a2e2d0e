// Jobs as the services report them (job events + jobs.list), plus browser uploads, which are the
// renderer's own work before a server job exists. The status bar and the Jobs drawer read this.
import { create } from 'zustand';
import type { Job } from '../../../electron/contract/jobs';
import { api, ApiError } from '../api/client';

export const TERMINAL = new Set<Job['state']>(['done', 'failed', 'cancelled', 'interrupted']);
export const isActive = (j: { state: string }): boolean => j.state === 'queued' || j.state === 'running';

/**
 * One import the user started (drop, ⌘O), from the first byte uploaded to the registered version: the
 * one row the Jobs drawer and the Models table show for it. In browser mode the upload is its first
 * half and the server's import job (hash, then scan) the second; in Electron the job is all of it.
 */
export interface ImportTask {
  id: string;
  kind: 'import';
  /** What the user dropped or picked (file or folder name). */
  name: string;
  title: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Browser mode: the bytes go up to the bridge first. */
  viaUpload: boolean;
  phase: 'uploading' | 'importing';
  /** Upload bytes (browser mode). */
  doneBytes: number;
  totalBytes: number;
  bytesPerSec: number | null;
  etaSec: number | null;
  /** The server's import job once it exists. */
  jobId: string | null;
  /** The version it produced. */
  result: { model: string; version: number } | null;
  error: string | null;
  createdAt: string;
  /** Taken out of the Models table by the user. */
  dismissed?: boolean;
  /** A way past the failure the user can choose (a file that is no known model format: "Import anyway"). */
  retry?: { label: string; run: () => void };
  /** Cleanup when the user dismisses the failed import (frees a kept upload). */
  onDismiss?: () => void;
  cancel: () => void;
}

/** Overall progress 0..1 of an import: never goes back between the upload and the import job. */
export function importFraction(t: ImportTask, job: Job | undefined): number {
  if (t.state === 'done') return 1;
  const up = t.totalBytes > 0 ? Math.min(1, t.doneBytes / t.totalBytes) : t.phase === 'importing' ? 1 : 0;
  const server = job?.state === 'done' ? 1 : job?.fraction ?? (job?.totalBytes ? Math.min(1, job.doneBytes / job.totalBytes) * 0.5 : 0);
  if (!t.viaUpload) return server;
  return t.phase === 'uploading' ? up * 0.5 : 0.5 + server * 0.5;
}

/** An import as a job-like row: the speed, bytes and message of whichever phase runs now. */
export function importRow(t: ImportTask, job: Job | undefined): Job & { fraction: number; task: ImportTask } {
  const uploading = t.phase === 'uploading';
  return {
    id: t.id, kind: 'import', title: t.title, state: t.state, unit: 'bytes',
    doneBytes: uploading ? t.doneBytes : job?.doneBytes ?? 0,
    totalBytes: uploading ? t.totalBytes : job?.totalBytes ?? t.totalBytes,
    bytesPerSec: uploading ? t.bytesPerSec : job?.bytesPerSec ?? null,
    etaSec: uploading ? t.etaSec : job?.etaSec ?? null,
    fraction: importFraction(t, job),
    message: t.state !== 'running' ? null : uploading ? 'uploading' : job?.message ?? 'waiting to start',
    error: t.error, result: t.result, createdAt: t.createdAt, startedAt: t.createdAt, finishedAt: null, task: t,
  };
}

interface JobsState {
  jobs: Record<string, Job>;
  imports: Record<string, ImportTask>;
  drawerOpen: boolean;
  loadError: string | null;
  upsert: (job: Job) => void;
  load: () => Promise<void>;
  setImport: (t: ImportTask) => void;
  patchImport: (id: string, patch: Partial<ImportTask>) => void;
  /** Takes a finished or failed import out of the Models table (the drawer keeps it until Clear finished). */
  dismissImport: (id: string) => void;
  setDrawer: (open: boolean) => void;
  clearFinished: () => void;
}

export const useJobs = create<JobsState>((set, get) => ({
  jobs: {},
  imports: {},
  drawerOpen: false,
  loadError: null,
  upsert: (job) => set((s) => {
    const prev = s.jobs[job.id];
    // Events can arrive out of order with jobs.list: never move a finished job back to running.
    if (prev && TERMINAL.has(prev.state) && !TERMINAL.has(job.state)) return s;
    return { jobs: { ...s.jobs, [job.id]: job } };
  }),
  load: async () => {
    try {
      const list = await api.call('jobs.list', { limit: 200 });
      set((s) => {
        const jobs: Record<string, Job> = {};
        for (const j of list) {
          const cur = s.jobs[j.id];
          jobs[j.id] = cur && TERMINAL.has(cur.state) && !TERMINAL.has(j.state) ? cur : j;
        }
        // Keep live jobs we heard about that the list (limited) did not return.
        for (const [id, j] of Object.entries(s.jobs)) if (!jobs[id] && isActive(j)) jobs[id] = j;
        return { jobs, loadError: null };
      });
    } catch (e) {
      set({ loadError: e instanceof Error ? e.message : String(e) });
    }
  },
  setImport: (t) => set((s) => ({ imports: { ...s.imports, [t.id]: t } })),
  patchImport: (id, patch) => set((s) => {
    const t = s.imports[id];
    return t ? { imports: { ...s.imports, [id]: { ...t, ...patch } } } : s;
  }),
  dismissImport: (id) => set((s) => {
    const t = s.imports[id];
    if (!t || t.state === 'running') return s;
    t.onDismiss?.();
    return { imports: { ...s.imports, [id]: { ...t, dismissed: true, retry: undefined, onDismiss: undefined } } };
  }),
  setDrawer: (open) => set({ drawerOpen: open }),
  clearFinished: () => {
    const { jobs, imports } = get();
    for (const t of Object.values(imports)) if (t.state !== 'running') t.onDismiss?.();
    set({
      jobs: Object.fromEntries(Object.entries(jobs).filter(([, j]) => isActive(j))),
      imports: Object.fromEntries(Object.entries(imports).filter(([, u]) => u.state === 'running')),
    });
  },
}));

/**
 * Resolves with the job once it has finished (done, failed, cancelled or interrupted). Listens to job
 * events and polls jobs.get as well, so a dropped event stream cannot leave a caller waiting forever.
 */
export function awaitJob(id: string, pollMs = 1500): Promise<Job> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (j: Job) => {
      if (settled) return;
      settled = true;
      unsub();
      clearInterval(timer);
      resolve(j);
    };
    const check = (j: Job | undefined) => {
      if (j && TERMINAL.has(j.state)) finish(j);
    };
    const unsub = useJobs.subscribe((s) => check(s.jobs[id]));
    let misses = 0;
    const timer = setInterval(() => {
      api.call('jobs.get', { id }).then((j) => {
        useJobs.getState().upsert(j);
        check(j);
      }, (e: unknown) => {
        if (e instanceof ApiError && e.code === 'not_found' && ++misses > 3) {
          settled = true;
          unsub();
          clearInterval(timer);
          reject(e);
        }
      });
    }, pollMs);
    check(useJobs.getState().jobs[id]);
  });
}

/** A finished job's failure as an Error (its own message), or its result. */
export function jobResult<T>(job: Job): T {
  if (job.state === 'done') return job.result as T;
  throw new ApiError(job.state, job.error ?? `job ${job.title} ${job.state}`);
}

/** A row of the Jobs drawer: a server job, or an import (upload and job together). */
export type JobRowData = Job & { task?: ImportTask };

/** One row per import: the server job an import task follows is shown through the task, not twice. */
export function jobRows(jobs: Record<string, Job>, imports: Record<string, ImportTask>): JobRowData[] {
  const linked = new Set(Object.values(imports).map((t) => t.jobId).filter((id): id is string => Boolean(id)));
  // The job's first event can arrive before the call that started it returns its id: until then a
  // running import job titled like a task still waiting for its id is that task's.
  const awaiting = new Set(Object.values(imports).filter((t) => t.state === 'running' && !t.jobId).map((t) => t.title));
  const mine = (j: Job) => linked.has(j.id) || (j.kind === 'import' && isActive(j) && awaiting.has(j.title));
  return [
    ...Object.values(jobs).filter((j) => !mine(j)),
    ...Object.values(imports).map((t) => importRow(t, t.jobId ? jobs[t.jobId] : undefined)),
  ];
}
