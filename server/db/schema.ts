// Row types as both dialects store them: timestamps are ISO-8601 text (UTC, "Z"), booleans 0/1, JSON as
// text, so one query builder serves SQLite and PostgreSQL alike. PostgreSQL hands BIGINT back as a string:
// read numbers through num().

export interface ProvidersTable {
  id: string;
  company_name: string;
  email: string;
  website: string;
  trust_center_url: string | null;
  github_url: string | null;
  linkedin_url: string | null;
  profile: string; // JSON object
  compliance: string; // JSON object
  trust_level: string;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  provider_id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string; // space-separated
  is_active: number;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

export interface ModelsTable {
  id: string;
  provider_id: string;
  api_model_identifier: string;
  version: string;
  version_number: number;
  display_name: string;
  description: string;
  endpoint: string;
  model_type: string;
  family_name: string | null;
  is_public: number;
  is_archived: number;
  archive_reason: string | null;
  archived_at: string | null;
  metadata: string; // JSON object: the optional registration fields
  created_at: string;
  updated_at: string;
}

export interface VerificationsTable {
  token_hash: string;
  model_id: string;
  user_fingerprint: string;
  metadata: string | null;
  created_at: string;
  expires_at: string;
  checks: number;
}

export interface IncidentsTable {
  id: string;
  model_id: string;
  provider_id: string;
  category: string;
  severity: string;
  status: string;
  title: string;
  description: string;
  reporter_email: string | null;
  verified: number;
  source: string;
  client_ref: string | null;
  notes: string | null;
  revision: number;
  field_revisions: string; // JSON {status, severity, notes}: the revision that last changed each
  seq: number | string;
  created_at: string;
  updated_at: string;
}

export interface CountersTable {
  name: string;
  value: number | string;
}

export interface IdempotencyTable {
  scope: string;
  idem_key: string;
  method: string;
  path: string;
  body_hash: string;
  status: number;
  response: string;
  created_at: string;
}

export interface WebhooksTable {
  id: string;
  provider_id: string;
  url: string;
  secret: string;
  events: string; // space-separated
  is_active: number;
  created_at: string;
}

export interface DeliveriesTable {
  id: string;
  webhook_id: string;
  event: string;
  payload: string;
  status: string; // pending | delivered | failed
  attempts: number;
  next_attempt_at: string;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface HubSchema {
  providers: ProvidersTable;
  api_keys: ApiKeysTable;
  models: ModelsTable;
  verifications: VerificationsTable;
  incidents: IncidentsTable;
  hub_counters: CountersTable;
  idempotency_keys: IdempotencyTable;
  webhooks: WebhooksTable;
  webhook_deliveries: DeliveriesTable;
  webhook_attempts: AttemptsTable;
}

export const num = (v: number | string | bigint | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
