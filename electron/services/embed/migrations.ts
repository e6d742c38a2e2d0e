// Finished embeds (fine-tunes that embed a link or fingerprints): one row per run, written once when it
// ends, so a crash mid-train leaves no row (its job is marked interrupted) and never half a record.
import type { Migration } from '../../../native/Database';

export const embedMigrations: Migration[] = [{ version: 40, name: 'embeds', sql: `
CREATE TABLE embeds (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('done','failed','cancelled')),
  task TEXT NOT NULL,
  mode TEXT NOT NULL,
  base_label TEXT NOT NULL,
  base_version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  model TEXT,
  version INTEGER,
  params TEXT NOT NULL DEFAULT '{}',
  metrics TEXT NOT NULL DEFAULT '{}',
  eval TEXT NOT NULL DEFAULT '{}',
  dataset_sha256 TEXT,
  losses TEXT NOT NULL DEFAULT '[]',
  warnings TEXT NOT NULL DEFAULT '[]',
  before_audit_id TEXT,
  after_audit_id TEXT,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX embeds_finished ON embeds(finished_at);
CREATE INDEX embeds_version ON embeds(version_id);
` }];
