// Batch predictions: a version run over a CSV or JSONL file as a cancellable job. The file is streamed (a
// 10 GB file runs in constant memory), rows go to the runtime in chunks, and each chunk's results are
// committed in one transaction together with the batch's resume point (the byte offset just past the chunk),
// so a batch interrupted by a dead worker (restarted in place) or a killed app (`resumeBatch`) continues
// where it stopped. Results are UPSERTed per (batch, entity) and materialized per (version, entity) with a
// TTL (seed 003's materialized inference): a replayed chunk never duplicates a row.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { TabularWorkerError } from '../../../native/TabularWorker';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { recordPrediction } from '../inference/PredictionLog';
import { checkInput, getBaseline } from '../quality/QualityService';
import { autoFeatureNames, type Prediction, type RunnerOutput, type TabularRunner } from './runners';
import { asEvalError, openTabular, type OpenOptions } from './tabularRuntime';

export const DEFAULT_CHUNK_ROWS = 1000;
/** Longest accepted record (CSV row or JSONL line): a runaway line must not exhaust memory. */
export const MAX_RECORD_BYTES = 1 << 20;
/** A dead worker is restarted this many times per batch before the batch fails. */
export const MAX_RESTARTS = 3;
/** Row errors kept in the job result (all of them are in eval_results). */
const ERRORS_SHOWN = 50;

/**
 * Where QUALITY's data checks plug in (integrator: wire services/quality's checkDataset here). Called with
 * the dataset's header and its first rows before any prediction; the warnings it returns are shown with the
 * batch (UI: before starting; CLI: on stderr) and stored with it. It must not throw for bad data.
 */
export type DatasetCheck = (input: { versionId: number; columns: string[]; sample: Array<Record<string, unknown>> }) => Promise<string[]> | string[];
let datasetCheck: DatasetCheck | null = null;
export function setDatasetCheck(fn: DatasetCheck | null): void {
  datasetCheck = fn;
}

/** Rows the pre-run data-quality check reads (the quick check; the full one is `hallmark quality check`). */
export const QUALITY_SAMPLE_ROWS = 100_000;

async function baselineWarnings(ctx: AppContext, versionId: number, input: string): Promise<string[]> {
  const v = ctx.registry.versionById(versionId);
  if (!getBaseline(ctx, v.model, v.version)) return [];
  const report = await checkInput(ctx, v.model, v.version, input, { maxRows: QUALITY_SAMPLE_ROWS });
  return report.findings.filter((f) => f.severity !== 'info').map((f) => `data quality (${f.severity}): ${f.message}; ${f.advice}`);
}

/**
 * Rows per chunk an ONNX batch also leaves in the prediction log, so the model page's hourly monitoring
 * (latency, error rate, output drift) sees batch traffic without a third write per row. The log's format
 * column admits only the in-process runtimes (gguf, onnx): Python-worker batches are not logged there.
 */
export const MONITOR_SAMPLE_ROWS = 20;

export interface BatchOptions extends OpenOptions {
  /** NAME@VERSION or a version id. */
  model: string | number;
  input: string;
  /** Entity id column (default `id` when the file has one, else the row's line number). */
  idColumn?: string;
  /** Ground-truth column: stored with each row (A/B metrics), never fed to the model. */
  labelColumn?: string;
  /** Seconds a materialized prediction stays valid (none: until replaced). */
  ttlSeconds?: number;
  chunkRows?: number;
  /** Weighted traffic (predict_weighted): only rows routed to this version are predicted. */
  route?: Route;
}

export interface Route { seed: string; weights: Array<{ key: string; weight: number }>; self: string }

export interface LatencySummary { chunks: number; chunk_rows: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; mean_row_ms: number | null }

export interface BatchResult {
  batch_id: number;
  model: string;
  version_id: number;
  runtime: 'onnx' | 'python';
  model_type: string | null;
  file: string;
  input: string;
  rows: number;
  failed: number;
  skipped: number;
  restarts: number;
  warnings: string[];
  errors: Array<{ line: number; entity: string; error: string }>;
  latency: LatencySummary;
  rows_per_sec: number | null;
  state: string;
}

interface BatchRow {
  id: number; job_id: string | null; model_key: string; version_id: number; label: string; runtime: 'onnx' | 'python'; model_type: string | null; model_file: string;
  input_path: string; input_size: number; input_mtime_ms: number; input_format: 'csv' | 'jsonl'; id_column: string | null; label_column: string | null;
  columns: string; feature_map: string; route: string | null; ttl_s: number | null; chunk_rows: number; state: string; rows_done: number; rows_failed: number;
  rows_skipped: number; resume_offset: number; resume_line: number; restarts: number; warnings: string; latencies: string; error: string | null; created_at: number;
}

