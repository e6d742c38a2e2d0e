// Checks a dataset against a baseline profile in one streamed pass: per column only counters live in
// memory (bin counts, moments, known-category counts), so the input may be any size.
//
// Statistics and thresholds (all documented here, used nowhere else):
// - PSI (Population Stability Index) on the baseline's bins:
//     PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)
//   with e_i the baseline fraction and a_i the current fraction of bin i, both smoothed as
//   p' = (p + ε) / (1 + k·ε), ε = 1e-4, k bins, so an empty bin does not give ln 0 (Siddiqi 2006, "Credit
//   Risk Scorecards"; Yurdakul 2018, "Statistical properties of the population stability index").
//   Standard thresholds: ≥ 0.1 warn, ≥ 0.25 alert. Two samples of one distribution have
//   PSI ≈ χ²_{k−1} · (1/n + 1/m) (Yurdakul 2018), so with few rows noise alone passes 0.1: both thresholds
//   are scaled up by max(1, q / 0.1) with q the 99.9 % point of that null distribution (Wilson–Hilferty).
// - Mean shift: z = (x̄ − μ_b) / (σ_b · √(1/n + 1/n_b)), the two-sample z on the baseline std (the standard
//   error of the difference of means). Alert when |z| ≥ 3 AND the shift is at least 0.1 σ_b: on a 10 GB
//   file the standard error is so small that a practically irrelevant shift would be "significant".
// - Rates (missing, outliers, new categories, wrong type) use a one-sided binomial z against the
//   baseline rate p₀ (floored at 0.5/n_b, a baseline that had none): flagged when z ≥ 3 and the rate rose by
//   a minimum absolute amount, so a handful of rows in a small file does not raise a warning.
// - Outliers: values outside the baseline's robust range [Q1 − 3·IQR, Q3 + 3·IQR].
import type { ColumnCheck, ColumnProfile, FindingKind, Profile, QualityFinding, Severity } from '../../contract/quality';
import { binOf, Moments } from './profile';
import { categoryOf, isMissing, numberOf, type Cell, type RowSource } from './reader';

export const PSI_EPSILON = 1e-4;
export const PSI_WARN = 0.1;
export const PSI_ALERT = 0.25;
export const Z_ALERT = 3;
export const MIN_EFFECT = 0.1;
/** Fewer non-missing values than this and the distribution tests say nothing (too noisy). */
export const MIN_ROWS_FOR_DRIFT = 30;

/** PSI of two fraction vectors (same bins), with ε smoothing. */
export function psi(expected: readonly number[], actual: readonly number[], eps = PSI_EPSILON): number {
  const k = expected.length;
  let s = 0;
  for (let i = 0; i < k; i++) {
    const e = (expected[i]! + eps) / (1 + k * eps);
    const a = (actual[i]! + eps) / (1 + k * eps);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** The p-quantile of χ² with k degrees of freedom (Wilson–Hilferty), for the PSI noise floor. */
export function chi2Quantile(k: number, zp = 3.09): number {
  if (k <= 0) return 0;
  const c = 2 / (9 * k);
  return k * Math.max(0, 1 - c + zp * Math.sqrt(c)) ** 3;
}

/** PSI thresholds for k bins, n current and m baseline values. */
export function psiThresholds(k: number, n: number, m: number): { warn: number; alert: number } {
  const noise = chi2Quantile(k - 1) * (1 / Math.max(1, n) + 1 / Math.max(1, m));
  const scale = Math.max(1, noise / PSI_WARN);
  return { warn: PSI_WARN * scale, alert: PSI_ALERT * scale };
}

/** One-sided binomial z of a rate p over n trials against p0 (floored so a zero baseline still tests). */
export function rateZ(p: number, n: number, p0: number, nBase: number): number {
  const q0 = Math.min(0.999, Math.max(p0, 0.5 / Math.max(1, nBase)));
  return n ? (p - q0) / Math.sqrt((q0 * (1 - q0)) / n) : 0;
}

const fmt = (x: number, d = 3) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.001) ? x.toExponential(2) : Number(x.toFixed(d)).toString());
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;

class ColumnChecker {
  count = 0;
  missing = 0;
  wrongType = 0;
  readonly examples: string[] = [];
  readonly moments = new Moments();
  readonly bins: number[];
  outliers = 0;
  unseen = 0;
  readonly unseenExamples = new Set<string>();
  private readonly known: Map<string, number>;

