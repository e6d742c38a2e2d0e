import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseVersionError, openDatabase } from '../../native/Database';
import { migrations } from '../../electron/services/migrations';

describe('openDatabase', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-db-'));

  it('runs migrations once, in WAL with foreign keys on', () => {
    const file = path.join(dir, 'a.db');
    const db = openDatabase(file, migrations);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const latest = Math.max(...migrations.map((m) => m.version));
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    db.close();
    openDatabase(file, migrations).close(); // second open: nothing to apply, no error
  });

  it('refuses a database written by a newer version, without touching it', () => {
    const file = path.join(dir, 'newer.db');
    const db = openDatabase(file, migrations);
    db.pragma('user_version = 999');
    db.close();
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file, migrations)).toThrow(DatabaseVersionError);
    expect(() => openDatabase(file, migrations)).toThrow(/newer Hallmark \(schema 999/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('rolls back a failing migration as a whole', () => {
    const file = path.join(dir, 'bad.db');
    const bad = [...migrations, { version: 999, name: 'broken', sql: 'CREATE TABLE t1 (x); CREATE TABLE t1 (y);' }];
    expect(() => openDatabase(file, bad)).toThrow(/already exists/);
    const db = openDatabase(file, migrations);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 't1'`).get()).toBeUndefined();
    db.close();
  });

  it('refuses a list with two migrations of one number (it would run only one of them)', () => {
    const file = path.join(dir, 'dup.db');
    expect(() => openDatabase(file, [{ version: 1, name: 'a', sql: 'CREATE TABLE a (x)' }, { version: 1, name: 'b', sql: 'CREATE TABLE b (x)' }])).toThrow(/two migrations are numbered 1/);
  });
});