/** One record of the input: its fields by column position, its line, and the byte offset just past it. */
interface RawRecord { fields: unknown[]; line: number; end: number; error?: string; object?: Record<string, unknown> }

export function inputFormat(file: string): 'csv' | 'jsonl' {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'csv';
}

/**
 * csv-parse (7.0.3) holds ~10 bytes per record it has parsed until its stream ends (measured: +1.2 MB per 100k
 * records, all freed at the end), which a 10 GB file would turn into gigabytes. Each parser is therefore
 * given a segment of at most this many records, and the next one starts at the exact byte offset where the
 * last record ended (csv-parse reports it), so memory stays flat whatever the file's size.
 */
export const CSV_SEGMENT_RECORDS = 50_000;

/** CSV records from `start` (a record boundary), via csv-parse; the first record of a fresh read is the header. */
async function* csvRecords(file: string, start: number, lineBase: number, signal: AbortSignal): AsyncGenerator<RawRecord> {
  let from = start;
  let line = lineBase;
  for (;;) {
    const stream = fs.createReadStream(file, { start: from, highWaterMark: 1 << 20, signal });
    const parser = stream.pipe(parse({ info: true, relax_column_count: true, bom: from === 0, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES, relax_quotes: false }));
    let n = 0;
    let end = from;
    try {
      for await (const r of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number } }>) {
        end = from + r.info.bytes;
        const rec = { fields: r.record, line: line + r.info.lines, end };
        yield rec;
        if (++n >= CSV_SEGMENT_RECORDS) {
          line = rec.line;
          break;
        }
      }
    } catch (e) {
      if (signal.aborted) throw e;
      throw new HallmarkError('invalid_input', `${quote(path.basename(file))} is not valid CSV: ${(e as Error).message}`);
    } finally {
      parser.destroy();
      stream.destroy();
    }
    if (n < CSV_SEGMENT_RECORDS) return;
    from = end;
  }
}

/** JSONL records: one JSON object per line (blank lines skipped); a bad line is a row error, not the end. */
async function* jsonlRecords(file: string, start: number, lineBase: number, signal: AbortSignal): AsyncGenerator<RawRecord> {
  const stream = fs.createReadStream(file, { start, highWaterMark: 1 << 20, signal });
  let parts: Buffer[] = [];
  let size = 0;
  let offset = start;
  let line = lineBase;
  let skipping = false;
  const emit = (buf: Buffer, end: number): RawRecord | null => {
    line++;
    const text = buf.toString('utf8').trim();
    if (!text) return null;
    try {
      const v = JSON.parse(text) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) return { fields: [], line, end, error: 'not a JSON object' };
      return { fields: [], line, end, object: v as Record<string, unknown> };
    } catch (e) {
      return { fields: [], line, end, error: `not JSON: ${(e as Error).message}` };
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, from);
        if (nl === -1) break;
        const piece = chunk.subarray(from, nl);
        const end = offset + nl + 1;
        if (skipping) {
          skipping = false;
          line++;
          yield { fields: [], line, end, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
        } else {
          const r = emit(parts.length ? Buffer.concat([...parts, piece]) : piece, end);
          if (r) yield r;
        }
        parts = [];
        size = 0;
        from = nl + 1;
      }
      if (from < chunk.length && !skipping) {
        const rest = chunk.subarray(from);
        size += rest.length;
        if (size > MAX_RECORD_BYTES) {
          skipping = true;
          parts = [];
          size = 0;
        } else parts.push(Buffer.from(rest));
      }
      offset += chunk.length;
    }
    if (skipping) yield { fields: [], line: line + 1, end: offset, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
    else if (size) {
      const r = emit(Buffer.concat(parts), offset);
      if (r) yield r;
    }
  } finally {
    stream.destroy();
  }
}

