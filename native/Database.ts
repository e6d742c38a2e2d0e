import fs from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

// Loaded on first open, not at import: commands that never touch the registry (`hallmark scan`, run
// per file by CI gates) should not pay for the native addon at start-up.
const loadSqlite = (): typeof BetterSqlite3 => createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

/**
 * Under Electron, better-sqlite3 (a V8-ABI addon, unlike the N-API onnxruntime-node and node-llama-cpp)
 * must be the build for Electron's ABI: scripts/electron-native.mjs fetches it beside the Node build and
 * electron/main names it in HALLMARK_SQLITE_BINDING. Node processes (CLI, serve, tests) ignore it.
 */
function electronBinding(): BetterSqlite3.Options {
  const p = process.env.HALLMARK_SQLITE_BINDING;
  return process.versions.electron && p && fs.existsSync(p) ? { nativeBinding: p } : {};
}

export class DatabaseVersionError extends Error {
  constructor(readonly path: string, readonly found: number, readonly supported: number) {
    super(`database "${path}" was written by a newer Hallmark (schema ${found}, this build knows up to ${supported}); upgrade Hallmark or choose another HALLMARK_HOME`);
    this.name = 'DatabaseVersionError';
  }
}

export type Sqlite = BetterSqlite3.Database;

/** One schema step; `version` is what PRAGMA user_version records once it has run. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Opens the registry database: WAL, foreign keys, numbered migrations applied in one transaction each. */
export function openDatabase(file: string, list: readonly Migration[]): Sqlite {
  const Sqlite = loadSqlite();
  // Model registries are private: create the file 0600 ourselves (SQLite gives -wal/-shm the database
  // file's mode), and tighten files an older build created 0644.
  try {
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  } catch {
    // a read-only or foreign-owned file: SQLite reports what matters when it opens it
  }
  const db = new Sqlite(file, electronBinding());
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // The list is assembled from several areas' files: two steps claiming one number would silently skip one.
    const seen = new Set<number>();
    for (const m of list) {
      if (seen.has(m.version)) throw new Error(`two migrations are numbered ${m.version}`);
      seen.add(m.version);
    }
    const latest = list.reduce((m, x) => Math.max(m, x.version), 0);
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) throw new DatabaseVersionError(file, current, latest);
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
