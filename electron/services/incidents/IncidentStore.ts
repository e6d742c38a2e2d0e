// Local incidents and the outbox. Every local change is one transaction that writes the record AND its
// outbox row (with a fresh idempotency key), so a crash never leaves a change the hub will not hear of.
import { randomUUID } from 'node:crypto';
import type { Sqlite } from '../../../native/Database';
import type { IncidentCreate, IncidentRecord, HubLink } from '../../contract/incidents';
import { HallmarkError, quote } from '../errors';
import type { RemoteIncident } from './HubClient';

export interface IncidentRow {
  local_id: string; remote_id: string | null; model_id: string | null; version_id: number | null;
  category: string; severity: string; status: string; title: string; description: string; notes: string | null;
  source: string; verified: number; reporter_email: string | null; revision: number; acked_revision: number; seq: number;
  created_at: string; updated_at: string; sync_error: string | null; conflict_note: string | null;
}

export interface OutboxRow {
  id: number; local_id: string; op: 'create' | 'update'; payload: string; base_revision: number; idempotency_key: string;
  attempts: number; state: 'pending' | 'failed'; last_error: string | null; next_attempt_at: string | null; created_at: string;
}

/** Fields a desktop may change (PATCH body), as the hub names them. */
export const PATCH_FIELDS = ['status', 'severity', 'notes'] as const;
export type PatchField = (typeof PATCH_FIELDS)[number];

const now = () => new Date().toISOString();
export const newIdempotencyKey = (localId: string) => `hm.${localId}.${randomUUID()}`;

export interface ListFilter {
  status?: string | undefined; severity?: string | undefined; category?: string | undefined; model?: string | undefined;
  versionId?: number | undefined; syncState?: 'pending' | 'synced' | 'failed' | undefined; limit?: number | undefined;
}

export class IncidentStore {
  constructor(private readonly db: Sqlite) {}

  link(versionId: number): HubLink | null {
    return (this.db.prepare(`SELECT * FROM hub_links WHERE version_id = ?`).get(versionId) as HubLink | undefined) ?? null;
  }

  links(versionId?: number): HubLink[] {
    return versionId === undefined
      ? this.db.prepare(`SELECT * FROM hub_links ORDER BY version_id`).all() as HubLink[]
      : this.db.prepare(`SELECT * FROM hub_links WHERE version_id = ?`).all(versionId) as HubLink[];
  }

  saveLink(l: HubLink): void {
    this.db.prepare(`INSERT INTO hub_links (version_id, hub_model_id, feedback_url, hub_url, registered_at) VALUES (@version_id, @hub_model_id, @feedback_url, @hub_url, @registered_at)
      ON CONFLICT(version_id) DO UPDATE SET hub_model_id = excluded.hub_model_id, feedback_url = excluded.feedback_url, hub_url = excluded.hub_url, registered_at = excluded.registered_at`).run(l);
    // Incidents the hub already sent for this model now belong to the version.
    this.db.prepare(`UPDATE incidents SET version_id = ? WHERE model_id = ? AND version_id IS NULL`).run(l.version_id, l.hub_model_id);
  }

  private versionExists(id: number): boolean {
    return this.db.prepare(`SELECT 1 FROM versions WHERE id = ?`).get(id) !== undefined;
  }

  create(input: z_IncidentCreate): IncidentRecord {
    return this.db.transaction(() => {
      let modelId = input.modelId ?? null;
      if (input.versionId !== undefined) {
        if (!this.versionExists(input.versionId)) throw new HallmarkError('not_found', `no version with id ${input.versionId}`);
        const l = this.link(input.versionId);
        if (l && modelId && l.hub_model_id !== modelId) throw new HallmarkError('invalid_input', `version ${input.versionId} is registered as ${quote(l.hub_model_id)}, not ${quote(modelId)}`);
        modelId = l?.hub_model_id ?? modelId;
      }
      const localId = `loc_${randomUUID()}`;
      const t = now();
      this.db.prepare(`INSERT INTO incidents (local_id, model_id, version_id, category, severity, status, title, description, source, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, 'reported', ?, ?, 'desktop', ?, ?)`)
        .run(localId, modelId, input.versionId ?? null, input.category, input.severity ?? 'medium', input.title.trim(), input.description.trim(), t, t);
      this.enqueue(localId, 'create', {}, 0);
      return this.get(localId);
    }).immediate();
  }