/** The header of the input: CSV's first record, or the keys of the first JSONL object. */
async function readHeader(file: string, format: 'csv' | 'jsonl', signal: AbortSignal): Promise<{ columns: string[]; dataStart: number; dataLine: number; sample: Array<Record<string, unknown>> }> {
  const sample: Array<Record<string, unknown>> = [];
  let columns: string[] | null = null;
  let dataStart = 0;
  let dataLine = 0;
  const it = format === 'csv' ? csvRecords(file, 0, 0, signal) : jsonlRecords(file, 0, 0, signal);
  for await (const r of it) {
    if (!columns) {
      if (format === 'csv') {
        columns = (r.fields as string[]).map((c) => c.trim());
        dataStart = r.end;
        dataLine = r.line;
        continue;
      }
      const obj = r.object;
      if (!obj) throw new HallmarkError('invalid_input', `${quote(path.basename(file))} line ${r.line}: ${r.error ?? 'not a JSON object'}; the first line must be a JSON object naming the columns`);
      columns = Object.keys(obj);
    }
    if (format === 'csv') sample.push(Object.fromEntries(columns.map((c, i) => [c, (r.fields as string[])[i]])));
    else if (r.object) sample.push(r.object);
    if (sample.length >= 100) break;
  }
  if (!columns) throw new HallmarkError('invalid_input', `${quote(path.basename(file))} is empty`);
  return { columns, dataStart, dataLine, sample };
}

export interface ColumnPlan {
  /** For each model feature, the input column that feeds it. */
  features: string[];
  idColumn: string | null;
  labelColumn: string | null;
  warnings: string[];
}

/**
 * Matches input columns to the model's features: by name when the model knows real names, else by position
 * over the columns that are not the id or the label. A missing feature is an error before any prediction;
 * an extra column is a warning and is ignored.
 */
export function planColumns(columns: string[], runner: Pick<TabularRunner, 'features' | 'nFeatures'>, o: { idColumn?: string | undefined; labelColumn?: string | undefined }, label = 'the model'): ColumnPlan {
  const warnings: string[] = [];
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) throw new HallmarkError('invalid_input', `the input has the column ${quote(dup)} twice`);
  if (o.idColumn && !columns.includes(o.idColumn)) throw new HallmarkError('missing_columns', `the id column ${quote(o.idColumn)} is not in the input (columns: ${columns.join(', ')})`);
  if (o.labelColumn && !columns.includes(o.labelColumn)) throw new HallmarkError('missing_columns', `the label column ${quote(o.labelColumn)} is not in the input (columns: ${columns.join(', ')})`);
  const idColumn = o.idColumn ?? (columns.includes('id') ? 'id' : null);
  const labelColumn = o.labelColumn ?? null;
  const pool = columns.filter((c) => c !== idColumn && c !== labelColumn);
  let features: string[];
  if (runner.features && !autoFeatureNames(runner.features)) {
    const missing = runner.features.filter((f) => !columns.includes(f));
    if (missing.length) {
      throw new HallmarkError('missing_columns', `the input lacks ${missing.length} column(s) ${label} needs: ${missing.slice(0, 20).map((m) => quote(m)).join(', ')}${missing.length > 20 ? ', …' : ''} (it has ${pool.join(', ') || 'none'})`);
    }
    features = runner.features;
  } else {
    const n = runner.nFeatures ?? runner.features?.length ?? null;
    // Auto names (f0, Column_0…) that the file also has: use them by name; else by position.
    if (runner.features && runner.features.every((f) => pool.includes(f))) features = runner.features;
    else if (n === null) features = pool;
    else {
      if (pool.length < n) throw new HallmarkError('missing_columns', `${label} takes ${n} features; the input has ${pool.length} feature column(s) (${pool.join(', ') || 'none'})${idColumn ? ` besides the id ${quote(idColumn)}` : ''}`);
      features = pool.slice(0, n);
    }
  }
  const extra = pool.filter((c) => !features.includes(c));
  if (extra.length) warnings.push(`ignoring ${extra.length} column(s) the model does not use: ${extra.slice(0, 20).join(', ')}${extra.length > 20 ? ', …' : ''}`);
  return { features, idColumn, labelColumn, warnings };
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);

/** One cell → number, null for a missing value, or a reason it is not a number. */
function toNumber(v: unknown): number | null | { bad: string } {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) || Number.isNaN(v) ? (Number.isNaN(v) ? null : v) : { bad: String(v) };
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return { bad: JSON.stringify(v).slice(0, 40) };
  const s = v.trim();
  if (MISSING.has(s.toLowerCase())) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : { bad: s.slice(0, 40) };
}

