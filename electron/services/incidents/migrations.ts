// Incidents and their sync with a hub (050-059): the local records, the outbox of changes still to push
// (one row per change, each with its own idempotency key), the links between local versions and hub
// models, and small key/value sync state (cursor, last sync, settings, the sealed key).
import type { Migration } from '../../../native/Database';

export const incidentMigrations: Migration[] = [{ version: 50, name: 'incidents', sql: `
CREATE TABLE incidents (
  local_id TEXT PRIMARY KEY,
  remote_id TEXT UNIQUE,
  model_id TEXT,
  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  notes TEXT,
  source TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0,
  reporter_email TEXT,
  revision INTEGER NOT NULL DEFAULT 0,
  acked_revision INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sync_error TEXT,
  conflict_note TEXT
);
CREATE INDEX incidents_created ON incidents(created_at DESC);
CREATE INDEX incidents_version ON incidents(version_id);
CREATE INDEX incidents_model ON incidents(model_id);
CREATE TABLE incident_outbox (
  id INTEGER PRIMARY KEY,
  local_id TEXT NOT NULL REFERENCES incidents(local_id) ON DELETE CASCADE,
  op TEXT NOT NULL CHECK (op IN ('create','update')),
  payload TEXT NOT NULL,
  base_revision INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT NOT NULL UNIQUE,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','failed')),
  last_error TEXT,
  next_attempt_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX incident_outbox_local ON incident_outbox(local_id, id);
CREATE TABLE hub_links (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  hub_model_id TEXT NOT NULL,
  feedback_url TEXT NOT NULL,
  hub_url TEXT NOT NULL,
  registered_at TEXT NOT NULL
);
CREATE INDEX hub_links_model ON hub_links(hub_model_id);
CREATE TABLE hub_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
` }];
