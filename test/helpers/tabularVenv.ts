// The tabular worker's venv for tests: HALLMARK_TABULAR_PYTHON when set (npm test exports it), else the venv
// the product uses (resources/trainer/setup-venv.sh tabular builds or reuses ~/.cache/hallmark/tabular-venv-<hash16>).
// Returns { reason } (the caller skips) when it cannot be had off CI; throws on CI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const WORKER_DIR = path.join(REPO, 'resources/worker');

let cached: { python: string } | { reason: string } | undefined;

export function tabularPython(): { python: string } | { reason: string } {
  if (cached) return cached;
  const fail = (reason: string) => {
    if (process.env.CI) throw new Error(`tabular tests need the tabular venv on CI: ${reason}`);
    return (cached = { reason });
  };
  let python = process.env.HALLMARK_TABULAR_PYTHON;
  if (!python) {
    const r = spawnSync('bash', [path.join(REPO, 'resources/trainer/setup-venv.sh'), 'tabular'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20 * 60_000 });
    python = r.stdout.trim().split('\n').pop();
    if (r.status !== 0 || !python) return fail(`resources/trainer/setup-venv.sh tabular failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  if (!fs.existsSync(python)) return fail(`no python at ${python}`);
  return (cached = { python });
}

export interface FixtureModel { name: string; file: string; onnx: string; framework: string; kind: string; data: string }

/** Trains the fixture models (test/fixtures/tabular/make_models.py) into `out`; returns the manifest. */
export function makeTabularModels(python: string, out: string, rows = 400): FixtureModel[] {
  const r = spawnSync(python, [path.join(REPO, 'test/fixtures/tabular/make_models.py'), out, String(rows)], { encoding: 'utf8', timeout: 5 * 60_000 });
  if (r.status !== 0) throw new Error(`make_models.py failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as FixtureModel[];
}

/** Parses the fixture CSVs (id, f0..f3, y): rows of features, ids and labels. */
export function readFixtureCsv(file: string): { ids: string[]; rows: number[][]; labels: number[] } {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const ids: string[] = [];
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const l of lines) {
    const c = l.split(',');
    ids.push(c[0]!);
    rows.push(c.slice(1, 5).map(Number));
    labels.push(Number(c[5]));
  }
  return { ids, rows, labels };
}
