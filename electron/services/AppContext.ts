import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Sqlite } from '../../native/Database';
import type { SecretSealer } from './audit/appSecret';
import type { KeyProvider } from './audit/FingerprintStore';
import { EventHub } from './events';
import type { RunServices } from './inference/RunServices';
import { BlobStore } from './registry/BlobStore';
import { Registry } from './registry/Registry';
import { JobManager, type JobHandle } from './jobs/JobManager';
import { migrations } from './migrations';
import { assertJobAllowed, getMode } from './mode/Mode';
import { defaultHome } from './paths';
import { ownerAlive, selfOwner } from './process/owner';

/** Work run on every newly imported version (inspect, scan, …), inside the import job. */
export type VersionHook = (ctx: AppContext, versionId: number, job: JobHandle) => Promise<void>;

export interface AppContextOptions {
  home?: string;
  /** Max jobs per queue; `MAX_CONCURRENT_AUDITS` feeds the `audit` queue. */
  limits?: Record<string, number>;
  /**
   * Post-import work (the app, the CLI and the bridge pass scan/plugin's inspectAndScan). Given by whoever
   * opens the context rather than registered by an import's side effect, so what runs is visible here.
   */
  versionHooks?: readonly VersionHook[];
}

/**
 * Everything a service needs, opened once per process (Electron main, CLI, bridge). Several processes may
 * open one home at once; each registers itself (PID + start time) and start-up recovers only what DEAD
 * processes left: their jobs are marked interrupted, their temp files removed, their half-done deletes
 * finished or undone.
 */
export class AppContext {
  /** Job progress and registry changes, fanned out to IPC and WebSocket clients. */
  readonly events: EventHub;
  readonly registry: Registry;
  /**
   * The native runtimes (llama.cpp, onnxruntime), created on first use by runServices() in
   * inference/RunServices.ts: that module loads the native bindings, which a context must not load
   * up front (`hallmark list` would pay for them).
   */
  runs: RunServices | null = null;
  /** The app's own fingerprint key (Electron main, sealed by safeStorage); null where only a passphrase can open sets. */
  appKey: KeyProvider | null = null;
  /** Seals the hub API key with the OS keychain (Electron main); null where a passphrase does (CLI, browser). */
  hubSealer: SecretSealer | null = null;
  private disposers: Array<() => void | Promise<void>> = [];

  private constructor(
    readonly home: string,
    readonly db: Sqlite,
    readonly blobs: BlobStore,
    readonly jobs: JobManager,
    readonly versionHooks: readonly VersionHook[],
  ) {
    this.events = new EventHub(jobs);
    this.registry = new Registry(db, blobs);
  }

  static open(opts: AppContextOptions = {}): AppContext {
    const home = opts.home ?? defaultHome();
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      fs.chmodSync(home, 0o700); // model files and their registry are private to the user
    } catch {
      // a home we do not own: leave its mode alone
    }
    const db = openDatabase(path.join(home, 'hallmark.db'), migrations);
    const blobs = new BlobStore(path.join(home, 'blobs'), path.join(home, 'tmp'));
    const limits = { audit: Number(process.env.MAX_CONCURRENT_AUDITS ?? 2) || 2, ...opts.limits };
    const owner = selfOwner();
    const jobs = new JobManager(db, limits, owner);
    jobs.setAdmission((spec) => assertJobAllowed(db, spec.kind));
    // One IMMEDIATE transaction: two processes starting together do not both judge the same rows.
    const othersAlive = db.transaction(() => {
      let others = false;
      for (const p of db.prepare(`SELECT owner FROM processes WHERE owner != ?`).all(owner) as Array<{ owner: string }>) {
        if (ownerAlive(p.owner)) others = true;
        else db.prepare(`DELETE FROM processes WHERE owner = ?`).run(p.owner);
      }
      db.prepare(`INSERT OR REPLACE INTO processes (owner, pid, started_at) VALUES (?, ?, ?)`).run(owner, process.pid, new Date().toISOString());
      jobs.recover();
      return others;
    }).immediate();
    blobs.cleanTemp(othersAlive);
    const referenced = db.prepare(`SELECT 1 FROM version_files vf JOIN versions v ON v.id = vf.version_id WHERE vf.sha256 = ? AND v.storage = 'vault' LIMIT 1`);
    blobs.recoverTrash((sha) => referenced.get(sha) !== undefined);
    return new AppContext(home, db, blobs, jobs, [...(opts.versionHooks ?? [])]);
  }

  /**
   * Runs the post-import hooks (inspect, scan) of a committed version, then clears its pending_hooks
   * row; a cancelled run hands the row back (owner NULL) so that a later start resumes it.
   */
  async runVersionHooks(versionId: number, job: JobHandle): Promise<void> {
    for (const hook of this.versionHooks) {
      try {
        await hook(this, versionId, job);
      } catch (e) {
        // Analysis failing must not undo an import: the version is there, the failure is reported.
        job.progress(0, undefined, `post-import step failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    try {
      if (job.signal.aborted) this.db.prepare(`UPDATE pending_hooks SET owner = NULL WHERE version_id = ?`).run(versionId);
      else this.db.prepare(`DELETE FROM pending_hooks WHERE version_id = ?`).run(versionId);
    } catch {
      // disk full: the row stays and a later start redoes the scan, which is harmless
    }
  }

  /**
   * Post-import work a dead process owed (killed between the commit and the scan), and versions from
   * before this was tracked that never got a finished scan: claimed in one IMMEDIATE transaction, so a
   * second live process neither races us nor has its own in-flight scans taken, and run as a background
   * job. Long-lived processes (the app, `hallmark serve`) call this after opening.
   */
  resumePostImport(): { jobId: string; versions: number } | null {
    // In maintenance no job may start: the rows stay and the next start after it resumes them.
    if (getMode(this.db).mode === 'maintenance') return null;
    const owner = this.jobs.owner;
    const claimed = this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT version_id, owner FROM pending_hooks ORDER BY version_id`).all() as Array<{ version_id: number; owner: string | null }>;
      const mine: number[] = [];
      const claim = this.db.prepare(`UPDATE pending_hooks SET owner = ? WHERE version_id = ?`);
      for (const r of rows) {
        if (r.owner !== null && ownerAlive(r.owner)) continue;
        claim.run(owner, r.version_id);
        mine.push(r.version_id);
      }
      return mine;
    }).immediate();
    if (!claimed.length) return null;
    const { id, promise } = this.jobs.start({ kind: 'scan', title: `Scan ${claimed.length} version(s) left unscanned` }, async (job) => {
      for (const versionId of claimed) {
        job.throwIfCancelled();
        const exists = this.db.prepare(`SELECT 1 FROM versions WHERE id = ?`).get(versionId);
        if (exists) await this.runVersionHooks(versionId, job);
      }
      return { versions: claimed.length };
    });
    promise.catch(() => undefined); // reported through the job; nobody awaits a background job
    return { jobId: id, versions: claimed.length };
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
    // Last chance for job states a full disk refused; what still fails is fixed by the next start.
    this.jobs.flushUnsaved();
    try {
      this.db.prepare(`DELETE FROM processes WHERE owner = ?`).run(this.jobs.owner);
    } catch {
      // disk full or read-only: the row names a dead process once we exit, and is dropped then
    }
    this.db.close();
  }
}
