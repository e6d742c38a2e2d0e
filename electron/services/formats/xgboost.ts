// XGBoost models: JSON (`{"learner": …, "version": [...]}`), UBJSON (the default since 2.1) and the
// legacy binary format ("binf"). Only the model header fields are reported.
import { FormatError, readExact, type ByteSource } from './io';
import type { MatchContext } from './types';

export class XgboostError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'XgboostError';
  }
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean => {
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'binf') return true;
  // UBJSON object whose first key is "learner": '{', an integer type marker (i U I l L, big-endian)
  // for the key length, 7, then the bytes. JSON ('{"learner"') is left to the JSON reader.
  if (head[0] !== 0x7b || head.length < 9) return false;
  const width: Record<number, number> = { 0x69: 1, 0x55: 1, 0x49: 2, 0x6c: 4, 0x4c: 8 };
  const w = width[head[1]!];
  if (w === undefined || head.length < 2 + w + 7) return false;
  let len = 0;
  for (let i = 0; i < w; i++) len = len * 256 + head[2 + i]!;
  return len === 7 && head.toString('latin1', 2 + w, 2 + w + 7) === 'learner';
};

export function summarizeJson(v: unknown): Record<string, unknown> {
  const o = v as { learner?: Record<string, unknown>; version?: unknown[] };
  const l = o.learner ?? {};
  const gb = (l.gradient_booster ?? {}) as { name?: string; model?: { gbtree_model_param?: Record<string, unknown>; trees?: unknown[] } };
  const lmp = (l.learner_model_param ?? {}) as Record<string, unknown>;
  return {
    variant: 'json',
    version: o.version ?? null,
    booster: gb.name ?? null,
    objective: (l.objective as { name?: string } | undefined)?.name ?? null,
    numFeature: lmp.num_feature ?? null,
    numClass: lmp.num_class ?? null,
    numTrees: gb.model?.gbtree_model_param?.num_trees ?? (Array.isArray(gb.model?.trees) ? gb.model.trees.length : null),
    featureNames: Array.isArray(l.feature_names) ? (l.feature_names as unknown[]).slice(0, 1000) : null,
  };
}

export async function read(src: ByteSource): Promise<Record<string, unknown>> {
  const head = await readExact(src, 0, Math.min(src.size, 1 << 20), 'xgboost head');
  if (head.toString('latin1', 0, 4) === 'binf') return { variant: 'binary', bytes: src.size };
  // UBJSON: report what is legible in the head without a full decoder.
  const text = head.toString('latin1');
  const grab = (key: string): string | null => {
    const i = text.indexOf(key);
    if (i < 0) return null;
    const m = /[A-Za-z0-9:_.-]{1,64}/.exec(text.slice(i + key.length + 2, i + key.length + 80));
    return m ? m[0] : null;
  };
  return { variant: 'ubjson', objective: grab('name'), numFeature: grab('num_feature'), numClass: grab('num_class'), bytes: src.size };
}
