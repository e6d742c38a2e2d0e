// Persisted jobs so a restart can tell what was interrupted.
import type { Migration } from '../../../native/Database';

export const jobMigrations: Migration[] = [{ version: 2, name: 'jobs', sql: `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','cancelled','interrupted')),
  done_bytes INTEGER NOT NULL DEFAULT 0,
  total_bytes INTEGER,
  message TEXT,
  error TEXT,
  result TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_created ON jobs(created_at);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
` }];
