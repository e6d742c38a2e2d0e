#!/usr/bin/env node
// The `hallmark` command: the bundled CLI when built, else the TypeScript sources through tsx (development).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const built = new URL('../out/cli/hallmark.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const entry = fileURLToPath(new URL('../electron/cli/entry.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 2);
}
