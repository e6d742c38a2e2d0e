import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Sqlite } from '../../native/Database';
import { BlobStore } from './registry/BlobStore';
import { JobManager, type JobHandle } from './jobs/JobManager';
import { defaultHome } from './paths';

/** Work run on every newly imported version (inspect, scan, …), inside the import job. */
export type VersionHook = (ctx: AppContext, versionId: number, job: JobHandle) => Promise<void>;

export interface AppContextOptions {
  home?: string;
  /** Max jobs per queue; `MAX_CONCURRENT_AUDITS` feeds the `audit` queue. */
  limits?: Record<string, number>;
}

/**
 * Everything a service needs, opened once per process (Electron main, CLI, bridge).
 * Start-up recovers from a crash: interrupted jobs are marked, temp files removed.
 */
export class AppContext {
  readonly versionHooks: VersionHook[] = [];
  private disposers: Array<() => void | Promise<void>> = [];

  private constructor(
    readonly home: string,
    readonly db: Sqlite,
    readonly blobs: BlobStore,
    readonly jobs: JobManager,
  ) {}

  static open(opts: AppContextOptions = {}): AppContext {
    const home = opts.home ?? defaultHome();
    fs.mkdirSync(home, { recursive: true });
    const db = openDatabase(path.join(home, 'hallmark.db'));
    const blobs = new BlobStore(path.join(home, 'blobs'), path.join(home, 'tmp'));
    blobs.cleanTemp();
    const limits = { audit: Number(process.env.MAX_CONCURRENT_AUDITS ?? 2) || 2, ...opts.limits };
    const jobs = new JobManager(db, limits);
    jobs.recover();
    const ctx = new AppContext(home, db, blobs, jobs);
    for (const install of contextPlugins) install(ctx);
    return ctx;
  }

  /** Native handles (llama, onnx sessions…) register their dispose here. */
  onDispose(fn: () => void | Promise<void>): void {
    this.disposers.push(fn);
  }

  async dispose(): Promise<void> {
    this.jobs.cancelAll();
    await this.jobs.idle();
    for (const d of this.disposers.reverse()) await d();
    this.disposers = [];
    this.db.close();
  }
}

/** Feature modules register version hooks etc. here (see services/plugins.ts). */
export const contextPlugins: Array<(ctx: AppContext) => void> = [];
