import { sql, type Transaction } from 'kysely';
import type { HubDb } from './db/open';
import { num, type HubSchema, type IncidentsTable, type ModelsTable } from './db/schema';
import { canonicalJson, newId, nowIso, parseJsonObject } from './util';

export const CATEGORIES = ['harmful_content', 'technical_error', 'impersonation', 'privacy_violation', 'hallucination', 'bias', 'other'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const STATUSES = ['reported', 'acknowledged', 'investigating', 'resolved', 'dismissed'] as const;
export const SOURCES = ['sdk', 'feedback_page', 'desktop'] as const;
export type IncidentSource = (typeof SOURCES)[number];

export const LIMITS = { title: 200, description: 10_000, notes: 10_000, email: 254, clientRef: 200 } as const;

export const WEBHOOK_EVENTS = ['incident.created', 'incident.status_changed', 'incident.updated'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

type Trx = Transaction<HubSchema>;

/** The wire shape of an incident (sync-api.md); the reporter's e-mail and notes only for the model's owner. */
export function toIncident(r: IncidentsTable, owner: boolean): Record<string, unknown> {
  return {
    id: r.id,
    incident_id: r.id,
    model_id: r.model_id,
    category: r.category,
    severity: r.severity,
    status: r.status,
    title: r.title,
    description: r.description,
    reporter_email: owner ? r.reporter_email : null,
    notes: owner ? r.notes : null,
    verified: Boolean(r.verified),
    source: r.source,
    client_ref: r.client_ref,
    revision: num(r.revision),
    seq: num(r.seq),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/**
 * The next hub-global change number. The counter row's lock is held until the transaction commits, so
 * numbers become visible in the order they were handed out: a sync reader that has seen seq N can
 * never later find a committed change numbered below N (a plain sequence would allow that on PostgreSQL).
 */
export async function nextSeq(trx: Trx): Promise<number> {
  const r = await trx.updateTable('hub_counters').set({ value: sql`value + 1` }).where('name', '=', 'seq').returning('value').executeTakeFirstOrThrow();
  return num(r.value);
}

type Hooks = Array<{ id: string; events: string }>;
const activeHooks = (trx: Trx, providerId: string): Promise<Hooks> =>
  trx.selectFrom('webhooks').select(['id', 'events']).where('provider_id', '=', providerId).where('is_active', '=', 1).execute();

/**
 * Queues one delivery per active webhook of the provider that listens to `event`, in the caller's transaction.
 * `hooks` are read before nextSeq() so that the counter row's lock is held for as few statements as possible.
 */
export async function enqueueWebhooks(trx: Trx, hooks: Hooks, event: WebhookEvent, incident: Record<string, unknown>): Promise<void> {
  const now = nowIso();
  for (const h of hooks) {
    if (!h.events.split(' ').includes(event)) continue;
    const id = newId('dlv');
    const payload = canonicalJson({ id, type: event, created_at: now, data: { incident } });
    await trx.insertInto('webhook_deliveries').values({
      id, webhook_id: h.id, event, payload, status: 'pending', attempts: 0, next_attempt_at: now,
      last_status_code: null, last_error: null, created_at: now, updated_at: now,
    }).execute();
  }
}

export interface NewIncident {
  category: string;
  severity: string;
  title: string;
  description: string;
  reporterEmail: string | null;
  verified: boolean;
  source: IncidentSource;
  clientRef: string | null;
}

export async function insertIncident(trx: Trx, model: Pick<ModelsTable, 'id' | 'provider_id'>, n: NewIncident): Promise<IncidentsTable> {
  const hooks = await activeHooks(trx, model.provider_id);
  const now = nowIso();
  const row: IncidentsTable = {
    id: newId('inc'),
    model_id: model.id,
    provider_id: model.provider_id,
    category: n.category,
    severity: n.severity,
    status: 'reported',
    title: n.title,
    description: n.description,
    reporter_email: n.reporterEmail,
    verified: n.verified ? 1 : 0,
    source: n.source,
    client_ref: n.clientRef,
    notes: null,
    revision: 1,
    field_revisions: JSON.stringify({ status: 1, severity: 1, notes: 1 }),
    seq: await nextSeq(trx),
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('incidents').values(row).execute();
  await enqueueWebhooks(trx, hooks, 'incident.created', toIncident(row, true));
  return row;
}

export interface IncidentPatch {
  status?: string;
  severity?: string;
  notes?: string | null;
  base_revision?: number;
}

export type PatchResult = { kind: 'ok'; row: IncidentsTable } | { kind: 'conflict'; row: IncidentsTable; fields: string[] };

const PATCHABLE = ['status', 'severity', 'notes'] as const;

/**
 * Applies an owner's change. With a stale base_revision, a field the body sets that was changed remotely
 * since that revision (and now holds another value) is a conflict: the hub's value stays and the caller
 * answers 409 with the incident as it now is. Fields untouched since base_revision are applied all the same
 * (docs/sync.md), so one stale field never holds back the others.
 */
export async function patchIncident(trx: Trx, current: IncidentsTable, patch: IncidentPatch): Promise<PatchResult> {
  const fieldRevs = parseJsonObject(current.field_revisions) as Record<string, number>;
  const rev = num(current.revision);
  const changes: Partial<Record<(typeof PATCHABLE)[number], string | null>> = {};
  const conflicts: string[] = [];
  for (const f of PATCHABLE) {
    if (!(f in patch) || patch[f] === undefined) continue;
    const want = patch[f] ?? null;
    if (want === current[f]) continue;
    if (patch.base_revision !== undefined && patch.base_revision !== rev && (fieldRevs[f] ?? 1) > patch.base_revision) conflicts.push(f);
    else changes[f] = want;
  }
  const done = (row: IncidentsTable): PatchResult => (conflicts.length ? { kind: 'conflict', row, fields: conflicts } : { kind: 'ok', row });
  if (!Object.keys(changes).length) return done(current);
  const next = rev + 1;
  for (const f of Object.keys(changes)) fieldRevs[f] = next;
  const hooks = await activeHooks(trx, current.provider_id);
  const updated: IncidentsTable = {
    ...current,
    ...(changes as Partial<IncidentsTable>),
    revision: next,
    field_revisions: JSON.stringify(fieldRevs),
    seq: await nextSeq(trx),
    updated_at: nowIso(),
  };
  await trx.updateTable('incidents').set({
    status: updated.status, severity: updated.severity, notes: updated.notes, revision: updated.revision,
    field_revisions: updated.field_revisions, seq: updated.seq, updated_at: updated.updated_at,
  }).where('id', '=', current.id).execute();
  const wire = toIncident(updated, true);
  await enqueueWebhooks(trx, hooks, changes.status !== undefined ? 'incident.status_changed' : 'incident.updated', wire);
  return done(updated);
}

export async function findIncident(db: HubDb | Trx, id: string): Promise<IncidentsTable | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}
