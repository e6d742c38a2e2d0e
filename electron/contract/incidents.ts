// Incidents kept on the desktop and synced with a hub (sync-api.md): local records, their per-item sync
// state, the hub settings and the status-bar sync state. snake_case like the hub's own objects.
import { z } from 'zod';
import { call } from './define';

export const INCIDENT_CATEGORIES = ['harmful_content', 'technical_error', 'impersonation', 'privacy_violation', 'hallucination', 'bias', 'other'] as const;
export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const INCIDENT_STATUSES = ['reported', 'acknowledged', 'investigating', 'resolved', 'dismissed'] as const;
export const IncidentCategory = z.enum(INCIDENT_CATEGORIES);
export const IncidentSeverity = z.enum(INCIDENT_SEVERITIES);
export const IncidentStatus = z.enum(INCIDENT_STATUSES);
export const SyncState = z.enum(['pending', 'synced', 'failed']);
export type SyncState = z.infer<typeof SyncState>;

/** Hub limits (docs/hub.md): checked here too so an offline create cannot queue what the hub will refuse. */
export const INCIDENT_LIMITS = { title: 200, description: 10_000, notes: 10_000 } as const;

export const IncidentRecord = z.object({
  /** The desktop's id; sent to the hub as client_ref. */
  local_id: z.string(),
  /** The hub's id ("inc_…"), null until the hub has it. */
  remote_id: z.string().nullable(),
  /** The hub's model id ("model_…"). */
  model_id: z.string().nullable(),
  /** The local registry version it is linked to. */
  version_id: z.number().nullable(),
  version_label: z.string().nullable(),
  category: IncidentCategory,
  severity: IncidentSeverity,
  status: IncidentStatus,
  title: z.string(),
  description: z.string(),
  notes: z.string().nullable(),
  source: z.string(),
  verified: z.boolean(),
  reporter_email: z.string().nullable(),
  /** The hub's revision last seen (0: never on the hub). */
  revision: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  sync_state: SyncState,
  /** Why it failed (failed), or what it waits for (pending). */
  sync_error: z.string().nullable(),
  /** A local change the hub refused because the field changed there first ("changed on hub: …"). */
  conflict_note: z.string().nullable(),
  pending_changes: z.number(),
});
export type IncidentRecord = z.infer<typeof IncidentRecord>;

export const IncidentFilter = z.object({
  status: IncidentStatus.optional(),
  severity: IncidentSeverity.optional(),
  category: IncidentCategory.optional(),
  /** A hub model id or a local model name. */
  model: z.string().max(200).optional(),
  versionId: z.number().int().positive().optional(),
  syncState: SyncState.optional(),
  limit: z.number().int().min(1).max(10_000).default(500),
});

export const IncidentCreate = z.object({
  /** Link to a local version; its hub registration gives the hub model id. */
  versionId: z.number().int().positive().optional(),
  /** Or name the hub model directly. */
  modelId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).optional(),
  category: IncidentCategory,
  severity: IncidentSeverity.default('medium'),
  title: z.string().trim().min(1).max(INCIDENT_LIMITS.title),
  description: z.string().trim().min(1).max(INCIDENT_LIMITS.description),
}).refine((v) => v.versionId !== undefined || v.modelId !== undefined, { message: 'give versionId (a version registered with the hub) or modelId' });
export type IncidentCreate = z.input<typeof IncidentCreate>;

export const IncidentUpdate = z.object({
  localId: z.string().min(1).max(200),
  status: IncidentStatus.optional(),
  severity: IncidentSeverity.optional(),
  notes: z.string().max(INCIDENT_LIMITS.notes).nullable().optional(),
});

export const HubLink = z.object({
  version_id: z.number(),
  hub_model_id: z.string(),
  feedback_url: z.string(),
  hub_url: z.string(),
  registered_at: z.string(),
});
export type HubLink = z.infer<typeof HubLink>;

export const SyncSummary = z.object({ pushed: z.number(), pulled: z.number(), failed: z.number(), conflicts: z.number(), pending: z.number() });
export type SyncSummary = z.infer<typeof SyncSummary>;

export const HubStatus = z.object({
  configured: z.boolean(),
  url: z.string().nullable(),
  /** How the key is kept: the OS keychain (app), a passphrase (CLI, browser), or none stored. */
  key: z.enum(['keychain', 'passphrase', 'none']),
  /** synced / pending / offline / error / never (configured, not yet synced) / not_configured. */
  state: z.enum(['synced', 'pending', 'offline', 'error', 'never', 'not_configured']),
  last_sync_at: z.string().nullable(),
  last_error: z.string().nullable(),
  pending: z.number(),
  failed: z.number(),
  running: z.boolean(),
  interval_s: z.number(),
});
export type HubStatus = z.infer<typeof HubStatus>;

const Passphrase = z.string().min(1).max(1024).optional();

export const incidentsCalls = {
  'incidents.list': call(IncidentFilter.default({ limit: 500 }), z.array(IncidentRecord), { readonly: true }),
  'incidents.get': call(z.object({ localId: z.string().min(1).max(200) }), IncidentRecord, { readonly: true }),
  'incidents.create': call(IncidentCreate, IncidentRecord),
  'incidents.update': call(IncidentUpdate, IncidentRecord),
  'incidents.link': call(z.object({ localId: z.string().min(1).max(200), versionId: z.number().int().positive().nullable() }), IncidentRecord),
  /** Puts failed items back in the queue (after the user fixed what the reason said). */
  'incidents.retry': call(z.object({ localId: z.string().min(1).max(200).optional() }), z.object({ requeued: z.number() })),
  'hub.status': call(z.object({}).default({}), HubStatus, { readonly: true }),
  /** Saves the hub URL and (optionally) its key: sealed by the OS keychain in the app, by `passphrase` elsewhere. */
  'hub.configure': call(z.object({
    url: z.string().url().max(2048).nullable(),
    apiKey: z.string().min(8).max(512).optional(),
    passphrase: Passphrase,
    intervalS: z.number().int().min(0).max(86_400).optional(),
  }), HubStatus),
  'hub.test': call(z.object({ url: z.string().url().max(2048).optional(), apiKey: z.string().min(8).max(512).optional(), passphrase: Passphrase }).default({}),
    z.object({ ok: z.boolean(), message: z.string(), database: z.string().nullable() })),
  /** Starts a sync job; answers its id (jobs.wait gives the SyncSummary). */
  'hub.sync': call(z.object({ passphrase: Passphrase }).default({}), z.object({ jobId: z.string() })),
  'hub.register': call(z.object({ versionId: z.number().int().positive(), passphrase: Passphrase }), HubLink),
  'hub.links': call(z.object({ versionId: z.number().int().positive().optional() }).default({}), z.array(HubLink), { readonly: true }),
};
