// `hallmark predict`, `predictions get`, `compare-predictions`, `meta set|detect` and `trainer setup|status
// --profile tabular` through the real CLI (in-process), on models trained in the tabular venv.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { venvPython } from '../../electron/services/embed/trainerEnv';
import { tabularStatus, tabularVenvDir } from '../../electron/services/evaluate/tabularEnv';
import { cliRunner } from '../helpers/cli';
import { makeTabularModels, REPO, tabularPython } from '../helpers/tabularVenv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-evalcli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the tabular venv: one path definition (setup-venv.sh tabular), TS agrees', () => {
  it('same path and python as the script', () => {
    const cache = path.join(dir, 'agree');
    const venv = tabularVenvDir({ HALLMARK_CACHE: cache });
    fs.mkdirSync(path.join(venv, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(venv, '.complete'), 'test\n');
    const r = spawnSync('bash', [path.join(REPO, 'resources/trainer/setup-venv.sh'), 'tabular'], { env: { ...process.env, HALLMARK_CACHE: cache }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(venvPython(venv));
    expect(path.basename(venv)).toMatch(/^tabular-venv-[0-9a-f]{16}$/);
    const bad = spawnSync('bash', [path.join(REPO, 'resources/trainer/setup-venv.sh'), 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
  it('status says what to do', async () => {
    const s = tabularStatus({ env: { HALLMARK_CACHE: path.join(dir, 'none') } });
    expect(s).toMatchObject({ state: 'missing' });
    expect(s.problem).toMatch(/hallmark trainer setup --profile tabular/);
    expect(tabularStatus({ env: { HALLMARK_TABULAR_PYTHON: '/nope/python' } })).toMatchObject({ state: 'broken' });
    const r = await cliRunner(path.join(dir, 'h0'))('trainer', 'setup', '--profile', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--profile must be trainer or tabular/);
  });
});

const env = tabularPython();
const skip = 'reason' in env;
if (skip) console.warn(`skipping evaluate CLI tests: ${env.reason}`);

describe.skipIf(skip)('hallmark predict / predictions / compare-predictions / meta', () => {
  const home = path.join(dir, 'home');
  const hallmark = cliRunner(home);
  const fx = path.join(dir, 'fx');
  beforeAll(async () => {
    process.env.HALLMARK_TABULAR_PYTHON = (env as { python: string }).python;
    makeTabularModels((env as { python: string }).python, fx, 400);
    for (const [f, n] of [['logreg.onnx', 'churn'], ['xgb.json', 'churn'], ['raises.pkl', 'bad'], ['gbr.onnx', 'price'], ['gbr.pkl', 'price']]) {
      const r = await hallmark('import', path.join(fx, f!), '--name', n!, '--json');
      expect(r.code, r.stderr).toBe(0);
    }
  }, 300_000);

  it('trainer status --profile tabular sees the venv', async () => {
    const r = await hallmark('trainer', 'status', '--profile', 'tabular', '--probe', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.versions).toMatchObject({ sklearn: expect.any(String), xgboost: expect.any(String), lightgbm: expect.any(String), catboost: expect.any(String) });
  });

  it('predict: JSON result, --output, and the materialized prediction with --max-age', async () => {
    const out = path.join(dir, 'out.jsonl');
    const r = await hallmark('predict', 'churn@2', '--input', path.join(fx, 'data.csv'), '--label-column', 'y', '--ttl', '600', '--output', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ model: 'churn@2', runtime: 'python', rows: 400, failed: 0, output: { rows: 400 } });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { entity: string; prediction: number });
    expect(lines).toHaveLength(400);
    expect(lines[0]!.entity).toBe('e0');
    const g = await hallmark('predictions', 'get', 'churn@2', 'e0', '--max-age', '600', '--json');
    expect(g.code).toBe(0);
    expect(g.json.prediction).toBe(lines[0]!.prediction);
    const stale = await hallmark('predictions', 'get', 'churn@2', 'e0', '--max-age', '0', '--json');
    expect(stale.code).toBe(1);
    expect(stale.stdout.trim()).toBe('null');
    expect((await hallmark('predictions', 'get', 'churn@1', 'e0')).code).toBe(1); // never predicted with v1
  });

  it('predict: usage errors and a model that raises exit 2 with one line; failed rows exit 1', async () => {
    let r = await hallmark('predict', 'churn@1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input is required/);
    r = await hallmark('predict', 'churn@1', '--input', path.join(fx, 'data.csv'), '--ttl', '-5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ttl must be a positive number/);
    r = await hallmark('predict', 'bad@1', '--input', path.join(fx, 'data.csv'), '--allow-pickle');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad@1 raised: ValueError: matmul/);
    r = await hallmark('predict', 'bad@1', '--input', path.join(fx, 'data.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a pickle .*--allow-pickle/);
    const missing = path.join(dir, 'missing.csv');
    fs.writeFileSync(missing, 'id,f0,f1\na,1,2\n');
    r = await hallmark('predict', 'churn@1', '--input', missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/takes 4 features; the input has 2/);
    const some = path.join(dir, 'some.csv');
    fs.writeFileSync(some, 'id,f0,f1,f2,f3\na,1,2,3,4\nb,1,two,3,4\n');
    r = await hallmark('predict', 'churn@1', '--input', some, '--json');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ rows: 1, failed: 1, errors: [{ line: 3, entity: 'b' }] });
  });

  it('compare-predictions: A/B with labels names a winner; weighted splits the traffic', async () => {
    const r = await hallmark('compare-predictions', 'churn@1', 'churn@2', '--input', path.join(fx, 'data.csv'), '--label-column', 'y', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = r.json as { mode: string; task: string; agreement: { rate: number; compared: number }; versions: Array<{ model: string; runtime: string; metrics: { accuracy: number; roc_auc: number } }>; deltas: Array<{ accuracy: number }>; winner: { model: string; by: string } };
    expect(j.mode).toBe('ab');
    expect(j.task).toBe('classification');
    expect(j.versions.map((v) => v.runtime)).toEqual(['onnx', 'python']);
    expect(j.agreement.compared).toBe(400);
    expect(j.agreement.rate).toBeGreaterThan(0.8);
    expect(j.agreement.rate).toBeLessThan(1);
    const [a, b] = j.versions;
    expect(j.deltas[0]!.accuracy).toBeCloseTo(b!.metrics.accuracy - a!.metrics.accuracy, 12);
    expect(j.winner.by).toBe('roc_auc');
    expect(j.winner.model).toBe(b!.metrics.roc_auc > a!.metrics.roc_auc ? 'churn@2' : 'churn@1');
    const reg = await hallmark('compare-predictions', 'price@1', 'price@2', '--input', path.join(fx, 'data_reg.csv'), '--label-column', 'y', '--allow-pickle', '--json');
    expect(reg.code, reg.stderr).toBe(0);
    // The same GradientBoostingRegressor as ONNX and as a pickle: identical within float32 rounding.
    expect(reg.json.task).toBe('regression');
    expect(reg.json.versions[0].metrics.rmse).toBeCloseTo(reg.json.versions[1].metrics.rmse, 4);
    const w = await hallmark('compare-predictions', 'churn@1', 'churn@2', '--input', path.join(fx, 'data.csv'), '--weights', 'churn@1=0.75,churn@2=0.25', '--json');
    expect(w.code, w.stderr).toBe(0);
    expect(w.json.mode).toBe('weighted');
    expect(w.json.agreement).toBeNull();
    expect(w.json.versions[0].rows + w.json.versions[1].rows).toBe(400);
    expect(w.json.versions[0].share).toBeGreaterThan(0.65);
    expect(w.json.versions[0].share).toBeLessThan(0.85);
    const bad = await hallmark('compare-predictions', 'churn@1', 'churn@2', '--input', path.join(fx, 'data.csv'), '--weights', 'churn@3=1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not among the compared versions/);
  }, 120_000);

  it('meta set and detect', async () => {
    let r = await hallmark('meta', 'set', 'churn@1', 'framework=xgboost', 'model_type=regression', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ model: 'churn', framework: 'xgboost', model_type: 'regression' });
    r = await hallmark('meta', 'set', 'churn', 'framework=tensorflowjs');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/framework must be one of/);
    r = await hallmark('meta', 'detect', 'churn@1', '--apply', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ framework: 'onnx', model_type: 'classification', applied: true });
    const s = await hallmark('show', 'churn', '--json');
    expect(s.json).toMatchObject({ framework: 'onnx', modelType: 'classification' });
  });
});
