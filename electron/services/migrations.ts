// The schema, as the areas that own its tables declare it; PRAGMA user_version records the last migration run.
// Numbering: 001-009 registry/jobs, 010-019 inspect/scan, 020-029 run/audit/monitoring, 030-039 multi-process
// ownership and recovery, 040-049 embed (fine-tuning). A new migration must be numbered above every one already released: a database
// at user_version N skips all migrations numbered <= N (test/services/migrations.test.ts holds the released ones).
import type { Migration } from '../../native/Database';
import { embedMigrations } from './embed/migrations';
import { jobMigrations } from './jobs/migrations';
import { runMigrations } from './inference/migrations';
import { processMigrations } from './process/migrations';
import { registryMigrations } from './registry/migrations';
import { scanMigrations } from './scan/migrations';

export const migrations: readonly Migration[] = [...registryMigrations, ...jobMigrations, ...scanMigrations, ...runMigrations, ...processMigrations, ...embedMigrations]
  .sort((a, b) => a.version - b.version);
