import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { HubSchema } from './schema';
import { hubMigrations, type Dialect } from './migrations';

export type HubDb = Kysely<HubSchema>;

/** Where the hub keeps its data: a SQLite file, or a PostgreSQL database (optionally one schema of it). */
export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

/** `sqlite:///abs/path`, `sqlite:relative`, a bare path, or `postgres://` / `postgresql://`. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // A schema may be named in the URL (?schema=NAME) so several hubs (or test runs) share one database.
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema ${JSON.stringify(schema)} must be a lower-case SQL identifier`);
    return { kind: 'postgres', url: u.toString(), ...(schema ? { schema } : {}) };
  }
  const m = /^sqlite:(?:\/\/)?(.*)$/i.exec(url);
  if (!m && /^[a-z][a-z0-9+.-]*:/i.test(url)) throw new Error(`unsupported database URL scheme in ${JSON.stringify(url.split(':')[0])}: use sqlite:///path/to/hub.db or postgres://user:password@host:port/database`);
  const file = m ? m[1]! : url;
  if (!file) throw new Error('the SQLite URL names no file (sqlite:///path/to/hub.db)');
  return { kind: 'sqlite', file: path.resolve(file) };
}

/** How the target reads in logs and `--json` output: never the password. */
export function describeTarget(t: DatabaseTarget): string {
  if (t.kind === 'sqlite') return `sqlite:${t.file}`;
  const u = new URL(t.url);
  if (u.password) u.password = '***';
  return u.toString() + (t.schema ? ` (schema ${t.schema})` : '');
}

export interface OpenedDb {
  db: HubDb;
  dialect: Dialect;
}

/** Opens the database and brings its schema up to date. */
export async function openHubDb(target: DatabaseTarget): Promise<OpenedDb> {
  if (target.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(target.file), { recursive: true, mode: 0o700 });
    // The hub database holds reporters' e-mail addresses and signing secrets: 0600 like the registry's.
    fs.closeSync(fs.openSync(target.file, 'a', 0o600));
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const database = new Sqlite(target.file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // Kysely prepares every query anew; the hub runs a few dozen distinct statements, so keep them prepared
    // (the driver runs one query at a time, so a cached statement is never in use twice).
    const statements = new Map<string, BetterSqlite3.Statement>();
    const cached = {
      close: () => database.close(),
      prepare: (text: string) => {
        let s = statements.get(text);
        if (!s) {
          if (statements.size >= 500) statements.clear(); // queries with IN (…) lists vary; never grow unbounded
          s = database.prepare(text);
          statements.set(text, s);
        }
        return s;
      },
    };
    const db = new Kysely<HubSchema>({ dialect: new SqliteDialect({ database: cached }) });
    try {
      await migrate(db, 'sqlite');
    } catch (e) {
      await db.destroy();
      throw e;
    }
    return { db, dialect: 'sqlite' };
  }
  const pg = (await import('pg')).default;
  const schema = target.schema;
  if (schema) {
    // Create the schema before the pool pins search_path to it.
    const c = new pg.Client({ connectionString: target.url });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await c.end();
    }
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 10, ...(schema ? { options: `-c search_path="${schema}"` } : {}) });
  const db = new Kysely<HubSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, 'postgres');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return { db, dialect: 'postgres' };
}

async function migrate(db: HubDb, dialect: Dialect): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS hub_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`.execute(db);
  for (const m of hubMigrations) {
    await db.transaction().execute(async (trx) => {
      // Two hubs starting on one PostgreSQL database must not both run a step.
      if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(7242001)`.execute(trx);
      const done = await sql<{ name: string }>`SELECT name FROM hub_migrations WHERE name = ${m.name}`.execute(trx);
      if (done.rows.length) return;
      for (const stmt of m[dialect]) await sql.raw(stmt).execute(trx);
      await sql`INSERT INTO hub_migrations (name, applied_at) VALUES (${m.name}, ${new Date().toISOString()})`.execute(trx);
    });
  }
  const known = new Set(hubMigrations.map((m) => m.name));
  const applied = await sql<{ name: string }>`SELECT name FROM hub_migrations`.execute(db);
  const unknown = applied.rows.filter((r) => !known.has(r.name));
  if (unknown.length) throw new Error(`the hub database was migrated by a newer Hallmark (${unknown.map((r) => r.name).join(', ')}); upgrade Hallmark`);
}
