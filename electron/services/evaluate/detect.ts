// Framework and model type from what the inspector read (never from loading the file): a pickle's imported
// globals (as the scanner sees them), XGBoost/LightGBM objectives, ONNX outputs, GGUF metadata. Null fields
// mean "cannot tell": the caller keeps what it had (a user's choice is never overwritten).
import path from 'node:path';
import type { AppContext } from '../AppContext';
import { inspectSource } from '../formats/inspect';
import { FileSource } from '../formats/io';
import type { Inspection } from '../formats/types';

export interface DetectedMeta {
  framework: string | null;
  modelType: string | null;
  /** Why, in a few words, for the UI and `hallmark meta detect`. */
  evidence: string[];
}

const FAMILIES: Array<[RegExp, string]> = [[/^xgboost(\.|$)/, 'xgboost'], [/^lightgbm(\.|$)/, 'lightgbm'], [/^catboost(\.|$)/, 'catboost'], [/^sklearn(\.|$)/, 'sklearn']];

const CLUSTERING = /^(KMeans|MiniBatchKMeans|DBSCAN|HDBSCAN|OPTICS|Birch|AgglomerativeClustering|SpectralClustering|MeanShift|AffinityPropagation|BisectingKMeans|GaussianMixture)$/;

/** scikit-learn style class names: *Classifier, *Regressor and the well-known ones without the suffix. */
export function typeFromClassName(name: string): string | null {
  if (/Classifier(CV)?$|^(LogisticRegression(CV)?|SVC|NuSVC|LinearSVC|GaussianNB|MultinomialNB|BernoulliNB|ComplementNB|CategoricalNB|LinearDiscriminantAnalysis|QuadraticDiscriminantAnalysis|CatBoost(Classifier)?)$/.test(name)) {
    return name === 'CatBoost' ? null : 'classification';
  }
  if (/Regressor(CV)?$|Regression(CV)?$|^(Ridge(CV)?|Lasso(CV|LarsCV|Lars|LarsIC)?|ElasticNet(CV)?|SVR|NuSVR|LinearSVR|Lars(CV)?|BayesianRidge|ARDRegression|HuberRegressor|KernelRidge|TweedieRegressor|PoissonRegressor|GammaRegressor|Booster)$/.test(name)) {
    return name === 'Booster' ? null : 'regression';
  }
  if (CLUSTERING.test(name)) return 'clustering';
  return null;
}

/** XGBoost (binary:logistic, reg:squarederror, rank:pairwise…) and LightGBM (binary, multiclass, regression_l2…) objectives. */
export function typeFromObjective(objective: string | null | undefined): string | null {
  const o = (objective ?? '').trim().split(/\s+/)[0]!.toLowerCase();
  if (!o) return null;
  if (/^(binary|multi|multiclass|multiclassova|softmax|cross_entropy|xentropy|cross_entropy_lambda)/.test(o)) return 'classification';
  if (/^(reg|regression|huber|fair|poisson|quantile|mape|gamma|tweedie|l1|l2|mae|mse|rmse|count|survival)/.test(o)) return 'regression';
  if (/^(rank|lambdarank|rank_xendcg)/.test(o)) return 'recommendation';
  return null;
}

const EMBEDDING_ARCHS = /^(bert|nomic-bert|nomic-bert-moe|jina-bert-v2|jina-bert-v3|modern-bert|t5encoder|neo-bert|xlm-roberta|roberta|distilbert|gte|e5)$/i;