  constructor(readonly base: ColumnProfile, readonly index: number) {
    const b = base.numeric ?? null;
    this.bins = new Array<number>(b ? b.bin_fracs.length : (base.categorical?.top.length ?? 0) + 1).fill(0);
    this.known = new Map((base.categorical?.top ?? []).map((t, i) => [t.value, i]));
  }

  add(c: Cell): void {
    this.count++;
    if (isMissing(c)) {
      this.missing++;
      return;
    }
    const num = this.base.numeric;
    if (num) {
      const x = numberOf(c);
      if (x === null) {
        this.wrongType++;
        if (this.examples.length < 3) this.examples.push(categoryOf(c).slice(0, 40));
        return;
      }
      this.moments.add(x);
      this.bins[binOf(num.edges, x)]!++;
      if (x < num.robust_low || x > num.robust_high) this.outliers++;
      return;
    }
    const key = categoryOf(c);
    const i = this.known.get(key);
    if (i !== undefined) this.bins[i]!++;
    else {
      this.bins[this.bins.length - 1]!++; // the "other" bucket
      this.unseen++;
      if (this.unseenExamples.size < 5) this.unseenExamples.add(key.slice(0, 40));
    }
  }
}

function finding(kind: FindingKind, severity: Severity, column: string | null, message: string, advice: string, value: number | null = null, threshold: number | null = null): QualityFinding {
  return { kind, severity, column, message, advice, value, threshold };
}

const upstream = (col: string) => `retrain on data like this or check the upstream pipeline for column "${col}"`;

