// `npm test`: type check, lint, build, unit + integration (vitest), then end-to-end (Playwright, Debian chromium).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const steps = [
  // Node code (services, main, CLI, tests) sees no DOM; the renderer sees no Node types; e2e specs both.
  ['typecheck (node)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['typecheck (renderer)', 'npx', ['tsc', '-p', 'renderer/tsconfig.json', '--noEmit']],
  ['typecheck (e2e)', 'npx', ['tsc', '-p', 'test/e2e/tsconfig.json', '--noEmit']],
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

// Test venvs (scripts/python-venv.sh, cached): the real Python loaders the scan corpus is proven against (main),
// older releases of some whose known holes the corpus proves too (legacy), and each reference tool that an
// interoperability test runs against: one requirements-NAME.txt per venv, its python in HALLMARK_<NAME>_PYTHON.
const venvs = [['HALLMARK_TEST_PYTHON', 'main']];
for (const f of readdirSync('test/python').sort()) {
  const m = /^requirements-([a-z0-9]+)\.txt$/.exec(f);
  if (m) venvs.push([`HALLMARK_${m[1].toUpperCase()}_PYTHON`, m[1]]);
}
for (const [variable, which] of venvs) {
  if (process.env[variable]) continue;
  console.log(`\n=== test venv (${which}): scripts/python-venv.sh${which === 'main' ? '' : ` ${which}`} (cached after the first run)`);
  const v = spawnSync('bash', ['scripts/python-venv.sh', ...(which === 'main' ? [] : [which])], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const py = v.stdout.trim().split('\n').pop();
  if (v.status === 0 && py) process.env[variable] = py;
  else if (process.env.CI) {
    console.error(`could not create the ${which} test venv (scripts/python-venv.sh ${which === 'main' ? '' : which})`);
    process.exit(1);
  } else console.warn(`no ${which} test venv: the tests that need it are skipped or incomplete`);
}

// The tabular model worker's own venv (the product's, not a test venv: resources/trainer/setup-venv.sh tabular,
// cached under a hash of resources/worker/requirements.txt): its tests train scikit-learn, XGBoost, LightGBM and
// CatBoost models in it and run them through both runtimes.
if (!process.env.HALLMARK_TABULAR_PYTHON) {
  console.log('\n=== tabular worker venv: resources/trainer/setup-venv.sh tabular (cached after the first run)');
  const v = spawnSync('bash', ['resources/trainer/setup-venv.sh', 'tabular'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const py = v.stdout.trim().split('\n').pop();
  if (v.status === 0 && py) process.env.HALLMARK_TABULAR_PYTHON = py;
  else if (process.env.CI) {
    console.error('could not create the tabular worker venv (resources/trainer/setup-venv.sh tabular)');
    process.exit(1);
  } else console.warn('no tabular worker venv: the tabular model tests are skipped');
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
