// Models, immutable versions, per-version file manifests, blobs and full-text search.
import type { Migration } from '../../../native/Database';

export const registryMigrations: Migration[] = [{ version: 1, name: 'registry', sql: `
CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  description TEXT NOT NULL DEFAULT '',
  framework TEXT NOT NULL DEFAULT 'other',
  model_type TEXT NOT NULL DEFAULT 'other',
  latest_version_id INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX models_updated ON models(updated_at);
CREATE TABLE model_tags (
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (model_id, tag)
) WITHOUT ROWID;
CREATE INDEX model_tags_tag ON model_tags(tag);
CREATE TABLE versions (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  stage TEXT NOT NULL DEFAULT 'none' CHECK (stage IN ('none','staging','production','archived')),
  storage TEXT NOT NULL CHECK (storage IN ('vault','in_place')),
  source_path TEXT,
  content_hash TEXT NOT NULL,
  total_size INTEGER NOT NULL,
  file_count INTEGER NOT NULL,
  metrics TEXT NOT NULL DEFAULT '{}',
  config TEXT NOT NULL DEFAULT '{}',
  notes TEXT NOT NULL DEFAULT '',
  parent_id INTEGER REFERENCES versions(id) ON DELETE SET NULL,
  format TEXT,
  verified_at TEXT,
  integrity TEXT NOT NULL DEFAULT 'unknown' CHECK (integrity IN ('unknown','ok','changed','missing')),
  created_at TEXT NOT NULL,
  UNIQUE (model_id, number)
);
CREATE INDEX versions_content ON versions(content_hash);
CREATE INDEX versions_stage ON versions(stage);
CREATE INDEX versions_created ON versions(created_at);
CREATE TABLE version_files (
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  mtime_ms INTEGER,
  PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
CREATE INDEX version_files_sha ON version_files(sha256);
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE VIRTUAL TABLE versions_fts USING fts5(
  name, description, tags, framework, model_type, notes, files,
  tokenize = 'unicode61 remove_diacritics 2 tokenchars ''_'''
);
` }];
