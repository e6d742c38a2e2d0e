// Run, monitoring and audit data: the prediction log, monitoring baselines, encrypted fingerprint
// sets and finished audit reports (an audit's id is the id of the job that ran it). A model is keyed by its registry version when it has one and
// by its absolute path otherwise (`model_key` = 'version:<id>' | 'path:<abs path>').
// Monitoring and audit tables share this one migration because they were released together: splitting
// it would change what user_version 20 means for databases that already have it.
import type { Migration } from '../../../native/Database';

export const runMigrations: Migration[] = [{ version: 20, name: 'runs', sql: `
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY,
  model_key TEXT NOT NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  model_path TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('gguf','onnx')),
  method TEXT NOT NULL,
  created_at TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  tokens INTEGER,
  tokens_per_sec REAL,
  batch_size INTEGER,
  inputs_hash TEXT NOT NULL,
  error TEXT
);
CREATE INDEX predictions_model ON predictions(model_key, id);
CREATE INDEX predictions_version ON predictions(version_id);
CREATE TABLE monitor_baselines (
  id INTEGER PRIMARY KEY,
  model_key TEXT NOT NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL,
  sample_count INTEGER NOT NULL,
  first_prediction_id INTEGER,
  last_prediction_id INTEGER,
  latency_mean REAL NOT NULL,
  latency_std REAL NOT NULL,
  tokens_per_sec_mean REAL,
  tokens_per_sec_std REAL,
  error_rate REAL NOT NULL
);
CREATE INDEX monitor_baselines_model ON monitor_baselines(model_key, id);
CREATE TABLE fingerprint_sets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  count INTEGER NOT NULL,
  key_length INTEGER NOT NULL,
  response_length INTEGER NOT NULL,
  key_source TEXT NOT NULL CHECK (key_source IN ('passphrase','app')),
  envelope TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE audits (
  id TEXT PRIMARY KEY,
  model_key TEXT NOT NULL,
  model_label TEXT NOT NULL,
  version_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  model_path TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('fingerprints','link')),
  mode TEXT NOT NULL CHECK (mode IN ('quick','full')),
  verdict TEXT NOT NULL CHECK (verdict IN ('present','absent','inconclusive')),
  match_rate REAL NOT NULL,
  p_value REAL NOT NULL,
  report TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX audits_model ON audits(model_key, finished_at);
CREATE INDEX audits_version ON audits(version_id);
` }];
