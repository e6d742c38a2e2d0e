// One sync run: push the outbox in order (each change with its idempotency key), then pull the hub's
// changes after our cursor. Retries with exponential backoff and full jitter, honouring Retry-After;
// bounded per run. Conflict rule (docs/sync.md): a change sent with base_revision that the hub refuses
// (409) loses for the fields changed on the hub; the user's value is kept in a "changed on hub" note and
// the fields the hub did not touch are re-sent against the hub's current revision. Nothing is dropped
// silently: a change leaves the outbox only when the hub acknowledged it or a conflict note records it.
import type { Sqlite } from '../../../native/Database';
import type { SyncSummary } from '../../contract/incidents';
import { HallmarkError } from '../errors';
import { ownerAlive, selfOwner } from '../process/owner';
import { HubError, type HubClient, type RemoteIncident } from './HubClient';
import { getState, setState } from './HubSettings';
import { IncidentStore, PATCH_FIELDS, type OutboxRow } from './IncidentStore';

export interface SyncOptions {
  signal?: AbortSignal;
  /** Retries of one request within a run (network, 5xx, 429). */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this ends the run (items stay queued) instead of sleeping. */
  maxRetryAfterS?: number;
  pageSize?: number;
  /** Periodic runs skip items still backing off from an earlier run; on-demand runs try everything. */
  respectBackoff?: boolean;
  onProgress?: (done: number, total: number, message: string) => void;
  random?: () => number;
}

/** Sync stopped as a whole (offline, bad key, a hub that answers nonsense); the outbox is intact. */
export class SyncAborted extends HallmarkError {
  constructor(message: string, readonly kind: string) {
    super('sync_failed', message);
  }
}

const LEASE_MS = 60_000;

const abortReason = (s: AbortSignal): Error => (s.reason instanceof Error ? s.reason : new Error('cancelled'));

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (signal?.aborted) return reject(abortReason(signal));
  const t = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(t);
    reject(abortReason(signal!));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
});

export class SyncEngine {
  private readonly store: IncidentStore;
  private readonly o: Required<Omit<SyncOptions, 'signal' | 'onProgress'>> & Pick<SyncOptions, 'signal' | 'onProgress'>;
  /** The process tag (PID + start time) and a per-run nonce: a lease left by a dead process is taken over at once. */
  private readonly token = `${selfOwner()}|${Math.random().toString(36).slice(2)}`;

  constructor(private readonly db: Sqlite, private readonly client: HubClient, opts: SyncOptions = {}) {
    this.store = new IncidentStore(db);
    this.o = {
      maxRetries: 4, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterS: 120, pageSize: 500, respectBackoff: false, random: Math.random, ...opts,
    };
  }

