// The schema, as the areas that own its tables declare it; PRAGMA user_version records the last migration run.
// Numbering: 001-009 registry/jobs, 010-019 inspect/scan, 020-029 run/audit/monitoring, 030-039 multi-process
// ownership and recovery, 040-049 embed (fine-tuning), 050-059 incidents and hub sync, 060-069 signatures,
// 070-079 evaluate (batch predictions, materialized, A/B), 080-089 data quality and monitoring over time. A new migration must be numbered above every one already released: a database
// at user_version N skips all migrations numbered <= N (test/services/migrations.test.ts holds the released ones).
import type { Migration } from '../../native/Database';
import { embedMigrations } from './embed/migrations';
import { evaluateMigrations } from './evaluate/migrations';
import { incidentMigrations } from './incidents/migrations';
import { jobMigrations } from './jobs/migrations';
import { runMigrations } from './inference/migrations';
import { processMigrations } from './process/migrations';
import { monitoringMigrations } from './monitoring/migrations';
import { qualityMigrations } from './quality/migrations';
import { registryMigrations } from './registry/migrations';
import { scanMigrations } from './scan/migrations';
import { signingMigrations } from './signing/migrations';

export const migrations: readonly Migration[] = [...registryMigrations, ...jobMigrations, ...scanMigrations, ...runMigrations, ...processMigrations, ...embedMigrations, ...incidentMigrations, ...signingMigrations, ...evaluateMigrations, ...qualityMigrations, ...monitoringMigrations]
  .sort((a, b) => a.version - b.version);