function judgeColumn(ch: ColumnChecker, rows: number, findings: QualityFinding[]): ColumnCheck {
  const b = ch.base;
  const name = b.name;
  const present = ch.count - ch.missing;
  const missing = ch.missing + (rows - ch.count);
  const missFrac = rows ? missing / rows : 0;
  const out: ColumnCheck = {
    name, type: b.type, present: true, status: 'ok', count: rows, missing_frac: missFrac, baseline_missing_frac: b.missing_frac,
    psi: null, psi_warn: null, psi_alert: null, mean: null, baseline_mean: b.numeric?.mean ?? null, std: null, baseline_std: b.numeric?.std ?? null,
    z: null, effect: null, outlier_frac: null, baseline_outlier_frac: b.numeric?.outlier_frac ?? null, new_category_rate: null, wrong_type_frac: null, bins: null,
  };
  const mine: QualityFinding[] = [];

  // Missingness.
  if (rows) {
    const delta = missFrac - b.missing_frac;
    const z = rateZ(missFrac, rows, b.missing_frac, b.count);
    if (delta >= 0.02 && z >= Z_ALERT) {
      mine.push(finding('missingness', delta >= 0.2 ? 'alert' : 'warn', name,
        `column "${name}" is missing in ${pct(missFrac)} of rows (baseline ${pct(b.missing_frac)})`,
        `check the upstream pipeline for column "${name}" (a join or extraction step may be dropping it), or impute before running the model`, missFrac, b.missing_frac));
    }
  }

  if (b.numeric) {
    const num = b.numeric;
    const wrongFrac = present ? ch.wrongType / present : 0;
    out.wrong_type_frac = wrongFrac;
    if (ch.wrongType && wrongFrac - num.non_numeric_frac >= 0.01) {
      mine.push(finding('wrong_type', 'alert', name,
        `column "${name}" should be numeric but ${ch.wrongType} value(s) (${pct(wrongFrac)}) are not numbers, e.g. ${ch.examples.map((e) => JSON.stringify(e)).join(', ')}`,
        `fix the type of column "${name}" upstream (units, separators, a shifted column) before running the model`, wrongFrac, num.non_numeric_frac));
    }
    const n = ch.moments.n;
    if (n) {
      out.mean = ch.moments.mean;
      out.std = ch.moments.std;
      out.outlier_frac = ch.outliers / n;
      const cur = ch.bins.map((c) => c / n);
      out.bins = { labels: binLabels(num.edges), baseline: num.bin_fracs, current: cur };
    }
    if (n >= MIN_ROWS_FOR_DRIFT) {
      const cur = out.bins!.current;
      const p = psi(num.bin_fracs, cur);
      const th = psiThresholds(cur.length, n, num.sample_size);
      Object.assign(out, { psi: p, psi_warn: th.warn, psi_alert: th.alert });
      if (p >= th.warn) {
        mine.push(finding('psi', p >= th.alert ? 'alert' : 'warn', name,
          `column "${name}" has drifted: PSI ${fmt(p)} against the baseline's deciles (warn ≥ ${fmt(th.warn)}, alert ≥ ${fmt(th.alert)}); mean ${fmt(ch.moments.mean)} vs ${fmt(num.mean)}, std ${fmt(ch.moments.std)} vs ${fmt(num.std)}`,
          upstream(name), p, th.warn));
      }
      const sd = num.std > 0 ? num.std : Math.max(Math.abs(num.mean) * 0.01, Number.EPSILON);
      const diff = ch.moments.mean - num.mean;
      const z = diff / (sd * Math.sqrt(1 / n + 1 / Math.max(1, num.n)));
      const effect = diff / sd;
      out.z = z;
      out.effect = effect;
      if (Math.abs(z) >= Z_ALERT && Math.abs(effect) >= MIN_EFFECT) {
        mine.push(finding('mean_shift', 'alert', name,
          `the mean of column "${name}" moved from ${fmt(num.mean)} to ${fmt(ch.moments.mean)} (${fmt(effect, 2)} baseline std, z = ${fmt(z, 1)})`,
          upstream(name), z, Z_ALERT));
      }
      const of = ch.outliers / n;
      const oz = rateZ(of, n, num.outlier_frac, num.sample_size);
      if (of - num.outlier_frac >= 0.005 && oz >= Z_ALERT) {
        mine.push(finding('outliers', of - num.outlier_frac >= 0.05 ? 'alert' : 'warn', name,
          `${pct(of)} of column "${name}" lies outside the baseline's robust range [${fmt(num.robust_low)}, ${fmt(num.robust_high)}] (baseline ${pct(num.outlier_frac)})`,
          `look at the extreme values of column "${name}" (a unit change or sensor fault?); clip or fix them upstream, or retrain if they are real`, of, num.outlier_frac));
      }
    }
  } else if (b.categorical) {
    const cat = b.categorical;
    if (present) {
      const cur = ch.bins.map((c) => c / present);
      out.bins = { labels: [...cat.top.map((t) => t.value), 'other'], baseline: [...cat.top.map((t) => t.frac), cat.other_frac], current: cur };
      const rate = ch.unseen / present;
      out.new_category_rate = rate;
      const z = rateZ(rate, present, cat.other_frac, cat.n);
      if (rate - cat.other_frac >= 0.01 && z >= Z_ALERT) {
        mine.push(finding('new_categories', rate - cat.other_frac >= 0.1 ? 'alert' : 'warn', name,
          `${pct(rate)} of column "${name}" are categories the baseline did not have (${cat.other_frac > 0 ? `baseline "other" ${pct(cat.other_frac)}` : 'none in the baseline'}), e.g. ${[...ch.unseenExamples].map((e) => JSON.stringify(e)).join(', ')}`,
          `map the new categories of column "${name}" upstream, or retrain with them`, rate, cat.other_frac));
      }
    }
    if (present >= MIN_ROWS_FOR_DRIFT) {
      const cur = out.bins!.current;
      const p = psi(out.bins!.baseline, cur);
      const th = psiThresholds(cur.length, present, cat.n);
      Object.assign(out, { psi: p, psi_warn: th.warn, psi_alert: th.alert });
      if (p >= th.warn) {
        mine.push(finding('psi', p >= th.alert ? 'alert' : 'warn', name,
          `the category mix of column "${name}" has drifted: PSI ${fmt(p)} (warn ≥ ${fmt(th.warn)}, alert ≥ ${fmt(th.alert)})`, upstream(name), p, th.warn));
      }
    }
  }
  out.status = mine.some((f) => f.severity === 'alert') ? 'alert' : mine.length ? 'warn' : 'ok';
  findings.push(...mine);
  return out;
}

function binLabels(edges: readonly number[]): string[] {
  if (!edges.length) return ['all'];
  return [`≤ ${fmt(edges[0]!)}`, ...edges.slice(1).map((e, i) => `${fmt(edges[i]!)} – ${fmt(e)}`), `> ${fmt(edges.at(-1)!)}`];
}

export interface CheckResult {
  rows: number;
  /** Stopped after `maxRows`: the rest of the file was not read. */
  partial: boolean;
  status: 'ok' | 'warn' | 'alert';
  findings: QualityFinding[];
  columns: ColumnCheck[];
  extra_columns: string[];
}

