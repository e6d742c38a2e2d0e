import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Sqlite } from '../../../native/Database';
import { jobUnitOf, type Job, type JobUnit } from '../../contract/jobs';
import { HallmarkError, productError } from '../errors';
import { ownerAlive, selfOwner, type OwnerTag } from '../process/owner';

export interface JobHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Report progress in the job's unit (JobSpec.unit: bytes, steps or a fraction); throttled before it reaches listeners. */
  progress(done: number, total?: number | null, message?: string): void;
  /** Throws JobCancelledError when the user cancelled. */
  throwIfCancelled(): void;
  /**
   * Starts a phase that covers [from, to] of the job's overall `fraction`: progress reported after it maps
   * into that span, so a second pass over the same bytes (scan after hash) does not send the bar back.
   */
  phase?(from: number, to: number): void;
}

export class JobCancelledError extends HallmarkError {
  constructor(id: string) {
    super('cancelled', `job ${id} was cancelled`);
  }
}

interface Live {
  job: Job;
  controller: AbortController;
  started: number;
  lastEmit: number;
  promise: Promise<unknown>;
  /** Recent (time, bytes) samples for a smoothed speed. */
  samples: Array<[number, number]>;
  /** The span of the overall fraction the current phase covers. */
  span: [number, number];
}

export interface JobSpec {
  kind: string;
  title: string;
  total?: number | null;
  /** What progress counts (default: the kind's unit, jobUnitOf; bytes for kinds not listed there). */
  unit?: JobUnit;
  /** Jobs of one queue run at most `concurrency` at a time. */
  queue?: string;
}

const nowIso = () => new Date().toISOString();

/**
 * Persisted, cancellable, concurrency-limited jobs. Progress is kept in memory and flushed to SQLite
 * at most twice a second so a multi-GB import does not turn into thousands of writes.
 */
export class JobManager extends EventEmitter<{ job: [Job] }> {
  private readonly live = new Map<string, Live>();
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly limits = new Map<string, number>();
  /** Final state writes that failed (a full disk): retried until they land, and once more at dispose. */
  private readonly unsaved = new Map<string, () => void>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** Decides whether a new job may start (the operating mode); throws to refuse. Set by AppContext. */
  private admit: ((spec: JobSpec) => void) | null = null;

  constructor(private readonly db: Sqlite, limits: Record<string, number> = {}, readonly owner: OwnerTag = selfOwner()) {
    super();
    this.limits.set('default', 2);
    for (const [k, v] of Object.entries(limits)) this.limits.set(k, v);
  }

  /**
   * Marks jobs left running or queued by a DEAD process as interrupted. Jobs of another live process
   * (the app while `hallmark list` starts) are its own business; rows from before owners were recorded
   * (owner NULL) were written by a build that ran one process at a time, so they are orphans too.
   */
  recover(): number {
    const rows = this.db.prepare(`SELECT id, owner FROM jobs WHERE state IN ('queued','running')`).all() as Array<{ id: string; owner: string | null }>;
    const alive = new Map<string, boolean>();
    const mark = this.db.prepare(`UPDATE jobs SET state = 'interrupted', error = 'interrupted: Hallmark stopped while this job ran', finished_at = ? WHERE id = ? AND state IN ('queued','running')`);
    let n = 0;
    for (const r of rows) {
      if (r.owner !== null) {
        if (!alive.has(r.owner)) alive.set(r.owner, ownerAlive(r.owner));
        if (alive.get(r.owner)) continue;
      }
      n += mark.run(nowIso(), r.id).changes;
    }
    return n;
  }

  /** Retries final state writes that failed (disk full); returns how many are still unsaved. */
  flushUnsaved(): number {
    for (const [id, write] of [...this.unsaved]) {
      try {
        write();
        this.unsaved.delete(id);
      } catch {
        // still failing: kept for the next try; if we die first, the next start's recover() marks it
      }
    }
    if (!this.unsaved.size && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = null;
    }
    return this.unsaved.size;
  }

