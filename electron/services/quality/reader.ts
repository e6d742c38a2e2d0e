// Streams the rows of a tabular dataset (CSV or JSON lines) one at a time, so a 10 GB file is profiled or
// checked in constant memory: nothing here keeps more than the current record.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { HallmarkError, quote } from '../errors';

export type Cell = string | number | boolean | null | undefined;
export type TableFormat = 'csv' | 'jsonl';

/** A single record larger than this is refused (a missing closing quote would otherwise swallow the file). */
export const MAX_RECORD_BYTES = 1 << 20;
/** More columns than this is not a table we profile (and would make per-column state unbounded). */
export const MAX_COLUMNS = 2000;
/** Long cell values are cut before they become category keys or examples. */
export const MAX_CELL_CHARS = 200;
export const BATCH = 512;

export interface SourceStats {
  bytes: number;
  totalBytes: number | null;
  rows: number;
  /** CSV rows whose field count differs from the header's (kept: missing fields read as missing). */
  ragged: number;
  firstRaggedLine: number | null;
  /** JSONL lines that are not a JSON object (skipped). */
  badLines: number;
  firstBadLine: number | null;
  /** Header names seen twice (the later one is renamed NAME#2 so both are kept apart). */
  duplicateColumns: string[];
}

export interface RowSource {
  format: TableFormat;
  /** Column names in order. For JSONL it grows as new keys appear; rows index into it. */
  columns: string[];
  /**
   * Rows in batches (up to BATCH each), in file order: a per-row async step cost more than the statistics.
   * `columns` is already as long as any row of a batch when the batch arrives.
   */
  batches: AsyncIterable<Cell[][]>;
  stats: SourceStats;
}

export interface OpenOptions {
  format?: TableFormat;
  signal?: AbortSignal;
  onProgress?: (bytes: number, total: number | null) => void;
}

export function formatOf(file: string): TableFormat {
  return /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : 'csv';
}

/** Opens a dataset file; a missing, unreadable or non-regular file is `unreadable_input`. */
export function openTable(file: string, opts: OpenOptions = {}): RowSource {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new HallmarkError('unreadable_input', `cannot read ${quote(file)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!st.isFile()) throw new HallmarkError('unreadable_input', `${quote(file)} is not a regular file`);
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  return fromStream(stream, { ...opts, format: opts.format ?? formatOf(path.basename(file)) }, st.size);
}

/** Rows from any byte stream (a file, or a generator in tests). */
export function fromStream(input: Readable, opts: OpenOptions & { format: TableFormat }, totalBytes: number | null = null): RowSource {
  const stats: SourceStats = { bytes: 0, totalBytes, rows: 0, ragged: 0, firstRaggedLine: null, badLines: 0, firstBadLine: null, duplicateColumns: [] };
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      stats.bytes += chunk.length;
      if (opts.onProgress && stats.bytes - lastReport >= 1 << 20) {
        lastReport = stats.bytes;
        opts.onProgress(stats.bytes, totalBytes);
      }
      cb(null, chunk);
    },
  });
  input.on('error', (e) => counter.destroy(e));
  input.pipe(counter);
  const columns: string[] = [];
  const batches = opts.format === 'csv' ? csvRows(counter, columns, stats, opts.signal) : jsonlRows(counter, columns, stats, opts.signal);
  return { format: opts.format, columns, batches, stats };
}

function unreadable(e: unknown, what: string): HallmarkError {
  if (e instanceof HallmarkError) return e;
  const err = e as Error & { code?: string; lines?: number };
  const where = typeof err.lines === 'number' ? ` near line ${err.lines}` : '';
  return new HallmarkError('unreadable_input', `${what} is not readable${where}: ${err.message}`);
}

function setHeader(columns: string[], names: readonly string[], stats: SourceStats): void {
  if (names.length > MAX_COLUMNS) throw new HallmarkError('unreadable_input', `the header has ${names.length} columns; at most ${MAX_COLUMNS} are supported`);
  const seen = new Map<string, number>();
  for (const raw of names) {
    const name = raw.trim().slice(0, MAX_CELL_CHARS);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) stats.duplicateColumns.push(name);
    columns.push(n > 1 ? `${name}#${n}` : name);
  }
}

