// Moving the migrations next to the areas that own them must not change what a database on disk goes
// through: the list released before (frozen in the fixture) must be a prefix of today's, and a database
// built by it, fully or part way, must open with today's code to the same schema as a fresh one.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Migration, type Sqlite } from '../../native/Database';
import { AppContext } from '../../electron/services/AppContext';
import { migrations } from '../../electron/services/migrations';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const released = JSON.parse(fs.readFileSync(new URL('../fixtures/schema/migrations-before-issue8.json', import.meta.url), 'utf8')) as Migration[];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-migrations-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What the code before the move did: each step in order, then its number into user_version. */
function oldOpen(file: string, upTo: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const m of released) {
    if (m.version > upTo) break;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  db.close();
}

function schema(db: Sqlite): unknown[] {
  return db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all();
}

function fresh(): unknown[] {
  const db = openDatabase(path.join(dir, `fresh-${Math.random()}.db`), migrations);
  try {
    return schema(db);
  } finally {
    db.close();
  }
}

describe('migrations owned by their areas', () => {
  it('keep every released migration: same number, name and SQL, in the same order', () => {
    expect(migrations.slice(0, released.length).map((m) => ({ ...m }))).toEqual(released);
    expect(new Set(migrations.map((m) => m.version)).size).toBe(migrations.length);
  });

  it('a home whose database the old code created keeps its schema and gains only the newer migrations', async () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    oldOpen(path.join(home, 'hallmark.db'), Infinity);
    const before = new Database(path.join(home, 'hallmark.db'), { readonly: true });
    const oldSchema = schema(before);
    before.close();
    const ctx = AppContext.open({ home }); // the real start-up path
    try {
      // Every object the old code made is there unchanged; migrations released since (040 embed, 050 incidents, 060 signatures) only add.
      const now = schema(ctx.db);
      expect(now).toEqual(expect.arrayContaining(oldSchema));
      expect(now).toEqual(fresh());
      expect(ctx.db.pragma('user_version', { simple: true })).toBe(Math.max(...migrations.map((m) => m.version)));
    } finally {
      await ctx.dispose();
    }
  });

  it.each(released.map((m) => m.version))('a database the old code left at user_version %i upgrades to the fresh schema', (v) => {
    const file = path.join(dir, `old-${v}.db`);
    oldOpen(file, v);
    const db = openDatabase(file, migrations);
    try {
      expect(schema(db)).toEqual(fresh());
      expect(db.pragma('user_version', { simple: true })).toBe(Math.max(...migrations.map((m) => m.version)));
    } finally {
      db.close();
    }
  });
});