  /** A local status/severity/notes change: applied at once, queued for the hub against the revision we had. */
  update(localId: string, change: Partial<Record<PatchField, string | null>>): IncidentRecord {
    return this.db.transaction(() => {
      const row = this.row(localId);
      const fields: Record<string, string | null> = {};
      for (const f of PATCH_FIELDS) {
        const v = change[f];
        if (v === undefined || v === row[f]) continue;
        fields[f] = v;
      }
      if (!Object.keys(fields).length) return this.get(localId);
      const sets = Object.keys(fields).map((f) => `${f} = @${f}`).join(', ');
      this.db.prepare(`UPDATE incidents SET ${sets}, updated_at = @t, conflict_note = NULL WHERE local_id = @id`).run({ ...fields, t: now(), id: localId });
      // Not yet sent (no attempt): fold into that row, so offline edits go out as one change. Once an attempt
      // was made its body is fixed (a retry with the same key must send the same bytes).
      const open = this.db.prepare(`SELECT * FROM incident_outbox WHERE local_id = ? AND state = 'pending' AND attempts = 0 ORDER BY id DESC LIMIT 1`).get(localId) as OutboxRow | undefined;
      if (open?.op === 'create') {
        // The create carries only the report fields the hub takes; status and notes follow as an update.
        this.enqueue(localId, 'update', fields, row.revision);
      } else if (open) {
        this.db.prepare(`UPDATE incident_outbox SET payload = ? WHERE id = ?`).run(JSON.stringify({ ...JSON.parse(open.payload), ...fields }), open.id);
      } else {
        this.enqueue(localId, 'update', fields, row.revision);
      }
      return this.get(localId);
    }).immediate();
  }

  setVersion(localId: string, versionId: number | null): IncidentRecord {
    this.row(localId);
    if (versionId !== null && !this.versionExists(versionId)) throw new HallmarkError('not_found', `no version with id ${versionId}`);
    return this.db.transaction(() => {
      const row = this.row(localId);
      const l = versionId === null ? null : this.link(versionId);
      // A hub incident belongs to one hub model: a version registered as another model cannot take it.
      if (l && row.model_id && row.remote_id && l.hub_model_id !== row.model_id) {
        throw new HallmarkError('invalid_input', `this incident is about hub model ${quote(row.model_id)}; version ${versionId} is registered as ${quote(l.hub_model_id)}`);
      }
      const modelId = row.remote_id ? row.model_id : (l?.hub_model_id ?? row.model_id);
      this.db.prepare(`UPDATE incidents SET version_id = ?, model_id = ? WHERE local_id = ?`).run(versionId, modelId, localId);
      return this.get(localId);
    }).immediate();
  }

