import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeTarget, openHubDb, parseDatabaseUrl } from '../../server/db/open';
import { hubMigrations } from '../../server/db/migrations';

describe('hub database URLs and migrations', () => {
  it('parses sqlite and postgres URLs and refuses other schemes', () => {
    expect(parseDatabaseUrl('sqlite:///var/lib/hub.db')).toEqual({ kind: 'sqlite', file: '/var/lib/hub.db' });
    expect(parseDatabaseUrl('sqlite:rel.db')).toEqual({ kind: 'sqlite', file: path.resolve('rel.db') });
    expect(parseDatabaseUrl('/abs/hub.db')).toEqual({ kind: 'sqlite', file: '/abs/hub.db' });
    expect(parseDatabaseUrl('postgres://u:p@h:5432/d?schema=hub_a')).toEqual({ kind: 'postgres', url: 'postgres://u:p@h:5432/d', schema: 'hub_a' });
    expect(parseDatabaseUrl('postgresql://h/d').kind).toBe('postgres');
    expect(() => parseDatabaseUrl('postgres://h/d?schema=Bad;Drop')).toThrow(/schema/);
    expect(() => parseDatabaseUrl('mysql://h/d')).toThrow(/unsupported database URL scheme/);
    expect(() => parseDatabaseUrl('sqlite://')).toThrow(/names no file/);
  });

  it('never shows a password', () => {
    expect(describeTarget({ kind: 'postgres', url: 'postgres://hub:s3cret@db/hub' })).toBe('postgres://hub:***@db/hub');
  });

  it('migrates once, and refuses a database a newer hub migrated', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-hub-db-'));
    try {
      const file = path.join(dir, 'hub.db');
      const a = await openHubDb({ kind: 'sqlite', file });
      const names = await sql<{ name: string }>`SELECT name FROM hub_migrations ORDER BY name`.execute(a.db);
      expect(names.rows.map((r) => r.name)).toEqual(hubMigrations.map((m) => m.name));
      await sql`INSERT INTO hub_migrations (name, applied_at) VALUES ('9999_future', '2099-01-01T00:00:00.000Z')`.execute(a.db);
      await a.db.destroy();
      await expect(openHubDb({ kind: 'sqlite', file })).rejects.toThrow(/newer Hallmark \(9999_future\)/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the two dialects\' steps in step', () => {
    for (const m of hubMigrations) expect(m.sqlite.length, m.name).toBe(m.postgres.length);
  });
});