/** Streams the source through one checker per baseline column and judges each at the end. */
export async function checkSource(base: Profile, src: RowSource, opts: { maxRows?: number } = {}): Promise<CheckResult> {
  const maxRows = opts.maxRows ?? Infinity;
  let partial = false;
  const byName = new Map(base.columns.map((c) => [c.name, c]));
  let checkers: Array<ColumnChecker | null> = [];
  let mapped = 0;
  const mapColumns = () => {
    for (; mapped < src.columns.length; mapped++) {
      const b = byName.get(src.columns[mapped]!);
      checkers.push(b ? new ColumnChecker(b, mapped) : null);
    }
  };
  let before = 0; // rows before the current one
  let active: ColumnChecker[] = [];
  outer: for await (const batch of src.batches) {
    for (const row of batch) {
      if (before >= maxRows) {
        partial = true;
        break outer; // leaving the loop closes the reader (its finally destroys the streams)
      }
      if (mapped < src.columns.length) {
        mapColumns();
        active = checkers.filter((c): c is ColumnChecker => c !== null);
        // A JSONL key first seen now was absent, so missing, in every earlier row.
        for (const ch of active) {
          if (ch.count < before) {
            ch.missing += before - ch.count;
            ch.count = before;
          }
        }
      }
      for (const ch of active) ch.add(row[ch.index]);
      before++;
    }
  }
  mapColumns();
  checkers = checkers.filter(Boolean);
  const rows = before;
  const findings: QualityFinding[] = [];
  const file: QualityFinding[] = [];
  if (!rows) file.push(finding('no_rows', 'alert', null, 'the input has a header but no data rows', 'check that the export step wrote the data, not only the header'));
  if (src.stats.ragged) {
    file.push(finding('ragged_rows', 'warn', null,
      `${src.stats.ragged} row(s) have a different number of fields than the header (first near line ${src.stats.firstRaggedLine}); missing fields were read as missing`,
      'check the quoting and delimiters of the export (an unquoted comma or newline in a value shifts columns)', src.stats.ragged));
  }
  if (src.stats.badLines) {
    file.push(finding('bad_lines', 'warn', null, `${src.stats.badLines} line(s) are not JSON objects and were skipped (first: line ${src.stats.firstBadLine})`,
      'fix the writer of this file: each line must be one JSON object', src.stats.badLines));
  }
  for (const d of new Set(src.stats.duplicateColumns)) {
    file.push(finding('duplicate_column', 'warn', d, `column "${d}" appears more than once in the header; only the first is checked`, `rename or drop the duplicate column "${d}" upstream`));
  }
  const seen = new Set(src.columns);
  const columns: ColumnCheck[] = [];
  const have = new Map((checkers as ColumnChecker[]).map((c) => [c.base.name, c]));
  for (const b of base.columns) {
    const ch = have.get(b.name);
    if (ch) {
      columns.push(judgeColumn(ch, rows, findings));
      continue;
    }
    columns.push({
      name: b.name, type: b.type, present: false, status: 'alert', count: 0, missing_frac: null, baseline_missing_frac: b.missing_frac,
      psi: null, psi_warn: null, psi_alert: null, mean: null, baseline_mean: b.numeric?.mean ?? null, std: null, baseline_std: b.numeric?.std ?? null,
      z: null, effect: null, outlier_frac: null, baseline_outlier_frac: b.numeric?.outlier_frac ?? null, new_category_rate: null, wrong_type_frac: null, bins: null,
    });
    findings.push(finding('missing_column', 'alert', b.name, `column "${b.name}" of the baseline is not in the input`,
      `add column "${b.name}" to the export (or fix its name: columns are matched by exact name), or retrain without it`));
  }
  const extra = [...seen].filter((c) => !byName.has(c) && !/#\d+$/.test(c));
  for (const c of extra) {
    findings.push(finding('extra_column', 'warn', c, `column "${c}" is not in the baseline; the model never saw it`,
      `drop column "${c}" before the run, or check whether it is a renamed baseline column`));
  }
  const all = [...file, ...findings];
  const order = { alert: 0, warn: 1, info: 2 } as const;
  all.sort((a, b) => order[a.severity] - order[b.severity]);
  const status = all.some((f) => f.severity === 'alert') ? 'alert' : all.some((f) => f.severity === 'warn') ? 'warn' : 'ok';
  return { rows, partial, status, findings: all, columns, extra_columns: extra };
}