  /** The one gate every new job, import included, passes: AppContext installs the operating-mode check here. */
  setAdmission(fn: ((spec: JobSpec) => void) | null): void {
    this.admit = fn;
  }

  setLimit(queue: string, n: number): void {
    this.limits.set(queue, Math.max(1, n));
  }

  /** Starts a job and returns its id at once; `done(id)` resolves with the result. */
  start<T>(spec: JobSpec, fn: (job: JobHandle) => Promise<T>): { id: string; promise: Promise<T> } {
    this.admit?.(spec);
    const id = randomUUID();
    const queue = spec.queue ?? 'default';
    const job: Job = {
      id, kind: spec.kind, title: spec.title, state: 'queued', unit: spec.unit ?? jobUnitOf(spec.kind), doneBytes: 0, totalBytes: spec.total ?? null,
      bytesPerSec: null, etaSec: null, fraction: null, message: null, error: null, result: null,
      createdAt: nowIso(), startedAt: null, finishedAt: null,
    };
    try {
      this.db.prepare(`INSERT INTO jobs (id, kind, title, state, total_bytes, created_at, owner) VALUES (?, ?, ?, 'queued', ?, ?, ?)`)
        .run(id, job.kind, job.title, job.totalBytes, job.createdAt, this.owner);
    } catch (e) {
      throw productError(e);
    }
    const controller = new AbortController();
    const live: Live = { job, controller, started: 0, lastEmit: 0, promise: Promise.resolve(), samples: [], span: [0, 1] };
    this.live.set(id, live);
    this.emit('job', { ...job });

    const handle: JobHandle = {
      id,
      signal: controller.signal,
      progress: (done, total, message) => this.progress(live, done, total, message),
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new JobCancelledError(id);
      },
      phase: (from, to) => {
        const lo = Math.max(0, Math.min(1, from));
        live.span = [lo, Math.max(lo, Math.min(1, to))];
        // A new pass over other bytes: its speed starts afresh (the old samples would read as negative).
        live.samples = [];
        job.fraction = Math.max(job.fraction ?? 0, lo);
      },
    };

