// Jobs as the services report them (job events + jobs.list), plus browser uploads, which are the
// renderer's own work before a server job exists. The status bar and the Jobs drawer read this.
import { create } from 'zustand';
import type { Job } from '../../../electron/contract/jobs';
import { api, ApiError } from '../api/client';

export const TERMINAL = new Set<Job['state']>(['done', 'failed', 'cancelled', 'interrupted']);
export const isActive = (j: { state: string }): boolean => j.state === 'queued' || j.state === 'running';

/** One file or folder going up to the bridge (browser mode). */
export interface UploadTask {
  id: string;
  kind: 'upload';
  title: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  doneBytes: number;
  totalBytes: number;
  bytesPerSec: number | null;
  etaSec: number | null;
  error: string | null;
  createdAt: string;
  cancel: () => void;
}

interface JobsState {
  jobs: Record<string, Job>;
  uploads: Record<string, UploadTask>;
  drawerOpen: boolean;
  loadError: string | null;
  upsert: (job: Job) => void;
  load: () => Promise<void>;
  setUpload: (u: UploadTask) => void;
  patchUpload: (id: string, patch: Partial<UploadTask>) => void;
  setDrawer: (open: boolean) => void;
  clearFinished: () => void;
}

export const useJobs = create<JobsState>((set, get) => ({
  jobs: {},
  uploads: {},
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
  setUpload: (u) => set((s) => ({ uploads: { ...s.uploads, [u.id]: u } })),
  patchUpload: (id, patch) => set((s) => {
    const u = s.uploads[id];
    return u ? { uploads: { ...s.uploads, [id]: { ...u, ...patch } } } : s;
  }),
  setDrawer: (open) => set({ drawerOpen: open }),
  clearFinished: () => {
    const { jobs, uploads } = get();
    set({
      jobs: Object.fromEntries(Object.entries(jobs).filter(([, j]) => isActive(j))),
      uploads: Object.fromEntries(Object.entries(uploads).filter(([, u]) => u.state === 'running')),
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
