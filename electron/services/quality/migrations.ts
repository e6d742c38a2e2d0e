// Data-quality baselines (a per-column profile of a version's training data) and the checks run
// against them. Both belong to a registry version and go with it.
import type { Migration } from '../../../native/Database';

export const qualityMigrations: Migration[] = [{ version: 80, name: 'quality', sql: `
CREATE TABLE quality_baselines (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  source TEXT NOT NULL,
  rows INTEGER NOT NULL,
  columns INTEGER NOT NULL,
  profile TEXT NOT NULL
);
CREATE INDEX quality_baselines_version ON quality_baselines(version_id, id);
CREATE TABLE quality_checks (
  id INTEGER PRIMARY KEY,
  baseline_id INTEGER NOT NULL REFERENCES quality_baselines(id) ON DELETE CASCADE,
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok','warn','alert')),
  report TEXT NOT NULL
);
CREATE INDEX quality_checks_version ON quality_checks(version_id, id);
` }];
