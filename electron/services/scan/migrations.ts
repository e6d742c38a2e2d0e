// Inspect metadata per version (and per file of it), scan runs, their files and findings.
// A scan run belongs to a version (post-import and re-scans) or to ad-hoc paths (version_id NULL).
// Findings are rows so the Scans view can filter by severity/rule/file in SQL.
import type { Migration } from '../../../native/Database';

export const scanMigrations: Migration[] = [{ version: 10, name: 'scans', sql: `
CREATE TABLE version_inspections (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  format TEXT NOT NULL,
  metadata TEXT NOT NULL,
  inspector_version TEXT NOT NULL,
  inspected_at TEXT NOT NULL
);
CREATE TABLE version_file_inspections (
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  format TEXT NOT NULL,
  metadata TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
CREATE TABLE scans (
  id INTEGER PRIMARY KEY,
  version_id INTEGER REFERENCES versions(id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running','done','failed')),
  verdict TEXT CHECK (verdict IN ('clean','findings','error')),
  worst TEXT CHECK (worst IN ('critical','high','medium','low','info')),
  critical INTEGER NOT NULL DEFAULT 0,
  high INTEGER NOT NULL DEFAULT 0,
  medium INTEGER NOT NULL DEFAULT 0,
  low INTEGER NOT NULL DEFAULT 0,
  info INTEGER NOT NULL DEFAULT 0,
  file_count INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  scanner_version TEXT NOT NULL,
  job_id TEXT,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER
);
CREATE INDEX scans_version ON scans(version_id, id);
CREATE INDEX scans_started ON scans(started_at);
CREATE INDEX scans_verdict ON scans(verdict);
CREATE TABLE scan_files (
  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  format TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  error TEXT,
  PRIMARY KEY (scan_id, path)
) WITHOUT ROWID;
CREATE TABLE scan_findings (
  id INTEGER PRIMARY KEY,
  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
  severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low','info')),
  rule TEXT NOT NULL,
  file TEXT NOT NULL,
  location TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX scan_findings_scan ON scan_findings(scan_id, severity);
CREATE INDEX scan_findings_rule ON scan_findings(rule);
` }];
