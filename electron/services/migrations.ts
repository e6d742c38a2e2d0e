// Numbered migrations, applied in order at start-up; PRAGMA user_version records the last one.
// Numbering: 001-009 registry/jobs, 010-019 inspect/scan, 020-029 run/audit/monitoring, 030-039 multi-process
// ownership and recovery. A new migration must be numbered above every one already released: a database
// at user_version N skips all migrations numbered <= N.
import { sql as m001 } from './registry/migrations';
import { sql as m002 } from './jobs/migrations';
import { sql as m010 } from './scan/migrations';
import { sql as m020 } from './inference/migrations';
import { sql as m030 } from './process/migrations';
import type { Migration } from '../../native/Database';

export const migrations: Migration[] = [
  { version: 1, name: 'registry', sql: m001 },
  { version: 2, name: 'jobs', sql: m002 },
  { version: 10, name: 'scans', sql: m010 },
  { version: 20, name: 'runs', sql: m020 },
  { version: 30, name: 'owners', sql: m030 },
];
