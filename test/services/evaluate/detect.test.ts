// Framework and model type at import: from a pickle's imports (as the scanner sees them), objectives, ONNX
// outputs and GGUF metadata, never from the extension alone; what the user gave is kept.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMeta, typeFromClassName, typeFromObjective } from '../../../electron/services/evaluate/detect';
import { cliRunner } from '../../helpers/cli';
import { makeTabularModels, tabularPython } from '../../helpers/tabularVenv';

describe('detectMeta (pure)', () => {
  it('class names and objectives', () => {
    expect(typeFromClassName('RandomForestClassifier')).toBe('classification');
    expect(typeFromClassName('LogisticRegression')).toBe('classification');
    expect(typeFromClassName('GradientBoostingRegressor')).toBe('regression');
    expect(typeFromClassName('LinearRegression')).toBe('regression');
    expect(typeFromClassName('KMeans')).toBe('clustering');
    expect(typeFromClassName('StandardScaler')).toBeNull();
    expect(typeFromObjective('binary:logistic')).toBe('classification');
    expect(typeFromObjective('multi:softprob')).toBe('classification');
    expect(typeFromObjective('reg:squarederror')).toBe('regression');
    expect(typeFromObjective('binary sigmoid:1')).toBe('classification');
    expect(typeFromObjective('regression')).toBe('regression');
    expect(typeFromObjective(null)).toBeNull();
  });

  it('a pickle is sklearn only when it imports sklearn; the outermost library class decides', () => {
    expect(detectMeta({ format: 'pickle', imports: [{ module: 'collections', name: 'OrderedDict' }] })).toMatchObject({ framework: 'pickle', modelType: null });
    expect(detectMeta({ format: 'joblib', imports: [{ module: 'sklearn.pipeline', name: 'Pipeline' }, { module: 'sklearn.svm._classes', name: 'SVC' }] }))
      .toMatchObject({ framework: 'sklearn', modelType: 'classification' });
    expect(detectMeta({ format: 'pickle', imports: [{ module: 'xgboost.sklearn', name: 'XGBRegressor' }, { module: 'xgboost.core', name: 'Booster' }] }))
      .toMatchObject({ framework: 'xgboost', modelType: 'regression' });
    expect(detectMeta({ format: 'pickle', imports: [{ module: 'lightgbm.sklearn', name: 'LGBMClassifier' }] })).toMatchObject({ framework: 'lightgbm', modelType: 'classification' });
    expect(detectMeta({ format: 'pickle', imports: [{ module: 'catboost.core', name: 'CatBoostClassifier' }] })).toMatchObject({ framework: 'catboost', modelType: 'classification' });
    // A look-alike module name is not scikit-learn.
    expect(detectMeta({ format: 'pickle', imports: [{ module: 'sklearnish', name: 'Classifier' }] })).toMatchObject({ framework: 'pickle' });
  });

  it('ONNX outputs and GGUF metadata', () => {
    expect(detectMeta({ format: 'onnx', outputs: [{ name: 'output_label', type: 'tensor(int64)' }, { name: 'output_probability', type: 'seq(map(int64,tensor(float)))' }], opHistogram: { ZipMap: 1 } }))
      .toMatchObject({ framework: 'onnx', modelType: 'classification' });
    expect(detectMeta({ format: 'onnx', outputs: [{ name: 'variable', type: 'tensor(float)' }], opHistogram: { TreeEnsembleRegressor: 1 } })).toMatchObject({ modelType: 'regression' });
    expect(detectMeta({ format: 'onnx', outputs: [{ name: 'logits', type: 'tensor(float)' }], opHistogram: { MatMul: 3 } })).toMatchObject({ framework: 'onnx', modelType: null });
    expect(detectMeta({ format: 'gguf', architecture: 'llama', tokenizerModel: 'gpt2' })).toMatchObject({ framework: 'gguf', modelType: 'llm' });
    expect(detectMeta({ format: 'gguf', architecture: 'nomic-bert' })).toMatchObject({ modelType: 'embedding' });
  });
});

const env = tabularPython();
const skip = 'reason' in env;
if (skip) console.warn(`skipping import detection of real models: ${env.reason}`);

describe.skipIf(skip)('hallmark import detects framework and type of real models', () => {
  let dir: string;
  let hallmark: ReturnType<typeof cliRunner>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-detect-'));
    makeTabularModels((env as { python: string }).python, path.join(dir, 'm'), 120);
    hallmark = cliRunner(path.join(dir, 'home'));
    // A pickle of a plain OrderedDict (protocol 2, written by hand): a pickle, not a scikit-learn model.
    fs.writeFileSync(path.join(dir, 'm', 'plain.pkl'), Buffer.from('\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.', 'latin1'));
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string, string | null]> = [
    ['logreg.pkl', 'sklearn', 'classification'], ['gbr.pkl', 'sklearn', 'regression'], ['forest.pkl', 'sklearn', 'classification'],
    ['xgb.json', 'xgboost', 'classification'], ['lgbm.txt', 'lightgbm', 'classification'], ['cat.cbm', 'catboost', null],
    ['logreg.onnx', 'onnx', 'classification'], ['gbr.onnx', 'onnx', 'regression'], ['plain.pkl', 'pickle', null],
  ];
  for (const [file, framework, type] of cases) {
    it(`${file} → ${framework}/${type ?? 'other'}`, async () => {
      const name = file.replace('.', '-');
      const r = await hallmark('import', path.join(dir, 'm', file), '--name', name, '--json');
      expect(r.code, r.stderr).toBe(0);
      const l = await hallmark('list', '--json');
      const row = (l.json as Array<{ model: string; framework: string; model_type?: string }>).find((x) => x.model === name)!;
      expect(row.framework).toBe(framework);
      const show = await hallmark('show', name, '--json');
      expect((show.json as { modelType: string }).modelType).toBe(type ?? 'other');
    }, 60_000);
  }
});
