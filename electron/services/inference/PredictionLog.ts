import type { Sqlite } from '../../../native/Database';
import type { PredictionRow } from '../../contract/monitoring';
import type { ResolvedModel } from './modelRef';

export interface PredictionInput {
  model: ResolvedModel;
  method: 'onnx' | 'complete' | 'chat';
  latencyMs: number;
  tokens?: number | null;
  tokensPerSec?: number | null;
  batchSize?: number | null;
  inputsHash: string;
  error?: string | null;
  /** A classifier's predicted class (one per call; a batch runner records one row per input row). */
  outputLabel?: string | null;
  /** A regressor's predicted value. */
  outputValue?: number | null;
  /** For imports of history and tests; defaults to now. */
  at?: Date;
}

/** Every inference call leaves one row, failures included (they feed the error rate). */
export function recordPrediction(db: Sqlite, p: PredictionInput): number {
  const r = db.prepare(`INSERT INTO predictions (model_key, version_id, model_path, format, method, created_at, latency_ms, tokens, tokens_per_sec, batch_size, inputs_hash, error)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    p.model.key, p.model.versionId, p.model.path, p.model.format, p.method, (p.at ?? new Date()).toISOString(), p.latencyMs,
    p.tokens ?? null, p.tokensPerSec ?? null, p.batchSize ?? null, p.inputsHash, p.error ?? null,
  );
  const id = Number(r.lastInsertRowid);
  const value = p.outputValue !== undefined && p.outputValue !== null && Number.isFinite(p.outputValue) ? p.outputValue : null;
  const label = p.outputLabel ?? null;
  if (label !== null || value !== null) {
    db.prepare(`INSERT INTO prediction_outputs (prediction_id, output_label, output_value) VALUES (?, ?, ?)`).run(id, label, value);
  }
  return id;
}

/** The most recent predictions of a model, newest first; `afterId` keeps only later ones. */
export function listPredictions(db: Sqlite, modelKey: string, opts: { limit?: number; afterId?: number } = {}): PredictionRow[] {
  return db.prepare(`SELECT p.*, o.output_label, o.output_value FROM predictions p LEFT JOIN prediction_outputs o ON o.prediction_id = p.id
      WHERE p.model_key = ? AND p.id > ? ORDER BY p.id DESC LIMIT ?`)
    .all(modelKey, opts.afterId ?? 0, opts.limit ?? 1000) as PredictionRow[];
}
