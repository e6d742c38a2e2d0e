// Real models trained in the tabular venv (scikit-learn, XGBoost, LightGBM, CatBoost), each run through the
// Python worker (its native file or pickle) and through onnxruntime-node (its skl2onnx / onnxmltools / CatBoost
// ONNX export): labels identical, probabilities and regression values within 1e-5.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../native/OnnxRuntime';
import { TabularWorker, TabularWorkerError } from '../../native/TabularWorker';
import { onnxRunner, pythonRunner } from '../../electron/services/evaluate/runners';
import { makeTabularModels, readFixtureCsv, tabularPython, WORKER_DIR, type FixtureModel } from '../helpers/tabularVenv';

const env = tabularPython();
const skip = 'reason' in env;
if (skip) console.warn(`skipping tabular worker tests: ${env.reason}`);

describe.skipIf(skip)('TabularWorker and the ONNX path give identical predictions', () => {
  let dir: string;
  let models: FixtureModel[];
  let worker: TabularWorker;
  const ort = new OnnxRuntime({ gpu: false, threads: 1 });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-tab-'));
    models = makeTabularModels((env as { python: string }).python, dir);
    worker = await TabularWorker.create({ python: (env as { python: string }).python, pythonPath: [WORKER_DIR] });
  }, 300_000);
  afterAll(async () => {
    await worker?.dispose();
    await ort.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains every framework', () => {
    expect(models.map((m) => m.name).sort()).toEqual(['cat', 'forest', 'gbr', 'lgbm', 'logreg', 'xgb']);
  });

  for (const name of ['logreg', 'forest', 'gbr', 'xgb', 'lgbm', 'cat']) {
    it(`${name}: Python worker == onnxruntime-node`, async () => {
      const m = models.find((x) => x.name === name)!;
      const { rows, labels } = readFixtureCsv(path.join(dir, m.data));
      const pm = await worker.load(path.join(dir, m.file), { allowPickle: m.file.endsWith('.pkl') });
      expect(pm.info.framework).toBe(m.framework);
      expect(pm.info.model_type).toBe(m.kind);
      const py = await pythonRunner(worker, pm).predict(rows);
      const ox = await onnxRunner(await ort.open(path.join(dir, m.onnx))).predict(rows);
      expect(py.predictions).toHaveLength(rows.length);
      expect(ox.predictions).toHaveLength(rows.length);
      if (m.kind === 'classification') {
        expect(ox.predictions.map(Number)).toEqual(py.predictions.map(Number));
        // Sanity: the models learned something (so "identical" is not two constant answers).
        const acc = py.predictions.filter((p, i) => Number(p) === labels[i]).length / rows.length;
        expect(acc).toBeGreaterThan(0.6);
        expect(py.probabilities).not.toBeNull();
        // CatBoost's ONNX export gives probabilities only as a ZipMap (not a tensor): labels are compared there.
        if (name !== 'cat') expect(ox.probabilities).not.toBeNull();
        if (ox.probabilities) {
          for (let r = 0; r < rows.length; r++) for (let c = 0; c < py.probabilities![r]!.length; c++) {
            expect(Math.abs(ox.probabilities[r]![c]! - py.probabilities![r]![c]!)).toBeLessThan(1e-5);
          }
        }
      } else {
        for (let r = 0; r < rows.length; r++) {
          const a = Number(py.predictions[r]);
          expect(Math.abs(Number(ox.predictions[r]) - a)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a)));
        }
      }
    }, 120_000);
  }

  it('refuses a pickle without allow_pickle, and quotes a model that raises', async () => {
    await expect(worker.load(path.join(dir, 'logreg.pkl'))).rejects.toMatchObject({ code: 'PICKLE_NOT_ALLOWED' });
    const bad = await worker.load(path.join(dir, 'raises.pkl'), { allowPickle: true });
    const err = await worker.predict(bad, [[0, 0, 0, 0]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TabularWorkerError);
    expect((err as TabularWorkerError).code).toBe('MODEL_ERROR');
    expect((err as Error).message).toMatch(/ValueError: matmul/);
  });

  it('a SIGKILLed worker fails the request in flight, then restarts and reloads the model on the next one', async () => {
    const m = await worker.load(path.join(dir, 'xgb.json'));
    const before = await worker.predict(m, [[1, 2, 3, 4]]);
    const pid = worker.pid!;
    const starts = worker.starts;
    const inflight = worker.predict(m, Array.from({ length: 20000 }, () => [1, 2, 3, 4]));
    process.kill(pid, 'SIGKILL');
    await expect(inflight).rejects.toMatchObject({ code: 'WORKER_DIED' });
    const after = await worker.predict(m, [[1, 2, 3, 4]]);
    expect(after).toEqual(before);
    expect(worker.starts).toBe(starts + 1);
    expect(worker.pid).not.toBe(pid);
  });

  it('a missing Python is a NO_PYTHON error naming the setup command', async () => {
    await expect(TabularWorker.create({ python: '/nonexistent/python3', pythonPath: [WORKER_DIR] })).rejects.toMatchObject({ code: 'NO_PYTHON' });
  });
});