  /** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)]. */
  delayFor(attempt: number): number {
    return Math.round(this.o.random() * Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** attempt));
  }

  async run(): Promise<SyncSummary> {
    if (!this.acquire()) throw new SyncAborted('another sync of this Hallmark home is running; try again when it finishes', 'busy');
    const summary = { pushed: 0, pulled: 0, failed: 0, conflicts: 0, pending: 0 };
    try {
      try {
        await this.push(summary);
        await this.pull(summary);
      } catch (e) {
        if (e instanceof HubError) {
          const msg = e.kind === 'offline' || e.kind === 'timeout' ? `offline: ${e.message}` : e.message;
          this.recordRun(msg, e.kind === 'offline' || e.kind === 'timeout' ? 'offline' : 'error');
          throw new SyncAborted(msg, e.kind);
        }
        if (!this.o.signal?.aborted) this.recordRun(e instanceof Error ? e.message : String(e), 'error');
        throw e;
      }
      const c = this.store.counts();
      summary.pending = c.pending;
      summary.failed = c.failed;
      this.recordRun(null, 'ok');
      return summary;
    } finally {
      this.release();
    }
  }

  private recordRun(error: string | null, kind: 'ok' | 'offline' | 'error'): void {
    try {
      this.db.transaction(() => {
        setState(this.db, 'last_result', kind);
        setState(this.db, 'last_error', error);
        if (kind === 'ok') setState(this.db, 'last_sync_at', new Date().toISOString());
      }).immediate();
    } catch {
      // disk full: the status bar shows the previous state; the next run records again
    }
  }

  /** One sync per home at a time (two processes pushing one item would just replay, but pulls would race the cursor). */
  private acquire(): boolean {
    return this.db.transaction(() => {
      const raw = getState(this.db, 'lease');
      if (raw) {
        const [owner, , until] = raw.split('|');
        if (Number(until) > Date.now() && ownerAlive(owner)) return false;
      }
      setState(this.db, 'lease', `${this.token}|${Date.now() + LEASE_MS}`);
      return true;
    }).immediate();
  }

  private renew(): void {
    setState(this.db, 'lease', `${this.token}|${Date.now() + LEASE_MS}`);
  }

  private release(): void {
    try {
      this.db.transaction(() => {
        if (getState(this.db, 'lease')?.startsWith(this.token + '|')) setState(this.db, 'lease', null);
      }).immediate();
    } catch {
      // the lease expires by itself
    }
  }

  /** Runs `fn`, retrying what can pass later. Non-retryable errors and exhausted retries are thrown. */
  private async withRetry<T>(what: string, item: OutboxRow | null, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.o.signal?.throwIfAborted();
      if (item) this.db.prepare(`UPDATE incident_outbox SET attempts = attempts + 1 WHERE id = ?`).run(item.id);
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof HubError) || !e.retryable || attempt >= this.o.maxRetries) throw e;
        let wait = this.delayFor(attempt);
        if (e.retryAfterS !== null) {
          if (e.retryAfterS > this.o.maxRetryAfterS) throw new HubError(e.kind, `the hub asks to wait ${e.retryAfterS} s (Retry-After) before ${what}`, e.status, e.retryAfterS);
          wait = Math.max(wait, e.retryAfterS * 1000);
        }
        this.o.onProgress?.(0, 0, `${what}: ${e.message}; retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait, this.o.signal);
        this.renew();
      }
    }
  }

  private async push(summary: { pushed: number; failed: number; conflicts: number }): Promise<void> {
    const items = this.db.prepare(`SELECT * FROM incident_outbox WHERE state = 'pending' ORDER BY id`).all() as OutboxRow[];
    const blocked = new Set<string>();
    // Failed creates block their incident's later changes (they need the hub's id).
    for (const r of this.db.prepare(`SELECT DISTINCT local_id FROM incident_outbox WHERE state = 'failed'`).all() as Array<{ local_id: string }>) blocked.add(r.local_id);
    let done = 0;
    for (const item of items) {
      this.o.signal?.throwIfAborted();
      this.o.onProgress?.(done++, items.length, `pushing ${done}/${items.length}`);
      if (blocked.has(item.local_id)) continue;
      if (this.o.respectBackoff && item.next_attempt_at && item.next_attempt_at > new Date().toISOString()) {
        blocked.add(item.local_id);
        continue;
      }
      try {
        const ok = item.op === 'create' ? await this.pushCreate(item) : await this.pushUpdate(item, summary);
        if (ok) summary.pushed++;
        else blocked.add(item.local_id);
      } catch (e) {
        if (!(e instanceof HubError)) throw e;
        // Whole-run problems: every later item would fail the same way. Stop; all stays queued.
        if (e.retryable || e.kind === 'auth' || e.kind === 'bad_response') {
          this.db.prepare(`UPDATE incident_outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?`)
            .run(e.message, new Date(Date.now() + this.delayFor(Math.min(item.attempts + 1, 10)) + (e.retryAfterS ?? 0) * 1000).toISOString(), item.id);
          throw e;
        }
        // This item's own problem (a 4xx about its content): failed with the reason, kept, never dropped.
        this.db.prepare(`UPDATE incident_outbox SET state = 'failed', last_error = ? WHERE id = ?`).run(e.message, item.id);
        summary.failed++;
        blocked.add(item.local_id);
      }
      if (done % 50 === 0) this.renew();
    }
  }

  /** False: the item cannot go yet (it waits for something the user must do); it stays queued with the reason. */
  private async pushCreate(item: OutboxRow): Promise<boolean> {
    const row = this.store.row(item.local_id);
    let modelId = row.model_id;
    if (!modelId && row.version_id !== null) modelId = this.store.link(row.version_id)?.hub_model_id ?? null;
    if (!modelId) {
      this.db.prepare(`UPDATE incident_outbox SET last_error = ? WHERE id = ?`).run('waiting: the linked version is not registered with the hub (register it, or link the incident to a registered version)', item.id);
      return false;
    }
    const body = { model_id: modelId, category: row.category, severity: row.severity, title: row.title, description: row.description, source: 'desktop', client_ref: row.local_id };
    const r = await this.withRetry(`sending incident ${JSON.stringify(row.title.slice(0, 40))}`, item, () => this.client.report(body, item.idempotency_key, this.o.signal));
    this.db.transaction(() => {
      this.ack(row.local_id, r);
      this.db.prepare(`DELETE FROM incident_outbox WHERE id = ?`).run(item.id);
    }).immediate();
    return true;
  }

  private ack(localId: string, r: RemoteIncident): void {
    this.db.prepare(`UPDATE incidents SET remote_id = ?, model_id = ?, revision = MAX(revision, ?), acked_revision = MAX(acked_revision, ?), seq = MAX(seq, ?), verified = ?, sync_error = NULL WHERE local_id = ?`)
      .run(r.id, r.model_id, r.revision, r.revision, r.seq, r.verified ? 1 : 0, localId);
  }

  private async pushUpdate(item: OutboxRow, summary: { conflicts: number }): Promise<boolean> {
    const row = this.store.row(item.local_id);
    if (!row.remote_id) {
      this.db.prepare(`UPDATE incident_outbox SET last_error = ? WHERE id = ?`).run('waiting: the incident itself is not on the hub yet', item.id);
      return false;
    }
    let payload = JSON.parse(item.payload) as Record<string, string | null>;
    // Created offline (base 0), or our own earlier change moved the revision: the newest revision we caused.
    let base = Math.max(item.base_revision, row.acked_revision, 1);
    let key = item.idempotency_key;
    for (let round = 0; round < 3; round++) {
      const body = { ...payload, base_revision: base };
      const r = await this.withRetry(`updating incident ${row.remote_id}`, item, () => this.client.patch(row.remote_id!, body, key, this.o.signal));
      if (r.ok) {
        this.db.transaction(() => {
          this.ack(row.local_id, r.incident);
          this.db.prepare(`DELETE FROM incident_outbox WHERE id = ?`).run(item.id);
        }).immediate();
        return true;
      }
      // 409: the hub's value wins for the fields changed there; ours is kept in the note, the rest re-sent.
      summary.conflicts++;
      const remote = r.incident;
      const lost = Object.keys(payload).filter((f) => (r.fields ? r.fields.includes(f) : true) && (remote as Record<string, unknown>)[f] !== payload[f]);
      const rest = Object.fromEntries(Object.entries(payload).filter(([f]) => r.fields ? !r.fields.includes(f) : false));
      const note = lost.length
        ? `changed on hub: ${lost.map((f) => `${f} is ${JSON.stringify((remote as Record<string, unknown>)[f] ?? null)} on the hub (your ${JSON.stringify(payload[f])} was not applied)`).join('; ')}`
        : null;
      const nextKey = `${item.idempotency_key.slice(0, 100)}.r${round + 1}`;
      this.db.transaction(() => {
        this.ack(row.local_id, remote);
        // The hub's values for the conflicting fields, now; later queued changes keep theirs.
        const later = new Set<string>();
        for (const o of this.db.prepare(`SELECT payload FROM incident_outbox WHERE local_id = ? AND id > ?`).all(row.local_id, item.id) as Array<{ payload: string }>) {
          for (const k of Object.keys(JSON.parse(o.payload) as object)) later.add(k);
        }
        for (const f of PATCH_FIELDS) {
          if (f in payload && !(f in rest) && !later.has(f)) this.db.prepare(`UPDATE incidents SET ${f} = ? WHERE local_id = ?`).run((remote as Record<string, unknown>)[f] ?? null, row.local_id);
        }
        if (note) this.db.prepare(`UPDATE incidents SET conflict_note = ? WHERE local_id = ?`).run(note, row.local_id);
        if (Object.keys(rest).length) this.db.prepare(`UPDATE incident_outbox SET payload = ?, base_revision = ?, idempotency_key = ? WHERE id = ?`).run(JSON.stringify(rest), remote.revision, nextKey, item.id);
        else this.db.prepare(`DELETE FROM incident_outbox WHERE id = ?`).run(item.id);
      }).immediate();
      if (!Object.keys(rest).length) return true;
      payload = rest;
      base = remote.revision;
      key = nextKey;
    }
    throw new HubError('client', `incident ${row.remote_id} kept conflicting; it stays queued`);
  }

  private async pull(summary: { pulled: number }): Promise<void> {
    const find = this.db.prepare(`SELECT version_id FROM hub_links WHERE hub_model_id = ? ORDER BY version_id DESC LIMIT 1`);
    const findVersion = (modelId: string) => (find.get(modelId) as { version_id: number } | undefined)?.version_id ?? null;
    // Bounded: a hub that always says has_more cannot keep us here (1,000 pages = 500,000 changes per run).
    for (let page = 0; page < 1000; page++) {
      this.o.signal?.throwIfAborted();
      const cursor = getState(this.db, 'cursor') ?? '0';
      const r = await this.withRetry('fetching changes', null, () => this.client.changes(cursor, this.o.pageSize, this.o.signal));
      if (Number(r.next_cursor) < Number(cursor)) throw new HubError('bad_response', `the hub moved the sync cursor backwards (${cursor} → ${r.next_cursor}); was the hub's database replaced?`);
      // One page, one transaction: the rows and the cursor move together.
      this.db.transaction(() => {
        for (const inc of r.incidents) if (this.store.applyRemote(inc, findVersion) !== 'unchanged') summary.pulled++;
        setState(this.db, 'cursor', r.next_cursor);
      }).immediate();
      this.renew();
      this.o.onProgress?.(page + 1, page + 2, `pulled ${summary.pulled} change(s)`);
      if (!r.has_more || !r.incidents.length) return;
    }
  }
}
