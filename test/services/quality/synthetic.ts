// Synthetic tabular data with known distributions (seeded), and the shifts the data-quality checks must find.
import { prng } from '../../../electron/services/quality/profile';

export const CITIES = ['Lyon', 'Paris', 'Oslo', 'Rome', 'Kyiv'] as const;
const CITY_P = [0.4, 0.25, 0.15, 0.12, 0.08];

export interface Shift {
  /** Added to age. */
  ageShift?: number;
  /** Multiplies age's spread around its mean. */
  ageScale?: number;
  /** Share of rows whose city is a category the baseline never saw. */
  newCity?: number;
  /** Share of rows with income missing (empty). */
  incomeMissing?: number;
  /** Share of rows whose income is multiplied by 1000 (a unit error). */
  incomeOutliers?: number;
  /** Share of rows whose age is written as a word. */
  ageText?: number;
  dropScore?: boolean;
  extraColumn?: boolean;
}

export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/** Rows of: age ~ N(40, 10), income ~ lognormal(10, 0.5), score ~ U(0, 1), city ~ categorical, member ~ bool. */
export function* rows(n: number, seed: number, s: Shift = {}): Generator<Record<string, string | number | boolean | null>> {
  const rand = prng(seed);
  const g = gaussian(rand);
  for (let i = 0; i < n; i++) {
    let age: string | number = 40 + 10 * g() * (s.ageScale ?? 1) + (s.ageShift ?? 0);
    if (s.ageText && rand() < s.ageText) age = 'forty';
    let income: number | null = Math.exp(10 + 0.5 * g());
    if (s.incomeOutliers && rand() < s.incomeOutliers) income *= 1000;
    if (s.incomeMissing && rand() < s.incomeMissing) income = null;
    const u = rand();
    let acc = 0;
    let city: string = CITIES[CITIES.length - 1]!;
    for (let k = 0; k < CITIES.length; k++) {
      acc += CITY_P[k]!;
      if (u < acc) {
        city = CITIES[k]!;
        break;
      }
    }
    if (s.newCity && rand() < s.newCity) city = 'Atlantis';
    const row: Record<string, string | number | boolean | null> = { age: typeof age === 'number' ? Number(age.toFixed(2)) : age, income: income === null ? null : Number(income.toFixed(2)) };
    if (!s.dropScore) row.score = Number(rand().toFixed(4));
    row.city = city;
    row.member = rand() < 0.3;
    if (s.extraColumn) row.campaign = 'spring';
    yield row;
  }
}

const csvCell = (v: string | number | boolean | null) => (v === null ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));

export function toCsv(rs: Iterable<Record<string, string | number | boolean | null>>): string {
  let header: string[] | null = null;
  const out: string[] = [];
  for (const r of rs) {
    if (!header) {
      header = Object.keys(r);
      out.push(header.join(','));
    }
    out.push(header.map((h) => csvCell(r[h] ?? null)).join(','));
  }
  return out.join('\n') + '\n';
}

export function toJsonl(rs: Iterable<Record<string, unknown>>): string {
  return [...rs].map((r) => JSON.stringify(r)).join('\n') + '\n';
}