export function detectMeta(ins: Inspection): DetectedMeta {
  const evidence: string[] = [];
  const out = (framework: string | null, modelType: string | null): DetectedMeta => ({ framework, modelType, evidence });
  switch (ins.format) {
    case 'pickle':
    case 'joblib': {
      const imports = Array.isArray(ins.imports) ? (ins.imports as Array<{ module?: unknown; name?: unknown }>) : [];
      // The first model-library import is the outermost object (pickle emits a class before its state).
      let framework: string | null = null;
      let modelType: string | null = null;
      for (const g of imports) {
        const mod = typeof g.module === 'string' ? g.module : '';
        const name = typeof g.name === 'string' ? g.name : '';
        const fam = FAMILIES.find(([re]) => re.test(mod))?.[1];
        if (!fam) continue;
        if (!framework) {
          framework = fam;
          evidence.push(`the pickle imports ${mod}.${name}`);
        }
        if (!modelType) {
          const t = typeFromClassName(name);
          if (t) {
            modelType = t;
            evidence.push(`${name} is a ${t} estimator`);
          }
        }
      }
      if (!framework) evidence.push('the pickle imports no scikit-learn, XGBoost, LightGBM or CatBoost class');
      return out(framework ?? 'pickle', modelType);
    }
    case 'xgboost':
    case 'lightgbm': {
      const t = typeFromObjective(typeof ins.objective === 'string' ? ins.objective : null);
      if (t) evidence.push(`objective ${String(ins.objective)}`);
      return out(ins.format, t);
    }
    case 'catboost':
      return out('catboost', null);
    case 'onnx': {
      const outputs = Array.isArray(ins.outputs) ? (ins.outputs as Array<{ name?: unknown; type?: unknown }>) : [];
      const ops = (ins.opHistogram ?? {}) as Record<string, number>;
      const names = outputs.map((o) => (typeof o.name === 'string' ? o.name : ''));
      const hasLabel = names.some((n) => /label/i.test(n));
      const hasProb = names.some((n) => /prob/i.test(n)) || outputs.some((o) => typeof o.type === 'string' && /map|seq/i.test(o.type));
      const opNames = Object.keys(ops).join(' ');
      if ((hasLabel && hasProb) || /ZipMap|TreeEnsembleClassifier|LinearClassifier|SVMClassifier/.test(opNames)) {
        evidence.push(hasLabel && hasProb ? `outputs ${names.join(', ')} (label + probabilities)` : 'a classifier operator (ai.onnx.ml)');
        return out('onnx', 'classification');
      }
      if (/TreeEnsembleRegressor|LinearRegressor|SVMRegressor/.test(opNames)) {
        evidence.push('a regressor operator (ai.onnx.ml)');
        return out('onnx', 'regression');
      }
      return out('onnx', null);
    }
    case 'gguf': {
      const arch = typeof ins.architecture === 'string' ? ins.architecture : null;
      if (!arch) return out('gguf', null);
      evidence.push(`general.architecture ${arch}`);
      if (EMBEDDING_ARCHS.test(arch)) return out('gguf', 'embedding');
      if (ins.tokenizerModel || ins.chatTemplate) evidence.push('a tokenizer');
      return out('gguf', 'llm');
    }
    default:
      return out(null, null);
  }
}

const MODEL_FORMATS = new Set(['pickle', 'joblib', 'xgboost', 'lightgbm', 'catboost', 'onnx', 'gguf']);

/**
 * Detects a version's framework and model type from its files' headers (at most `maxFiles` looked at; the
 * first file that names a framework decides, one that also gives a type wins over one that does not).
 */
export async function detectVersionMeta(ctx: AppContext, versionId: number, maxFiles = 64): Promise<DetectedMeta | null> {
  let best: DetectedMeta | null = null;
  for (const f of ctx.registry.files(versionId).slice(0, maxFiles)) {
    let ins: Inspection;
    let src: FileSource | null = null;
    try {
      src = await FileSource.open(ctx.registry.filePath(versionId, f.path));
      ins = await inspectSource(src, path.posix.basename(f.path));
    } catch {
      continue; // unreadable or in-place file gone: nothing to learn from it
    } finally {
      await src?.close();
    }
    if (!MODEL_FORMATS.has(ins.format)) continue;
    const d = detectMeta(ins);
    if (!d.framework) continue;
    d.evidence.unshift(f.path);
    if (!best || (!best.modelType && d.modelType)) best = d;
    if (best.modelType) break;
  }
  return best;
}

/** After an import created a model: set what was detected, leaving alone what the user gave. */
export async function applyDetectedMeta(ctx: AppContext, versionId: number, name: string, keep: { framework: boolean; modelType: boolean }): Promise<DetectedMeta | null> {
  const d = await detectVersionMeta(ctx, versionId);
  if (!d) return null;
  const patch: { framework?: string; modelType?: string } = {};
  if (!keep.framework && d.framework) patch.framework = d.framework;
  if (!keep.modelType && d.modelType) patch.modelType = d.modelType;
  if (Object.keys(patch).length) ctx.registry.update(name, patch);
  return d;
}