/** Deterministic weighted routing by entity (seed 003's predict_weighted): same seed and entity, same version. */
export function routeOf(route: Pick<Route, 'seed' | 'weights'>, entity: string): string {
  const h = createHash('sha256').update(`${route.seed}\0${entity}`).digest();
  const u = h.readUInt32BE(0) / 2 ** 32;
  const total = route.weights.reduce((a, w) => a + w.weight, 0);
  let acc = 0;
  for (const w of route.weights) {
    acc += w.weight / total;
    if (u < acc) return w.key;
  }
  return route.weights[route.weights.length - 1]!.key;
}

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function latencySummary(lat: number[], chunkRows: number, rows: number): LatencySummary {
  const s = [...lat].sort((a, b) => a - b);
  const total = lat.reduce((a, b) => a + b, 0);
  return { chunks: lat.length, chunk_rows: chunkRows, p50_ms: percentile(s, 50), p95_ms: percentile(s, 95), p99_ms: percentile(s, 99), mean_row_ms: rows ? total / rows : null };
}

const now = () => Date.now();

/** Starts a batch as a job. Column problems and pickle gates surface as the job's error before any prediction. */
export function startBatch(ctx: AppContext, o: BatchOptions): { jobId: string; promise: Promise<BatchResult> } {
  const title = `Predict ${typeof o.model === 'number' ? `version ${o.model}` : o.model} on ${path.basename(o.input)}`;
  const { id, promise } = ctx.jobs.start({ kind: 'batch-predict', title, queue: 'batch-predict' }, (job) => runBatch(ctx, o, job));
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

/** Continues an interrupted batch (app killed, job failed or cancelled) from its last committed chunk. */
export function resumeBatch(ctx: AppContext, batchId: number, opts: { allowPickle?: boolean } = {}): { jobId: string; promise: Promise<BatchResult> } {
  const b = getBatchRow(ctx, batchId);
  if (b.state === 'done') throw new HallmarkError('invalid_input', `batch ${batchId} already finished`);
  if (b.state === 'running' && b.job_id) {
    const j = ctx.db.prepare(`SELECT state FROM jobs WHERE id = ?`).get(b.job_id) as { state: string } | undefined;
    if (j && (j.state === 'running' || j.state === 'queued')) throw new HallmarkError('busy', `batch ${batchId} is still running (job ${b.job_id})`);
  }
  const { id, promise } = ctx.jobs.start({ kind: 'batch-predict', title: `Resume batch ${batchId} (${b.label})`, queue: 'batch-predict' }, (job) => runBatch(ctx, {
    model: b.version_id, input: b.input_path, ...(b.id_column ? { idColumn: b.id_column } : {}), ...(b.label_column ? { labelColumn: b.label_column } : {}),
    ...(b.ttl_s !== null ? { ttlSeconds: b.ttl_s } : {}), chunkRows: b.chunk_rows, runtime: b.runtime, file: b.model_file, ...(opts.allowPickle ? { allowPickle: true } : {}),
    ...(b.route ? { route: JSON.parse(b.route) as Route } : {}),
  }, job, b));
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

function getBatchRow(ctx: AppContext, id: number): BatchRow {
  const b = ctx.db.prepare(`SELECT * FROM eval_batches WHERE id = ?`).get(id) as BatchRow | undefined;
  if (!b) throw new HallmarkError('not_found', `no batch ${id}`);
  return b;
}

export async function runBatch(ctx: AppContext, o: BatchOptions, job: JobHandle, resume?: BatchRow): Promise<BatchResult> {
  let st: fs.Stats;
  try {
    st = fs.statSync(o.input);
  } catch (e) {
    throw new HallmarkError('not_found', `cannot read the input ${quote(o.input)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!st.isFile()) throw new HallmarkError('invalid_input', `${quote(o.input)} is not a file`);
  if (resume && (resume.input_size !== st.size || Math.abs(resume.input_mtime_ms - st.mtimeMs) > 1)) {
    throw new HallmarkError('input_changed', `the input ${quote(o.input)} changed since batch ${resume.id} started (size or time differs); start a new batch`);
  }
  const chunkRows = Math.max(1, Math.min(100_000, o.chunkRows ?? DEFAULT_CHUNK_ROWS));
  if (o.ttlSeconds !== undefined && !(Number.isFinite(o.ttlSeconds) && o.ttlSeconds > 0)) throw new HallmarkError('invalid_input', `the TTL must be a positive number of seconds, got ${o.ttlSeconds}`);
  const format = inputFormat(o.input);
  job.progress(0, st.size, 'reading the header');
  const header = await readHeader(o.input, format, job.signal);
  const opened = await openTabular(ctx, o.model, o);
  try {
    const plan = planColumns(header.columns, opened.runner, o, opened.label);
    const warnings = [...plan.warnings];
    // The version's data-quality baseline, when one was saved, judges the first rows before any prediction; the
    // report is stored as the version's last check, so the Evaluate view and `hallmark quality` show it too.
    try {
      warnings.push(...(await baselineWarnings(ctx, opened.versionId, o.input)));
    } catch (e) {
      warnings.push(`the data quality check failed: ${(e as Error).message}`);
    }
    if (datasetCheck) {
      try {
        warnings.push(...(await datasetCheck({ versionId: opened.versionId, columns: header.columns, sample: header.sample })));
      } catch (e) {
        warnings.push(`the data quality check failed: ${(e as Error).message}`);
      }
    }
    const colIndex = new Map(header.columns.map((c, i) => [c, i]));
    const featIdx = plan.features.map((f) => colIndex.get(f)!);
    const idIdx = plan.idColumn ? colIndex.get(plan.idColumn)! : -1;
    const labelIdx = plan.labelColumn ? colIndex.get(plan.labelColumn)! : -1;
    const db = ctx.db;
    // Expired materializations go first (cheap: an index on expires_at).
    db.prepare(`DELETE FROM materialized WHERE expires_at IS NOT NULL AND expires_at <= ?`).run(now());
    let batchId: number;
    let offset: number;
    let lineBase: number;
    const counts = { done: 0, failed: 0, skipped: 0, restarts: 0 };
    if (resume) {
      batchId = resume.id;
      offset = resume.resume_offset;
      lineBase = resume.resume_line;
      counts.done = resume.rows_done;
      counts.failed = resume.rows_failed;
      counts.skipped = resume.rows_skipped;
      counts.restarts = resume.restarts;
      db.prepare(`UPDATE eval_batches SET state = 'running', job_id = ?, error = NULL, finished_at = NULL WHERE id = ?`).run(job.id, batchId);
    } else {
      offset = header.dataStart;
      lineBase = header.dataLine;
      batchId = Number(db.prepare(`INSERT INTO eval_batches (job_id, model_key, version_id, label, runtime, model_type, model_file, input_path, input_size, input_mtime_ms, input_format,
        id_column, label_column, columns, feature_map, route, ttl_s, chunk_rows, state, resume_offset, resume_line, warnings, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`).run(
        job.id, opened.key, opened.versionId, opened.label, opened.runner.runtime, opened.runner.modelType, opened.file, path.resolve(o.input), st.size, st.mtimeMs, format,
        plan.idColumn, plan.labelColumn, JSON.stringify(header.columns), JSON.stringify(plan.features), o.route ? JSON.stringify(o.route) : null,
        o.ttlSeconds ?? null, chunkRows, offset, lineBase, JSON.stringify(warnings), now()).lastInsertRowid);
    }
    const upsertResult = db.prepare(`INSERT INTO eval_results (batch_id, entity, line, prediction, probabilities, label, error) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(batch_id, entity) DO UPDATE SET line = excluded.line, prediction = excluded.prediction, probabilities = excluded.probabilities, label = excluded.label, error = excluded.error`);
    const upsertMat = db.prepare(`INSERT INTO materialized (model_key, entity, version_id, batch_id, prediction, probabilities, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(model_key, entity) DO UPDATE SET version_id = excluded.version_id, batch_id = excluded.batch_id, prediction = excluded.prediction,
      probabilities = excluded.probabilities, created_at = excluded.created_at, expires_at = excluded.expires_at`);
    const saveProgress = db.prepare(`UPDATE eval_batches SET rows_done = ?, rows_failed = ?, rows_skipped = ?, resume_offset = ?, resume_line = ?, restarts = ? WHERE id = ?`);
    const latencies: number[] = resume ? (JSON.parse(resume.latencies) as number[]) : [];
    const t0 = performance.now();
    const rowsAtStart = counts.done + counts.failed;

    let lastChunkMs = 0;
    const logged = opened.runner.runtime === 'onnx'
      ? { path: ctx.registry.filePath(opened.versionId, opened.file), format: 'onnx' as const, versionId: opened.versionId, key: opened.key, label: opened.label, adapters: [] }
      : null;
    interface Pending { entity: string; line: number; values: Array<number | null> | null; label: string | null; error: string | null }
    let chunk: Pending[] = [];
    let chunkEnd = offset;
    let chunkLine = lineBase;

    const predict = async (rows: Array<Array<number | null>>): Promise<RunnerOutput> => {
      for (;;) {
        try {
          return await opened.runner.predict(rows);
        } catch (e) {
          if (e instanceof TabularWorkerError && (e.code === 'WORKER_DIED' || e.code === 'TIMEOUT') && counts.restarts < MAX_RESTARTS && !job.signal.aborted) {
            // The worker restarts on the next call (the model is reloaded); the chunk is replayed.
            counts.restarts++;
            job.progress(chunkEnd, st.size, `the Python worker stopped (${e.message}); restarting it (${counts.restarts}/${MAX_RESTARTS})`);
            continue;
          }
          throw e;
        }
      }
    };
    /** Predicts a chunk; a model error on the chunk is narrowed to the rows that cause it. */
    const predictChunk = async (rows: Array<Array<number | null>>): Promise<Array<{ p: Prediction; probs: number[] | null } | { error: string }>> => {
      try {
        const t = performance.now();
        const out = await predict(rows);
        lastChunkMs = performance.now() - t;
        latencies.push(lastChunkMs);
        if (out.predictions.length !== rows.length) throw new HallmarkError('model_error', `${opened.label} returned ${out.predictions.length} predictions for ${rows.length} rows`);
        return out.predictions.map((p, i) => ({ p, probs: out.probabilities?.[i] ?? null }));
      } catch (e) {
        const err = asEvalError(e, opened.label);
        if (!(err instanceof HallmarkError && err.code === 'model_error') || rows.length === 1) throw err;
        const each: Array<{ p: Prediction; probs: number[] | null } | { error: string }> = [];
        let firstError: string | null = null;
        for (const r of rows) {
          job.throwIfCancelled();
          try {
            const out = await predict([r]);
            each.push({ p: out.predictions[0] ?? null, probs: out.probabilities?.[0] ?? null });
          } catch (e1) {
            const e2 = asEvalError(e1, opened.label);
            if (!(e2 instanceof HallmarkError && e2.code === 'model_error')) throw e2;
            firstError ??= e2.message;
            each.push({ error: e2.message });
          }
        }
        // Every row raising is the model failing, not the data: the batch stops with its message.
        if (each.every((x) => 'error' in x)) throw err;
        void firstError;
        return each;
      }
    };
    const flush = async () => {
      if (!chunk.length) {
        offset = chunkEnd;
        lineBase = chunkLine;
        return;
      }
      const valid = chunk.filter((r) => r.values);
      const out = valid.length ? await predictChunk(valid.map((r) => r.values!)) : [];
      job.throwIfCancelled();
      const t = now();
      const expires = o.ttlSeconds ? t + o.ttlSeconds * 1000 : null;
      db.transaction(() => {
        let k = 0;
        for (const r of chunk) {
          if (!r.values) {
            upsertResult.run(batchId, r.entity, r.line, null, null, r.label, r.error);
            continue;
          }
          const res = out[k++]!;
          if ('error' in res) {
            upsertResult.run(batchId, r.entity, r.line, null, null, r.label, res.error);
            continue;
          }
          const pred = JSON.stringify(res.p);
          const probs = res.probs ? JSON.stringify(res.probs) : null;
          upsertResult.run(batchId, r.entity, r.line, pred, probs, r.label, null);
          upsertMat.run(opened.key, r.entity, opened.versionId, batchId, pred, probs, t, expires);
        }
        if (logged && out.length) {
          // Every k-th predicted row of the chunk, at the chunk's per-row latency.
          const step = Math.max(1, Math.ceil(out.length / MONITOR_SAMPLE_ROWS));
          const perRow = lastChunkMs / out.length;
          const isRegression = opened.runner.modelType === 'regression';
          for (let i = 0; i < out.length; i += step) {
            const res = out[i]!;
            const p = 'error' in res ? null : res.p;
            recordPrediction(db, {
              model: logged, method: 'onnx', latencyMs: perRow, batchSize: out.length, inputsHash: `batch:${batchId}`,
              error: 'error' in res ? res.error : null,
              ...(p === null ? {} : isRegression && typeof p === 'number' ? { outputValue: p } : { outputLabel: String(p) }),
            });
          }
        }
        // Rows are counted per input line: a chunk is committed together with the resume point, so a chunk
        // replayed after a crash was never counted (an id repeated in the input counts twice, stored once).
        for (const r of chunk) if (r.values) counts.done++;
        else counts.failed++;
        for (const x of out) if ('error' in x) {
          counts.done--;
          counts.failed++;
        }
        saveProgress.run(counts.done, counts.failed, counts.skipped, chunkEnd, chunkLine, counts.restarts, batchId);
      }).immediate();
      offset = chunkEnd;
      lineBase = chunkLine;
      chunk = [];
      const secs = (performance.now() - t0) / 1000;
      const rate = (counts.done + counts.failed - rowsAtStart) / Math.max(secs, 1e-3);
      job.progress(offset, st.size, `${counts.done} rows predicted${counts.failed ? `, ${counts.failed} failed` : ''} (${Math.round(rate)} rows/s)`);
    };

    const records = format === 'csv' ? csvRecords(o.input, offset, lineBase, job.signal) : jsonlRecords(o.input, offset, lineBase, job.signal);
    const width = header.columns.length;
    for await (const rec of records) {
      job.throwIfCancelled();
      let fields = rec.fields;
      let error = rec.error ?? null;
      if (format === 'jsonl' && !error) {
        const obj = rec.object!;
        fields = header.columns.map((c) => obj[c]);
        const missing = plan.features.filter((f) => !(f in obj));
        if (missing.length) error = `missing ${missing.map((m) => quote(m)).join(', ')}`;
      } else if (format === 'csv' && !error && fields.length !== width) {
        error = `${fields.length} fields, the header has ${width}`;
      }
      const rawId = idIdx >= 0 ? fields[idIdx] : undefined;
      const entity = rawId === undefined || rawId === null || rawId === '' ? `line:${rec.line}` : typeof rawId === 'string' ? rawId.trim() : JSON.stringify(rawId);
      if (o.route && routeOf(o.route, entity) !== o.route.self) {
        counts.skipped++;
        chunkEnd = rec.end;
        chunkLine = rec.line;
        continue;
      }
      let values: Array<number | null> | null = null;
      if (!error) {
        values = [];
        for (let j = 0; j < featIdx.length; j++) {
          const v = toNumber(fields[featIdx[j]!]);
          if (v !== null && typeof v === 'object') {
            error = `column ${quote(plan.features[j]!)} is ${quote(v.bad)}, not a number`;
            values = null;
            break;
          }
          values.push(v);
        }
      }
      const lab = labelIdx >= 0 ? fields[labelIdx] : undefined;
      chunk.push({ entity, line: rec.line, values, label: lab === undefined || lab === null ? null : typeof lab === 'string' ? lab.trim() : JSON.stringify(lab), error: error ? `line ${rec.line}: ${error}` : null });
      chunkEnd = rec.end;
      chunkLine = rec.line;
      if (chunk.length >= chunkRows) await flush();
    }
    await flush();
    if (counts.done === 0 && counts.failed > 0) {
      const first = db.prepare(`SELECT error FROM eval_results WHERE batch_id = ? AND error IS NOT NULL ORDER BY id LIMIT 1`).get(batchId) as { error: string };
      throw new HallmarkError('every_row_failed', `every row failed (${counts.failed}); the first: ${first.error}`);
    }
    const secs = (performance.now() - t0) / 1000;
    db.prepare(`UPDATE eval_batches SET state = 'done', finished_at = ?, latencies = ?, warnings = ? WHERE id = ?`).run(now(), JSON.stringify(latencies.slice(-100_000)), JSON.stringify(warnings), batchId);
    return {
      ...batchSummary(ctx, batchId),
      rows_per_sec: secs > 0 ? (counts.done + counts.failed - rowsAtStart) / secs : null,
    };
  } catch (e) {
    failBatch(ctx, job, e);
    throw e;
  } finally {
    await opened.close().catch(() => undefined);
  }
}

function failBatch(ctx: AppContext, job: JobHandle, e: unknown): void {
  const state = job.signal.aborted ? 'cancelled' : 'failed';
  try {
    ctx.db.prepare(`UPDATE eval_batches SET state = ?, error = ?, finished_at = ? WHERE job_id = ? AND state = 'running'`).run(state, e instanceof Error ? e.message : String(e), now(), job.id);
  } catch {
    // a full disk: the row stays 'running' and resumeBatch treats it as interrupted once the job is gone
  }
}

/** A batch's counts, first errors and latency, as `hallmark predict` reports it. */
export function batchSummary(ctx: AppContext, batchId: number): BatchResult {
  const b = getBatchRow(ctx, batchId);
  const errors = ctx.db.prepare(`SELECT line, entity, error FROM eval_results WHERE batch_id = ? AND error IS NOT NULL ORDER BY id LIMIT ?`).all(batchId, ERRORS_SHOWN) as BatchResult['errors'];
  const lat = JSON.parse(b.latencies) as number[];
  let state = b.state;
  if (state === 'running' && b.job_id) {
    const j = ctx.db.prepare(`SELECT state FROM jobs WHERE id = ?`).get(b.job_id) as { state: string } | undefined;
    if (!j || !(j.state === 'running' || j.state === 'queued')) state = 'interrupted';
  }
  return {
    batch_id: b.id, model: b.label, version_id: b.version_id, runtime: b.runtime, model_type: b.model_type, file: b.model_file, input: b.input_path,
    rows: b.rows_done, failed: b.rows_failed, skipped: b.rows_skipped, restarts: b.restarts, warnings: JSON.parse(b.warnings) as string[],
    errors, latency: latencySummary(lat, b.chunk_rows, b.rows_done + b.rows_failed), rows_per_sec: null, state,
  };
}

export function listBatches(ctx: AppContext, limit = 50): BatchResult[] {
  const ids = ctx.db.prepare(`SELECT id FROM eval_batches ORDER BY id DESC LIMIT ?`).all(limit) as Array<{ id: number }>;
  return ids.map((r) => batchSummary(ctx, r.id));
}

export interface ResultRow { entity: string; line: number; prediction: Prediction; probabilities: number[] | null; label: string | null; error: string | null }

/** Results of a batch in input order (paged: the UI shows the first N, `--output` streams them all). */
export function* batchResults(ctx: AppContext, batchId: number, opts: { limit?: number; offset?: number } = {}): Generator<ResultRow> {
  getBatchRow(ctx, batchId);
  const q = ctx.db.prepare(`SELECT entity, line, prediction, probabilities, label, error FROM eval_results WHERE batch_id = ? ORDER BY id LIMIT ? OFFSET ?`);
  for (const r of q.iterate(batchId, opts.limit ?? -1, opts.offset ?? 0) as Iterable<{ entity: string; line: number; prediction: string | null; probabilities: string | null; label: string | null; error: string | null }>) {
    yield { entity: r.entity, line: r.line, prediction: r.prediction === null ? null : (JSON.parse(r.prediction) as Prediction), probabilities: r.probabilities ? (JSON.parse(r.probabilities) as number[]) : null, label: r.label, error: r.error };
  }
}

/** Writes a batch's results as JSON Lines, streaming (constant memory). */
export async function writeResults(ctx: AppContext, batchId: number, out: string): Promise<{ path: string; rows: number }> {
  const tmp = `${out}.partial-${process.pid}`;
  const ws = fs.createWriteStream(tmp);
  let n = 0;
  try {
    for (const r of batchResults(ctx, batchId)) {
      if (!ws.write(JSON.stringify(r) + '\n')) await new Promise<void>((res) => ws.once('drain', () => res()));
      n++;
    }
    await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
    fs.renameSync(tmp, out);
  } catch (e) {
    ws.destroy();
    fs.rmSync(tmp, { force: true });
    throw new HallmarkError('write_failed', `cannot write ${quote(out)}: ${(e as Error).message}`);
  }
  return { path: path.resolve(out), rows: n };
}

export interface Materialized { model: string; entity: string; prediction: Prediction; probabilities: number[] | null; created_at: string; age_s: number; expires_at: string | null; batch_id: number | null }

/**
 * The materialized prediction of `entity` for a version, or null when there is none, it expired (TTL), or it
 * is older than `maxAgeSeconds` (seed 003's fetch_materialized with max_age_seconds).
 */
export function getMaterialized(ctx: AppContext, ref: string | number, entity: string, maxAgeSeconds?: number): Materialized | null {
  const v = typeof ref === 'number' ? ctx.registry.versionById(ref) : (() => {
    const at = ref.lastIndexOf('@');
    if (at <= 0) throw new HallmarkError('invalid_input', `${quote(ref)} needs a version: NAME@VERSION`);
    return ctx.registry.version(ref.slice(0, at), Number(ref.slice(at + 1)));
  })();
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0)) throw new HallmarkError('invalid_input', `the maximum age must be a number of seconds ≥ 0, got ${maxAgeSeconds}`);
  const r = ctx.db.prepare(`SELECT * FROM materialized WHERE model_key = ? AND entity = ?`).get(`version:${v.id}`, entity) as
    { prediction: string; probabilities: string | null; created_at: number; expires_at: number | null; batch_id: number | null } | undefined;
  if (!r) return null;
  const t = now();
  if (r.expires_at !== null && r.expires_at <= t) return null;
  const age = (t - r.created_at) / 1000;
  if (maxAgeSeconds !== undefined && age > maxAgeSeconds) return null;
  return {
    model: `${v.model}@${v.version}`, entity, prediction: JSON.parse(r.prediction) as Prediction, probabilities: r.probabilities ? (JSON.parse(r.probabilities) as number[]) : null,
    created_at: new Date(r.created_at).toISOString(), age_s: age, expires_at: r.expires_at === null ? null : new Date(r.expires_at).toISOString(), batch_id: r.batch_id,
  };
}
