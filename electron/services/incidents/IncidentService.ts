// The incidents area as the app, the bridge and the CLI use it: the local store, hub settings, the
// sync job (JobManager, cancellable, one at a time) and its periodic schedule, and hub registration.
import type { AppContext } from '../AppContext';
import type { HubLink, HubStatus, SyncSummary } from '../../contract/incidents';
import { HallmarkError } from '../errors';
import { HubClient, HubError, normaliseHubUrl, type HubClientOptions } from './HubClient';
import { getState, hubUrl, resolveKey, sealKey, setState, storedKeyKind } from './HubSettings';
import { IncidentStore } from './IncidentStore';
import { SyncEngine, type SyncOptions } from './SyncEngine';

const DEFAULT_INTERVAL_S = 300;
const services = new WeakMap<AppContext, IncidentService>();

export function incidents(ctx: AppContext): IncidentService {
  let s = services.get(ctx);
  if (!s) {
    s = new IncidentService(ctx);
    services.set(ctx, s);
    const svc = s;
    ctx.onDispose(() => svc.stopSchedule());
  }
  return s;
}

export class IncidentService {
  readonly store: IncidentStore;
  /** The key once unsealed in this process (a passphrase given once serves the periodic runs). */
  private key: string | null = null;
  private running: { jobId: string; promise: Promise<SyncSummary> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Tests and the bench shorten backoff and timeouts. */
  syncOptions: Partial<SyncOptions> = {};
  clientOptions: HubClientOptions = {};

  constructor(private readonly ctx: AppContext) {
    this.store = new IncidentStore(ctx.db);
  }

  status(): HubStatus {
    const db = this.ctx.db;
    const url = hubUrl(db);
    const c = this.store.counts();
    const last = getState(db, 'last_result');
    const lastError = getState(db, 'last_error');
    const keyKind = storedKeyKind(db);
    const state: HubStatus['state'] = !url ? 'not_configured'
      : last === 'offline' ? 'offline'
        : last === 'error' ? 'error'
          : c.pending > 0 ? 'pending'
            : c.failed > 0 ? 'error'
              : last === 'ok' ? 'synced' : 'never';
    return {
      configured: url !== null, url, key: keyKind === 'none' && process.env.HALLMARK_HUB_KEY ? 'none' : keyKind,
      state, last_sync_at: getState(db, 'last_sync_at'),
      last_error: lastError ?? (c.failed > 0 ? `${c.failed} incident(s) failed to sync: see their reason` : null),
      pending: c.pending, failed: c.failed, running: this.running !== null, interval_s: this.intervalS(),
    };
  }

  intervalS(): number {
    const v = Number(getState(this.ctx.db, 'interval_s') ?? DEFAULT_INTERVAL_S);
    return Number.isInteger(v) && v >= 0 ? v : DEFAULT_INTERVAL_S;
  }

  async configure(o: { url: string | null; apiKey?: string | undefined; passphrase?: string | undefined; intervalS?: number | undefined }): Promise<HubStatus> {
    const url = o.url === null ? null : normalise(o.url);
    const sealed = o.apiKey ? await sealKey(o.apiKey.trim(), this.ctx.hubSealer, o.passphrase) : null;
    this.ctx.db.transaction(() => {
      const before = hubUrl(this.ctx.db);
      setState(this.ctx.db, 'url', url);
      // Another hub: its cursor means nothing here.
      if (before !== url) {
        setState(this.ctx.db, 'cursor', null);
        setState(this.ctx.db, 'last_result', null);
        setState(this.ctx.db, 'last_error', null);
      }
      if (sealed) setState(this.ctx.db, 'key', sealed);
      if (url === null) setState(this.ctx.db, 'key', null);
      if (o.intervalS !== undefined) setState(this.ctx.db, 'interval_s', String(o.intervalS));
    }).immediate();
    if (o.apiKey) this.key = o.apiKey.trim();
    if (url === null) this.key = null;
    this.schedule();
    return this.status();
  }

  async client(o: { url?: string | undefined; apiKey?: string | undefined; passphrase?: string | undefined } = {}): Promise<HubClient> {
    const url = o.url ?? hubUrl(this.ctx.db);
    if (!url) throw new HallmarkError('not_configured', 'no hub configured: set the hub URL in Settings (CLI: hallmark hub-login --hub URL, or --hub URL)');
    let key = o.apiKey ?? null;
    if (!key) {
      key = process.env.HALLMARK_HUB_KEY?.trim() || this.key || await resolveKey(this.ctx.db, this.ctx.hubSealer, o.passphrase);
      if (!key) throw new HallmarkError('not_configured', 'no hub API key: add it in Settings (CLI: HALLMARK_HUB_KEY, or hallmark hub-login)');
      if (!process.env.HALLMARK_HUB_KEY) this.key = key;
    }
    return new HubClient(url, key, this.clientOptions);
  }

  async test(o: { url?: string | undefined; apiKey?: string | undefined; passphrase?: string | undefined }): Promise<{ ok: boolean; message: string; database: string | null }> {
    try {
      const c = await this.client(o);
      const h = await c.health();
      await c.checkKey();
      return { ok: true, message: `connected to ${c.base}; the key may read and sync incidents`, database: h.database ?? null };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e), database: null };
    }
  }

  /** Runs one sync inline (the CLI) or as the job the app already runs. */
  async syncNow(o: { passphrase?: string | undefined; url?: string | undefined; respectBackoff?: boolean } = {}): Promise<SyncSummary> {
    const { promise } = await this.startSync(o);
    return promise;
  }

  /** Starts the sync job (or joins the running one). */
  async startSync(o: { passphrase?: string | undefined; url?: string | undefined; respectBackoff?: boolean } = {}): Promise<{ jobId: string; promise: Promise<SyncSummary> }> {
    if (this.running) return this.running;
    const client = await this.client(o);
    const started = this.ctx.jobs.start({ kind: 'sync', title: `Sync incidents with ${client.base}`, queue: 'sync' }, async (job) => {
      const engine = new SyncEngine(this.ctx.db, client, {
        ...this.syncOptions, signal: job.signal, respectBackoff: o.respectBackoff ?? false,
        onProgress: (done, total, message) => job.progress(done, total || null, message),
      });
      return engine.run();
    });
    const promise = started.promise.finally(() => {
      if (this.running?.jobId === started.id) this.running = null;
    });
    this.running = { jobId: started.id, promise };
    promise.catch(() => undefined);
    return this.running;
  }

  /** Periodic background runs while a hub is configured (the app, `hallmark serve`); 0 turns them off. */
  schedule(): void {
    this.stopSchedule();
    const s = this.intervalS();
    if (!s || !hubUrl(this.ctx.db)) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.startSync({ respectBackoff: true }).then((r) => r.promise).catch(() => undefined);
    }, s * 1000);
    this.timer.unref();
  }

  stopSchedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Registers a local version with the hub as a model version (once: a registered version answers its
   * link), and stores the link: hub model id and the feedback URL a trainer embeds.
   */
  async register(versionId: number, o: { passphrase?: string | undefined } = {}): Promise<HubLink> {
    const existing = this.store.link(versionId);
    if (existing) return existing;
    const v = this.ctx.db.prepare(`SELECT v.id, v.number, m.name, m.description, m.model_type FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = ?`).get(versionId) as
      { id: number; number: number; name: string; description: string; model_type: string } | undefined;
    if (!v) throw new HallmarkError('not_found', `no version with id ${versionId}`);
    const client = await this.client(o);
    const identifier = v.name.replace(/[^A-Za-z0-9._:/-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128) || `model-${versionId}`;
    const body = {
      display_name: v.name.slice(0, 200), api_model_identifier: identifier, endpoint: 'https://hallmark.invalid/local', version: String(v.number),
      description: v.description || `${v.name} version ${v.number}, registered from Hallmark`, model_type: v.model_type || 'other', is_public: true, force_new_version: false,
    };
    let r;
    try {
      r = await client.registerModel(body);
    } catch (e) {
      // The identifier exists on the hub (an earlier version): this one is its next version.
      if (e instanceof HubError && e.kind === 'conflict') r = await client.registerModel({ ...body, force_new_version: true });
      else throw e;
    }
    const feedback = r.feedback_url ?? (await client.model(r.model_id)).feedback_url;
    const link: HubLink = { version_id: versionId, hub_model_id: r.model_id, feedback_url: feedback, hub_url: client.base, registered_at: new Date().toISOString() };
    this.store.saveLink(link);
    return link;
  }

  /** The feedback URL registered for a version, for `hallmark embed` to default --link to. */
  feedbackUrl(versionId: number): string | null {
    return this.store.link(versionId)?.feedback_url ?? null;
  }
}

function normalise(url: string): string {
  try {
    return normaliseHubUrl(url);
  } catch (e) {
    throw new HallmarkError('invalid_input', (e as Error).message);
  }
}

