// Batch predictions, materialized predictions and A/B comparisons (070-079).
// eval_batches: one run of a version over a dataset file; `resume_offset`/`resume_line` point just past the
// last committed chunk, so a batch interrupted by a dead worker or a killed app continues from there.
// eval_results: one row per (batch, entity), UPSERTed, so a chunk replayed after a crash never duplicates; rows are
// inserted in input order, so rowid order is line order (no second index to maintain per row).
// materialized: the latest prediction per (model_key, entity) with created_at and an optional expiry (seed
// 003's materialized inference: fetched with a maximum age). Times are epoch milliseconds.
import type { Migration } from '../../../native/Database';

export const evaluateMigrations: Migration[] = [{ version: 70, name: 'evaluate', sql: `
CREATE TABLE eval_batches (
  id INTEGER PRIMARY KEY,
  job_id TEXT,
  model_key TEXT NOT NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  runtime TEXT NOT NULL CHECK (runtime IN ('onnx','python')),
  model_type TEXT,
  model_file TEXT NOT NULL,
  input_path TEXT NOT NULL,
  input_size INTEGER NOT NULL,
  input_mtime_ms REAL NOT NULL,
  input_format TEXT NOT NULL CHECK (input_format IN ('csv','jsonl')),
  id_column TEXT,
  label_column TEXT,
  columns TEXT NOT NULL DEFAULT '[]',
  feature_map TEXT NOT NULL DEFAULT '[]',
  route TEXT,
  ttl_s INTEGER,
  chunk_rows INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running','done','failed','cancelled','interrupted')),
  rows_done INTEGER NOT NULL DEFAULT 0,
  rows_failed INTEGER NOT NULL DEFAULT 0,
  rows_skipped INTEGER NOT NULL DEFAULT 0,
  resume_offset INTEGER NOT NULL DEFAULT 0,
  resume_line INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]',
  latencies TEXT NOT NULL DEFAULT '[]',
  error TEXT,
  owner TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX eval_batches_version ON eval_batches(version_id, id);
CREATE TABLE eval_results (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES eval_batches(id) ON DELETE CASCADE,
  entity TEXT NOT NULL,
  line INTEGER NOT NULL,
  prediction TEXT,
  probabilities TEXT,
  label TEXT,
  error TEXT,
  UNIQUE (batch_id, entity)
);
CREATE TABLE materialized (
  model_key TEXT NOT NULL,
  entity TEXT NOT NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE CASCADE,
  batch_id INTEGER REFERENCES eval_batches(id) ON DELETE SET NULL,
  prediction TEXT NOT NULL,
  probabilities TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (model_key, entity)
) WITHOUT ROWID;
CREATE INDEX materialized_expiry ON materialized(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE eval_comparisons (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  input_path TEXT NOT NULL,
  label_column TEXT,
  mode TEXT NOT NULL CHECK (mode IN ('ab','weighted')),
  report TEXT NOT NULL
);
` }];