  enqueue(localId: string, op: 'create' | 'update', payload: Record<string, unknown>, baseRevision: number): void {
    this.db.prepare(`INSERT INTO incident_outbox (local_id, op, payload, base_revision, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(localId, op, JSON.stringify(payload), baseRevision, newIdempotencyKey(localId), now());
  }

  retry(localId?: string): number {
    const sql = `UPDATE incident_outbox SET state = 'pending', last_error = NULL, next_attempt_at = NULL, attempts = attempts WHERE state = 'failed'`;
    return (localId ? this.db.prepare(`${sql} AND local_id = ?`).run(localId) : this.db.prepare(sql).run()).changes;
  }

  row(localId: string): IncidentRow {
    const r = this.db.prepare(`SELECT * FROM incidents WHERE local_id = ?`).get(localId) as IncidentRow | undefined;
    if (!r) throw new HallmarkError('not_found', `no incident ${quote(localId)}`);
    return r;
  }

  get(localId: string): IncidentRecord {
    const r = this.list({ localId })[0];
    if (!r) throw new HallmarkError('not_found', `no incident ${quote(localId)}`);
    return r;
  }

  list(f: ListFilter & { localId?: string } = {}): IncidentRecord[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    const eq = (col: string, v: unknown, name: string) => {
      if (v === undefined) return;
      where.push(`${col} = @${name}`);
      args[name] = v;
    };
    eq('i.local_id', f.localId, 'localId');
    eq('i.status', f.status, 'status');
    eq('i.severity', f.severity, 'severity');
    eq('i.category', f.category, 'category');
    eq('i.version_id', f.versionId, 'versionId');
    if (f.model !== undefined) {
      where.push(`(i.model_id = @model OR m.name = @model)`);
      args.model = f.model;
    }
    const state = `CASE WHEN EXISTS (SELECT 1 FROM incident_outbox o WHERE o.local_id = i.local_id AND o.state = 'failed') THEN 'failed'
      WHEN EXISTS (SELECT 1 FROM incident_outbox o WHERE o.local_id = i.local_id) THEN 'pending' ELSE 'synced' END`;
    if (f.syncState) {
      where.push(`(${state}) = @syncState`);
      args.syncState = f.syncState;
    }
    const rows = this.db.prepare(`SELECT i.*, (${state}) AS sync_state,
        (SELECT COUNT(*) FROM incident_outbox o WHERE o.local_id = i.local_id) AS pending_changes,
        (SELECT o.last_error FROM incident_outbox o WHERE o.local_id = i.local_id AND o.last_error IS NOT NULL ORDER BY (o.state = 'failed') DESC, o.id LIMIT 1) AS outbox_error,
        CASE WHEN v.id IS NULL THEN NULL ELSE m.name || '@' || v.number END AS version_label
      FROM incidents i LEFT JOIN versions v ON v.id = i.version_id LEFT JOIN models m ON m.id = v.model_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY i.created_at DESC, i.local_id DESC LIMIT @limit`).all({ ...args, limit: f.limit ?? 500 }) as Array<IncidentRow & { sync_state: 'pending' | 'synced' | 'failed'; pending_changes: number; outbox_error: string | null; version_label: string | null }>;
    return rows.map((r) => ({
      local_id: r.local_id, remote_id: r.remote_id, model_id: r.model_id, version_id: r.version_id, version_label: r.version_label,
      category: r.category as IncidentRecord['category'], severity: r.severity as IncidentRecord['severity'], status: r.status as IncidentRecord['status'],
      title: r.title, description: r.description, notes: r.notes, source: r.source, verified: Boolean(r.verified), reporter_email: r.reporter_email,
      revision: r.revision, created_at: r.created_at, updated_at: r.updated_at,
      sync_state: r.sync_state, sync_error: r.sync_state === 'synced' ? null : (r.outbox_error ?? r.sync_error), conflict_note: r.conflict_note,
      pending_changes: r.pending_changes,
    }));
  }

  counts(): { pending: number; failed: number } {
    const r = this.db.prepare(`SELECT
        COUNT(DISTINCT CASE WHEN state = 'pending' THEN local_id END) AS pending,
        COUNT(DISTINCT CASE WHEN state = 'failed' THEN local_id END) AS failed FROM incident_outbox`).get() as { pending: number; failed: number };
    return r;
  }

  /**
   * Applies what the hub says about one incident. Fields with local changes still queued keep the local
   * value (the queued change will be sent and judged by the hub); everything else takes the hub's value.
   */
  applyRemote(r: RemoteIncident, findVersion: (modelId: string) => number | null): 'inserted' | 'updated' | 'unchanged' {
    let row = this.db.prepare(`SELECT * FROM incidents WHERE remote_id = ?`).get(r.id) as IncidentRow | undefined;
    if (!row && r.client_ref) {
      row = this.db.prepare(`SELECT * FROM incidents WHERE local_id = ? AND remote_id IS NULL`).get(r.client_ref) as IncidentRow | undefined;
    }
    if (!row) {
      const localId = r.client_ref && !this.db.prepare(`SELECT 1 FROM incidents WHERE local_id = ?`).get(r.client_ref) && /^loc_[0-9a-f-]{36}$/.test(r.client_ref) ? r.client_ref : `loc_${randomUUID()}`;
      this.db.prepare(`INSERT INTO incidents (local_id, remote_id, model_id, version_id, category, severity, status, title, description, notes, source, verified, reporter_email, revision, acked_revision, seq, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`)
        .run(localId, r.id, r.model_id, findVersion(r.model_id), r.category, r.severity, r.status, r.title, r.description, r.notes ?? null, r.source, r.verified ? 1 : 0, r.reporter_email ?? null, r.revision, r.seq, r.created_at, r.updated_at);
      return 'inserted';
    }
    if (row.remote_id === r.id && row.revision >= r.revision && row.seq >= r.seq) return 'unchanged';
    const pending = new Set<string>();
    for (const o of this.db.prepare(`SELECT payload FROM incident_outbox WHERE local_id = ? AND op = 'update'`).all(row.local_id) as Array<{ payload: string }>) {
      for (const k of Object.keys(JSON.parse(o.payload) as object)) pending.add(k);
    }
    const keep = (f: PatchField, remote: string | null) => (pending.has(f) ? row[f] : remote);
    this.db.prepare(`UPDATE incidents SET remote_id = ?, model_id = ?, category = ?, severity = ?, status = ?, title = ?, description = ?, notes = ?, source = ?, verified = ?,
        reporter_email = ?, revision = MAX(revision, ?), seq = MAX(seq, ?), updated_at = ?, version_id = COALESCE(version_id, ?) WHERE local_id = ?`)
      .run(r.id, r.model_id, r.category, keep('severity', r.severity), keep('status', r.status), r.title, r.description, keep('notes', r.notes ?? null), r.source, r.verified ? 1 : 0,
        r.reporter_email ?? null, r.revision, r.seq, r.updated_at, findVersion(r.model_id), row.local_id);
    return 'updated';
  }
}

type z_IncidentCreate = { versionId?: number | undefined; modelId?: string | undefined; category: IncidentCreate['category']; severity?: IncidentCreate['severity']; title: string; description: string };