    const promise = (async () => {
      await this.acquire(queue);
      try {
        if (controller.signal.aborted) throw new JobCancelledError(id);
        live.started = Date.now();
        job.state = 'running';
        job.startedAt = nowIso();
        this.db.prepare(`UPDATE jobs SET state = 'running', started_at = ? WHERE id = ?`).run(job.startedAt, id);
        this.emit('job', { ...job });
        const result = await fn(handle);
        job.state = 'done';
        job.fraction = 1;
        job.result = (result ?? null);
        job.etaSec = 0;
        return result;
      } catch (e) {
        const cancelled = e instanceof JobCancelledError || controller.signal.aborted;
        const err = productError(e);
        job.state = cancelled ? 'cancelled' : 'failed';
        job.error = cancelled ? 'cancelled by user' : err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        job.finishedAt = nowIso();
        const write = () => {
          this.db.prepare(`UPDATE jobs SET state = ?, done_bytes = ?, total_bytes = ?, message = ?, error = ?, result = ?, finished_at = ? WHERE id = ?`)
            .run(job.state, job.doneBytes, job.totalBytes, job.message, job.error, job.result == null ? null : JSON.stringify(job.result), job.finishedAt, id);
        };
        try {
          write();
        } catch {
          // A full disk can refuse even this write: the job must not stay 'running' on disk, so retry
          // it in the background (and at dispose); the in-memory state is already final.
          this.unsaved.set(id, write);
          this.retryTimer ??= setInterval(() => this.flushUnsaved(), 1000).unref();
        }
        this.emit('job', { ...job });
        this.release(queue);
        // Keep the finished job in memory briefly for late `wait` calls, then drop it.
        setTimeout(() => this.live.delete(id), 60_000).unref();
      }
    })();
    live.promise = promise.catch(() => undefined);
    return { id, promise };
  }

  /** Runs a job and waits for it: the CLI's way. */
  run<T>(spec: JobSpec, fn: (job: JobHandle) => Promise<T>): Promise<T> {
    return this.start(spec, fn).promise;
  }

  cancel(id: string): boolean {
    const live = this.live.get(id);
    if (!live || ['done', 'failed', 'cancelled', 'interrupted'].includes(live.job.state)) return false;
    live.controller.abort();
    return true;
  }

  get(id: string): Job {
    const live = this.live.get(id);
    if (live) return { ...live.job };
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) throw new HallmarkError('not_found', `no job with id "${id}"`);
    return fromRow(row);
  }

  list(limit = 100): Job[] {
    const rows = this.db.prepare(`SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?`).all(limit) as JobRow[];
    return rows.map((r) => (this.live.has(r.id) ? { ...this.live.get(r.id)!.job } : fromRow(r)));
  }

  async wait(id: string, timeoutMs = 600_000): Promise<Job> {
    const live = this.live.get(id);
    if (live) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([live.promise, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.get(id);
  }

  /** Resolves when no job is running or queued (used at shutdown and in tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => l.promise));
  }

  cancelAll(): void {
    for (const id of this.live.keys()) this.cancel(id);
  }

  private progress(live: Live, done: number, total?: number | null, message?: string): void {
    const job = live.job;
    job.doneBytes = done;
    if (total !== undefined) job.totalBytes = total;
    if (message !== undefined) job.message = message;
    if (job.totalBytes) {
      const [lo, hi] = live.span;
      const f = lo + (hi - lo) * Math.max(0, Math.min(1, done / job.totalBytes));
      job.fraction = Math.max(job.fraction ?? 0, f);
    }
    const t = Date.now();
    // Bytes that went down started another pass: measure its speed on its own.
    if (live.samples.length && done < live.samples[live.samples.length - 1]![1]) live.samples = [];
    live.samples.push([t, done]);
    while (live.samples.length > 2 && t - live.samples[0]![0] > 3000) live.samples.shift();
    const [t0, d0] = live.samples[0]!;
    const dt = (t - t0) / 1000;
    job.bytesPerSec = dt > 0.05 ? (done - d0) / dt : null;
    job.etaSec = job.bytesPerSec && job.totalBytes ? Math.max(0, (job.totalBytes - done) / job.bytesPerSec) : null;
    if (t - live.lastEmit >= 200) {
      live.lastEmit = t;
      this.emit('job', { ...job });
      try {
        this.db.prepare(`UPDATE jobs SET done_bytes = ?, total_bytes = ?, message = ? WHERE id = ?`).run(done, job.totalBytes, job.message, job.id);
      } catch {
        // Progress is advisory: a busy or full database must not fail the work it reports on.
      }
    }
  }

  private acquire(queue: string): Promise<void> {
    const limit = this.limits.get(queue) ?? this.limits.get('default') ?? 2;
    const n = this.running.get(queue) ?? 0;
    if (n < limit) {
      this.running.set(queue, n + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.waiting.get(queue) ?? [];
      list.push(() => {
        this.running.set(queue, (this.running.get(queue) ?? 0) + 1);
        resolve();
      });
      this.waiting.set(queue, list);
    });
  }

  private release(queue: string): void {
    this.running.set(queue, Math.max(0, (this.running.get(queue) ?? 1) - 1));
    const next = this.waiting.get(queue)?.shift();
    if (next) next();
  }
}

interface JobRow {
  id: string; kind: string; title: string; state: Job['state']; done_bytes: number; total_bytes: number | null;
  message: string | null; error: string | null; result: string | null; created_at: string; started_at: string | null; finished_at: string | null;
}

function fromRow(r: JobRow): Job {
  return {
    id: r.id, kind: r.kind, title: r.title, state: r.state, unit: jobUnitOf(r.kind), doneBytes: r.done_bytes, totalBytes: r.total_bytes,
    bytesPerSec: null, etaSec: null, message: r.message, error: r.error,
    fraction: r.state === 'done' ? 1 : r.total_bytes ? Math.min(1, r.done_bytes / r.total_bytes) : null,
    result: r.result == null ? null : (JSON.parse(r.result) as unknown),
    createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
  };
}