/** What a readable stream has buffered, in batches, synchronously; waits only when its buffer is empty. */
async function* drain<T>(stream: Readable): AsyncGenerator<T[]> {
  let ended = false;
  let failed: unknown = null;
  stream.on('end', () => (ended = true));
  stream.on('error', (e) => (failed = e));
  for (;;) {
    const batch: T[] = [];
    let x: T | null;
    while (batch.length < BATCH && (x = stream.read() as T | null) !== null) batch.push(x);
    if (batch.length) {
      yield batch;
      continue;
    }
    if (failed) throw failed;
    if (ended || stream.readableEnded) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        stream.off('readable', wake);
        stream.off('end', wake);
        stream.off('error', wake);
        resolve();
      };
      stream.on('readable', wake);
      stream.on('end', wake);
      stream.on('error', wake);
    });
  }
}

async function* csvRows(input: Readable, columns: string[], stats: SourceStats, signal?: AbortSignal): AsyncGenerator<Cell[][]> {
  // The first ragged record's line is taken in on_record, while the parser is on it (it reads ahead, so
  // its live counter is later by the time we see the record); cheaper than `info: true` on every record.
  let expected = -1;
  let firstRagged: number | null = null;
  const parser = parse({
    bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES,
    on_record: (rec: string[], ctx: { lines: number }) => {
      if (expected < 0) expected = rec.length;
      else if (firstRagged === null && rec.length !== expected) firstRagged = ctx.lines;
      return rec;
    },
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header = true;
  try {
    for await (const batch of drain<string[]>(parser)) {
      if (signal?.aborted) throw new HallmarkError('cancelled', 'cancelled');
      let start = 0;
      if (header) {
        header = false;
        setHeader(columns, batch[0]!, stats);
        start = 1;
      }
      const out = start ? batch.slice(start) : batch;
      for (const rec of out) {
        if (rec.length !== columns.length) {
          stats.ragged++;
          stats.firstRaggedLine ??= firstRagged;
        }
      }
      stats.rows += out.length;
      if (out.length) yield out;
    }
  } catch (e) {
    throw unreadable(e, 'the CSV');
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (header) throw new HallmarkError('unreadable_input', 'the file is empty: a CSV needs a header row naming its columns');
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v).slice(0, MAX_CELL_CHARS);
}

async function* jsonlRows(input: Readable, columns: string[], stats: SourceStats, signal?: AbortSignal): AsyncGenerator<Cell[][]> {
  // readline keeps at most one line; a line over the record limit is counted as bad rather than buffered on.
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  const index = new Map<string, number>();
  let line = 0;
  let any = false;
  let batch: Cell[][] = [];
  try {
    for await (const raw of rl) {
      if (signal?.aborted) throw new HallmarkError('cancelled', 'cancelled');
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (!text.trim()) continue;
      any = true;
      let obj: unknown;
      try {
        obj = text.length > MAX_RECORD_BYTES ? undefined : JSON.parse(text);
      } catch {
        obj = undefined;
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        stats.badLines++;
        stats.firstBadLine ??= line;
        continue;
      }
      const row: Cell[] = new Array<Cell>(columns.length);
      for (const [k, v] of Object.entries(obj)) {
        let i = index.get(k);
        if (i === undefined) {
          if (columns.length >= MAX_COLUMNS) continue;
          i = columns.length;
          index.set(k, i);
          columns.push(k.slice(0, MAX_CELL_CHARS));
        }
        row[i] = toCell(v);
      }
      stats.rows++;
      batch.push(row);
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } catch (e) {
    throw unreadable(e, 'the JSON lines file');
  } finally {
    rl.close();
    input.destroy();
  }
  if (!any) throw new HallmarkError('unreadable_input', 'the file is empty: a JSON lines file needs one JSON object per line');
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Missing: absent, JSON null, empty, or a usual placeholder (NA, NaN, null, None). */
export function isMissing(c: Cell): boolean {
  if (c === null || c === undefined) return true;
  if (typeof c === 'number') return Number.isNaN(c);
  if (typeof c === 'string') return c.length <= 4 && MISSING.has(c.trim().toLowerCase());
  return false;
}

/** The finite number a cell holds, or null when it is not numeric (booleans are categories, not 0/1). */
export function numberOf(c: Cell): number | null {
  if (typeof c === 'number') return Number.isFinite(c) ? c : null;
  if (typeof c !== 'string') return null;
  const s = c.trim();
  if (!NUMBER.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function categoryOf(c: Cell): string {
  return String(c).slice(0, MAX_CELL_CHARS);
}

/** A generator of text as a stream (tests feed multi-GB-like inputs without writing them). */
export function textStream(chunks: Iterable<string> | AsyncIterable<string>): Readable {
  return Readable.from(chunks, { objectMode: false });
}
