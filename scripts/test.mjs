// `npm test`: type check, lint, build, unit + integration (vitest), then end-to-end (Playwright, Debian chromium).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const steps = [
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'npx', ['eslint', '.']],
  ['build', 'npm', ['run', 'build']],
  ['unit and integration tests', 'npx', ['vitest', 'run']],
];
const chromium = process.env.HALLMARK_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync('playwright.config.ts')) {
  if (existsSync(chromium)) steps.push(['end-to-end tests', 'npx', ['playwright', 'test']]);
  else if (process.env.CI) {
    console.error(`end-to-end tests need Chromium at ${chromium} (.ci/run installs Debian's chromium)`);
    process.exit(1);
  } else console.warn(`skipping end-to-end tests: no Chromium at ${chromium} (apt-get install chromium)`);
}

for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${name} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  console.log(`=== ${name}: ok in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}
