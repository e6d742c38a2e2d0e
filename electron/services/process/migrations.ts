// Several processes may open one home at once (the app, the CLI, the bridge). Each records who it is so
// start-up recovery reclaims only what dead processes left: jobs carry their owner, live processes are
// listed, and post-import work (inspect + scan) is queued in a table until done so a kill -9 between the
// commit and the scan does not leave a version unscanned forever.
import type { Migration } from '../../../native/Database';

export const processMigrations: Migration[] = [{ version: 30, name: 'owners', sql: `
ALTER TABLE jobs ADD COLUMN owner TEXT;
CREATE TABLE processes (
  owner TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  started_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE pending_hooks (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  owner TEXT,
  created_at TEXT NOT NULL
);
INSERT INTO pending_hooks (version_id, owner, created_at)
  SELECT v.id, NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM versions v
  WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.version_id = v.id AND s.status != 'running');
` }];
