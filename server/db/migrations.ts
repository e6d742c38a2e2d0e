// The hub's schema, per dialect, side by side. Each step runs once, in one transaction, recorded in
// hub_migrations; steps are append-only (a released step is never edited: add the next one).
// Types are chosen to mean the same in both: TEXT timestamps (ISO-8601 UTC, sortable), INTEGER 0/1
// booleans, BIGINT for the hub-global change counter.

export type Dialect = 'sqlite' | 'postgres';

export interface HubMigration {
  name: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}

const init = (bigint: string): string[] => [
  `CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    company_name TEXT NOT NULL,
    email TEXT NOT NULL,
    website TEXT NOT NULL,
    trust_center_url TEXT,
    github_url TEXT,
    linkedin_url TEXT,
    profile TEXT NOT NULL DEFAULT '{}',
    compliance TEXT NOT NULL DEFAULT '{}',
    trust_level TEXT NOT NULL DEFAULT 'unverified',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    expires_at TEXT
  )`,
  `CREATE INDEX api_keys_provider ON api_keys (provider_id)`,
  `CREATE TABLE models (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    api_model_identifier TEXT NOT NULL,
    version TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model_type TEXT NOT NULL,
    family_name TEXT,
    is_public INTEGER NOT NULL,
    is_archived INTEGER NOT NULL DEFAULT 0,
    archive_reason TEXT,
    archived_at TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider_id, api_model_identifier, version_number),
    UNIQUE (provider_id, api_model_identifier, version)
  )`,
  `CREATE TABLE verifications (
    token_hash TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    user_fingerprint TEXT NOT NULL,
    metadata TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    checks INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE INDEX verifications_expiry ON verifications (expires_at)`,
  `CREATE TABLE hub_counters (name TEXT PRIMARY KEY, value ${bigint} NOT NULL)`,
  `INSERT INTO hub_counters (name, value) VALUES ('seq', 0)`,
  `CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    reporter_email TEXT,
    verified INTEGER NOT NULL,
    source TEXT NOT NULL,
    client_ref TEXT,
    notes TEXT,
    revision INTEGER NOT NULL,
    field_revisions TEXT NOT NULL,
    seq ${bigint} NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  `CREATE INDEX incidents_provider_seq ON incidents (provider_id, seq)`,
  `CREATE INDEX incidents_model ON incidents (model_id)`,
  // A desktop incident is created once per local id, whatever the retries.
  `CREATE UNIQUE INDEX incidents_client_ref ON incidents (provider_id, client_ref) WHERE client_ref IS NOT NULL`,
  `CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, idem_key)
  )`,
  `CREATE INDEX idempotency_created ON idempotency_keys (created_at)`,
  `CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
  )`,
  `CREATE INDEX webhooks_provider ON webhooks (provider_id)`,
  `CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)`,
  `CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at)`,
  `CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
  )`,
  `CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt)`,
];

export const hubMigrations: readonly HubMigration[] = [
  // SQLite's INTEGER is already 64-bit; PostgreSQL's is 32.
  { name: '0001_init', sqlite: init('INTEGER'), postgres: init('BIGINT') },
];
