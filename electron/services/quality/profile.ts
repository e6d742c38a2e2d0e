// One streamed pass over a dataset builds the per-column baseline profile.
//
// Quantiles come from a fixed-size uniform reservoir sample per numeric column (Vitter's Algorithm R,
// seeded so a baseline is reproducible). Why a reservoir rather than a t-digest: we only need deciles and
// quartiles, where a uniform sample of R = 16384 values estimates a quantile to within about
// ±√(p(1−p)/R) ≤ 0.4 percentage points, and the same sample gives unbiased bin fractions for the
// decile bins (ties included) with no merge heuristics; a t-digest earns its keep in the extreme tails,
// which PSI on deciles does not look at. Memory: R doubles per numeric column, whatever the file size.
import type { CategoricalProfile, ColumnProfile, NumericProfile, Profile } from '../../contract/quality';
import { HallmarkError } from '../errors';
import { categoryOf, isMissing, numberOf, type Cell, type RowSource } from './reader';

export const RESERVOIR_SIZE = 16384;
/** Distinct categories tracked per column; later new values count towards "other". */
export const MAX_DISTINCT = 10_000;
/** Categories stored in a baseline; the rest is one "other" bucket. */
export const TOP_K = 50;
/** A column is numeric when at least this share of its non-missing values are numbers. */
export const NUMERIC_SHARE = 0.95;

/** mulberry32: a small seeded PRNG (reservoir sampling must be reproducible, not cryptographic). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolated percentile of an ascending array (numpy's default), p in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const rank = p * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** The bin of x: 0 for x ≤ edges[0], i for edges[i-1] < x ≤ edges[i], edges.length above the last edge. */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Streaming mean and variance (Welford), stable for long streams. */
export class Moments {
  n = 0;
  mean = 0;
  private m2 = 0;
  min = Infinity;
  max = -Infinity;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
  /** Population standard deviation. */
  get std(): number {
    return this.n ? Math.sqrt(this.m2 / this.n) : NaN;
  }
}

class ColumnProfiler {
  count = 0;
  missing = 0;
  nonNumeric = 0;
  readonly moments = new Moments();
  private readonly reservoir = new Float64Array(RESERVOIR_SIZE);
  private seen = 0;
  readonly cats = new Map<string, number>();
  overflow = 0;

  constructor(readonly name: string, private readonly rand: () => number) {}

  add(c: Cell): void {
    this.count++;
    if (isMissing(c)) {
      this.missing++;
      return;
    }
    const x = numberOf(c);
    // Once a column is plainly numeric (1000 values, ≥ 99 % numbers) its numbers stop being counted as
    // categories: hashing every distinct float was most of the profiling time. Should it still end up
    // categorical, those numbers are in "other" (and distinct_capped says the count is partial).
    if (x === null || !this.numericSettled()) {
      const key = categoryOf(c);
      const had = this.cats.get(key);
      if (had !== undefined) this.cats.set(key, had + 1);
      else if (this.cats.size < MAX_DISTINCT) this.cats.set(key, 1);
      else this.overflow++;
    } else this.overflow++;
    if (x === null) {
      this.nonNumeric++;
      return;
    }
    this.moments.add(x);
    // Algorithm R: the i-th value replaces a random slot with probability R / i.
    if (this.seen < RESERVOIR_SIZE) this.reservoir[this.seen] = x;
    else {
      const j = Math.floor(this.rand() * (this.seen + 1));
      if (j < RESERVOIR_SIZE) this.reservoir[j] = x;
    }
    this.seen++;
  }

  private numericSettled(): boolean {
    return this.moments.n >= 1000 && this.nonNumeric <= 0.01 * (this.moments.n + this.nonNumeric);
  }

  profile(rows: number): ColumnProfile {
    // A JSONL key first seen late was absent (missing) from every earlier row.
    const missing = this.missing + (rows - this.count);
    const present = rows - missing;
    const numeric = this.moments.n > 0 && this.moments.n >= NUMERIC_SHARE * present;
    return {
      name: this.name,
      type: numeric ? 'numeric' : 'categorical',
      count: rows,
      missing,
      missing_frac: rows ? missing / rows : 0,
      numeric: numeric ? this.numeric(present) : null,
      categorical: numeric ? null : this.categorical(present),
    };
  }

  private numeric(present: number): NumericProfile {
    const sample = this.reservoir.slice(0, Math.min(this.seen, RESERVOIR_SIZE)).sort();
    const q = (p: number) => quantileSorted(sample, p);
    const edges = [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map(q))];
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of sample) counts[binOf(edges, x)]!++;
    const [q1, median, q3] = [q(0.25), q(0.5), q(0.75)];
    const iqr = q3 - q1;
    // A column that is mostly one value has IQR 0: its robust range is then the baseline's own range.
    const low = iqr > 0 ? q1 - 3 * iqr : this.moments.min;
    const high = iqr > 0 ? q3 + 3 * iqr : this.moments.max;
    let out = 0;
    for (const x of sample) if (x < low || x > high) out++;
    return {
      n: this.moments.n, mean: this.moments.mean, std: this.moments.std, min: this.moments.min, max: this.moments.max,
      q1, median, q3, edges, bin_fracs: counts.map((c) => c / sample.length),
      robust_low: low, robust_high: high, outlier_frac: out / sample.length, sample_size: sample.length,
      non_numeric_frac: present ? this.nonNumeric / present : 0,
    };
  }

  private categorical(present: number): CategoricalProfile {
    const sorted = [...this.cats].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const top = sorted.slice(0, TOP_K).map(([value, n]) => ({ value, frac: present ? n / present : 0 }));
    const inTop = top.reduce((s, t) => s + t.frac, 0);
    return { n: present, top, other_frac: Math.max(0, 1 - inTop), distinct: this.cats.size, distinct_capped: this.overflow > 0 };
  }
}

/** Profiles every column of a source in one pass. */
export async function profileSource(src: RowSource, seed = 0x5eed): Promise<Profile> {
  const rand = prng(seed);
  const cols: ColumnProfiler[] = [];
  let seen = 0; // rows before the current one
  for await (const batch of src.batches) {
    for (const row of batch) {
      if (cols.length < src.columns.length) {
        while (cols.length < src.columns.length) cols.push(new ColumnProfiler(src.columns[cols.length]!, rand));
        // JSONL columns that appear late were missing before: pad their counts when they first show up.
        for (const col of cols) {
          if (col.count < seen) {
            col.missing += seen - col.count;
            col.count = seen;
          }
        }
      }
      for (let i = 0; i < cols.length; i++) cols[i]!.add(row[i]);
      seen++;
    }
  }
  while (cols.length < src.columns.length) cols.push(new ColumnProfiler(src.columns[cols.length]!, rand));
  if (!src.stats.rows) throw new HallmarkError('no_rows', 'the dataset has a header but no rows: a baseline needs data');
  return {
    format: src.format,
    rows: src.stats.rows,
    columns: cols.map((c) => c.profile(src.stats.rows)),
    sketch: `reservoir sample (Algorithm R, ${RESERVOIR_SIZE} values per numeric column) for deciles and quartiles; top ${TOP_K} categories of ${MAX_DISTINCT} tracked`,
  };
}
