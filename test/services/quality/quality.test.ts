// Data-quality checks on synthetic data with known shifts: each shift is found, on its column only; independent
// samples of the baseline's distribution (several seeds) are not flagged. Plus the bad inputs a pipeline produces.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Profile, QualityFinding } from '../../../electron/contract/quality';
import { checkSource, chi2Quantile, psi, psiThresholds } from '../../../electron/services/quality/check';
import { profileSource, quantileSorted } from '../../../electron/services/quality/profile';
import { fromStream, textStream, type TableFormat } from '../../../electron/services/quality/reader';
import { rows, toCsv, toJsonl, type Shift } from './synthetic';

const src = (text: string, format: TableFormat = 'csv') => fromStream(textStream([text]), { format });
const BASE_ROWS = 5000;
const CHECK_ROWS = 2000;

let cached: Profile | null = null;
async function baseline(): Promise<Profile> {
  cached ??= await profileSource(src(toCsv(rows(BASE_ROWS, 1))));
  return cached;
}

async function check(shift: Shift, seed = 99, n = CHECK_ROWS, format: TableFormat = 'csv') {
  const data = rows(n, seed, shift);
  return checkSource(await baseline(), src(format === 'csv' ? toCsv(data) : toJsonl(data), format));
}

const cols = (fs: QualityFinding[]) => [...new Set(fs.map((f) => f.column))].sort();
const kinds = (fs: QualityFinding[], column: string) => fs.filter((f) => f.column === column).map((f) => f.kind).sort();

describe('baseline profile', () => {
  it('types, moments, deciles and categories match the generating distributions', async () => {
    const p = await baseline();
    expect(p.rows).toBe(BASE_ROWS);
    const by = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    expect(Object.fromEntries(p.columns.map((c) => [c.name, c.type]))).toEqual({ age: 'numeric', income: 'numeric', score: 'numeric', city: 'categorical', member: 'categorical' });
    const age = by.age!.numeric!;
    expect(age.mean).toBeCloseTo(40, 0);
    expect(age.std).toBeGreaterThan(9.5);
    expect(age.std).toBeLessThan(10.5);
    expect(age.median).toBeCloseTo(40, 0);
    // N(40,10) deciles: 40 ± 10·{1.2816, 0.8416, 0.5244, 0.2533, 0}.
    expect(age.edges[0]).toBeGreaterThan(26.2);
    expect(age.edges[0]).toBeLessThan(29.2);
    expect(age.edges).toHaveLength(9);
    for (const f of age.bin_fracs) expect(f).toBeCloseTo(0.1, 1);
    expect(age.robust_low).toBeCloseTo(age.q1 - 3 * (age.q3 - age.q1), 9);
    const city = by.city!.categorical!;
    expect(city.top.map((t) => t.value)).toEqual(['Lyon', 'Paris', 'Oslo', 'Rome', 'Kyiv']);
    expect(city.top[0]!.frac).toBeCloseTo(0.4, 1);
    expect(city.other_frac).toBeCloseTo(0, 9);
    expect(by.member!.categorical!.top.map((t) => t.value).sort()).toEqual(['false', 'true']);
  });

  it('quantiles interpolate like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
  });
});

describe('statistics', () => {
  it('PSI is 0 for equal distributions, grows with the shift, and is finite on empty bins (ε smoothing)', () => {
    const e = new Array(10).fill(0.1);
    expect(psi(e, e)).toBe(0);
    const a = [0, 0, 0, 0, 0, 0.1, 0.1, 0.2, 0.3, 0.3];
    const v = psi(e, a);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0.25);
    expect(psi(e, [0.12, 0.08, ...new Array(8).fill(0.1)])).toBeLessThan(0.01);
  });

  it('the χ² quantile approximation is close to tabulated values, and PSI thresholds widen for small samples', () => {
    expect(chi2Quantile(9)).toBeCloseTo(27.88, 0); // χ²(9) 99.9 %
    expect(chi2Quantile(1)).toBeGreaterThan(9);
    expect(psiThresholds(10, 100_000, 16384)).toEqual({ warn: 0.1, alert: 0.25 });
    const small = psiThresholds(10, 50, 16384);
    expect(small.warn).toBeGreaterThan(0.5);
  });
});

describe('data-quality check on synthetic shifts', () => {
  it.each([2, 3, 4, 5, 6])('an independent sample of the same distribution (seed %i) is not flagged', async (seed) => {
    const r = await check({}, seed);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('ok');
    for (const c of r.columns) {
      expect(c.status).toBe('ok');
      expect(c.psi!).toBeLessThan(0.05);
    }
  });

  it('a small sample (100 rows) of the same distribution is not flagged either (PSI thresholds account for noise)', async () => {
    for (const seed of [11, 12, 13]) expect((await check({}, seed, 100)).findings).toEqual([]);
  });

  it('a mean shift of half a standard deviation: PSI and z on age only', async () => {
    const r = await check({ ageShift: 5 });
    expect(cols(r.findings)).toEqual(['age']);
    expect(kinds(r.findings, 'age')).toEqual(['mean_shift', 'psi']);
    const age = r.columns.find((c) => c.name === 'age')!;
    expect(age.effect!).toBeCloseTo(0.5, 1);
    expect(age.z!).toBeGreaterThan(15);
    expect(r.findings.find((f) => f.kind === 'mean_shift')!.advice).toMatch(/retrain .* upstream pipeline for column "age"/);
  });

  it('a variance change (std ×2, same mean): PSI catches it, the mean test does not fire', async () => {
    const r = await check({ ageScale: 2 });
    expect(cols(r.findings)).toEqual(['age']);
    expect(kinds(r.findings, 'age')).toContain('psi');
    expect(kinds(r.findings, 'age')).not.toContain('mean_shift');
    expect(r.columns.find((c) => c.name === 'age')!.psi!).toBeGreaterThan(0.25);
  });

  it('new categories (10 % "Atlantis")', async () => {
    const r = await check({ newCity: 0.1 });
    expect(cols(r.findings)).toEqual(['city']);
    const f = r.findings.find((x) => x.kind === 'new_categories')!;
    expect(f.message).toMatch(/Atlantis/);
    expect(f.value!).toBeCloseTo(0.1, 1);
  });

  it('injected missingness (15 % of income empty)', async () => {
    const r = await check({ incomeMissing: 0.15 });
    expect(cols(r.findings)).toEqual(['income']);
    expect(kinds(r.findings, 'income')).toEqual(['missingness']);
    expect(r.columns.find((c) => c.name === 'income')!.missing_frac!).toBeCloseTo(0.15, 1);
  });

  it('outliers (3 % of income ×1000)', async () => {
    const r = await check({ incomeOutliers: 0.03 });
    expect(cols(r.findings)).toEqual(['income']);
    expect(kinds(r.findings, 'income')).toContain('outliers');
    expect(r.columns.find((c) => c.name === 'income')!.outlier_frac!).toBeCloseTo(0.03, 2);
  });

  it('wrong type (5 % of age written as a word), a missing and an extra column, all with their column name', async () => {
    const r = await check({ ageText: 0.05, dropScore: true, extraColumn: true });
    const by = (k: string) => r.findings.filter((f) => f.kind === k);
    expect(by('wrong_type').map((f) => f.column)).toEqual(['age']);
    expect(by('wrong_type')[0]!.message).toMatch(/"forty"/);
    expect(by('missing_column').map((f) => f.column)).toEqual(['score']);
    expect(by('missing_column')[0]!.severity).toBe('alert');
    expect(by('extra_column').map((f) => f.column)).toEqual(['campaign']);
    expect(r.extra_columns).toEqual(['campaign']);
    expect(r.columns.find((c) => c.name === 'score')!.present).toBe(false);
    expect(r.status).toBe('alert');
    for (const f of r.findings) expect(f.advice.length).toBeGreaterThan(10);
  });

  it('JSON lines input is checked like CSV (unshifted: clean; shifted: found)', async () => {
    expect((await check({}, 7, CHECK_ROWS, 'jsonl')).findings).toEqual([]);
    expect(cols((await check({ ageShift: 5 }, 7, CHECK_ROWS, 'jsonl')).findings)).toEqual(['age']);
  });
});

describe('discrete and degenerate columns', () => {
  it('binary, small-integer, constant and id-like columns: a same-distribution sample is clean, a flipped one is flagged', async () => {
    const { prng } = await import('../../../electron/services/quality/profile');
    const make = (n: number, seed: number, pOne: number) => {
      const r = prng(seed);
      const lines = ['flag,kids,const,id'];
      for (let i = 0; i < n; i++) lines.push(`${r() < pOne ? 1 : 0},${Math.floor(r() * 4)},7,${seed * 1e6 + i}`);
      return lines.join('\n') + '\n';
    };
    const base = await profileSource(src(make(5000, 1, 0.1)));
    expect(base.columns.map((c) => c.type)).toEqual(['numeric', 'numeric', 'numeric', 'numeric']);
    for (const seed of [2, 3, 4]) {
      const r = await checkSource(base, src(make(2000, seed, 0.1)));
      // The id column is a fresh range of numbers every time: it drifts by construction, nothing else may.
      expect(cols(r.findings).filter((c) => c !== 'id')).toEqual([]);
    }
    const flipped = await checkSource(base, src(make(2000, 5, 0.5)));
    expect(cols(flipped.findings)).toContain('flag');
    expect(cols(flipped.findings)).not.toContain('kids');
    expect(cols(flipped.findings)).not.toContain('const');
  });
});

describe('partial check', () => {
  it('maxRows reads only the first rows: a shift further down is not seen, and the report says it was partial', async () => {
    const text = toCsv([...rows(500, 21), ...rows(1500, 22, { ageShift: 8 })]);
    const quick = await checkSource(await baseline(), src(text), { maxRows: 500 });
    expect(quick).toMatchObject({ rows: 500, partial: true, findings: [] });
    const full = await checkSource(await baseline(), src(text));
    expect(full.partial).toBe(false);
    expect(full.rows).toBe(2000);
    expect(cols(full.findings)).toEqual(['age']);
    expect((await checkSource(await baseline(), src(text), { maxRows: 5000 })).partial).toBe(false);
  });
});

describe('bad input', () => {
  const header = 'age,income,score,city,member\n';

  it('an empty file is unreadable (no header), for CSV and JSONL', async () => {
    await expect(checkSource(await baseline(), src(''))).rejects.toMatchObject({ code: 'unreadable_input' });
    await expect(checkSource(await baseline(), src('\n\n', 'jsonl'))).rejects.toMatchObject({ code: 'unreadable_input' });
    await expect(profileSource(src(''))).rejects.toMatchObject({ code: 'unreadable_input' });
  });

  it('a header with no rows: a no_rows alert for a check, refused for a baseline', async () => {
    const r = await checkSource(await baseline(), src(header));
    expect(r.findings.map((f) => f.kind)).toEqual(['no_rows']);
    expect(r.status).toBe('alert');
    await expect(profileSource(src(header))).rejects.toMatchObject({ code: 'no_rows' });
  });

  it('ragged rows are counted with the first line, missing fields read as missing', async () => {
    const good = toCsv(rows(200, 5));
    const text = good.replace(/\n([^\n]*)\n/, (_m, line: string) => `\n${line}\n1,2\n3,4,5,Lyon,true,extra\n`);
    const r = await checkSource(await baseline(), src(text));
    const f = r.findings.find((x) => x.kind === 'ragged_rows')!;
    expect(f.value).toBe(2);
    expect(f.message).toMatch(/line 3/);
    expect(r.rows).toBe(202);
  });

  it('quoted newlines and commas inside values, a BOM, CRLF line ends', async () => {
    const text = '\uFEFF' + [header.trim(), '41,20000,0.5,"Ly\non, ""old town""",true', ...toCsv(rows(300, 8)).split('\n').slice(1, -1)].join('\r\n') + '\r\n';
    const r = await checkSource(await baseline(), src(text));
    expect(r.rows).toBe(301);
    expect(r.findings.filter((f) => f.kind === 'missing_column' || f.kind === 'extra_column')).toEqual([]); // the BOM is not part of "age"
    expect(r.findings.filter((f) => f.kind === 'ragged_rows')).toEqual([]);
  });

  it('a malformed quote is reported as unreadable with its line, not a crash', async () => {
    await expect(checkSource(await baseline(), src(header + '1,2,3,"Lyon,true\n' + 'x'.repeat(10)))).rejects.toMatchObject({ code: 'unreadable_input' });
  });

  it('JSONL lines that are not objects are skipped and reported', async () => {
    const text = toJsonl(rows(100, 9)) + '[1,2]\nnot json\n42\n';
    const r = await checkSource(await baseline(), src(text, 'jsonl'));
    expect(r.rows).toBe(100);
    expect(r.findings.find((f) => f.kind === 'bad_lines')!.value).toBe(3);
  });

  it('duplicate header names are reported', async () => {
    const r = await checkSource(await baseline(), src('age,age,income,score,city,member\n40,41,1,0.1,Lyon,true\n'));
    expect(r.findings.find((f) => f.kind === 'duplicate_column')!.column).toBe('age');
  });

  it('a huge input through a generator stream is checked in flat memory', async () => {
    const base = await baseline();
    const N = 500_000;
    // A forced collection before each sample measures what is retained, not garbage awaiting the GC.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap: number[] = [];
    function* gen() {
      yield 'age,income,score,city,member\n';
      const it = rows(N, 1234);
      let i = 0;
      let chunk = '';
      for (const r of it) {
        chunk += `${r.age},${r.income},${r.score},${r.city},${r.member}\n`;
        if (++i % 5000 === 0) {
          yield chunk;
          chunk = '';
          if (i % 50_000 === 0) {
            gc();
            heap.push(process.memoryUsage().heapUsed);
          }
        }
      }
      yield chunk;
    }
    const t0 = Date.now();
    const r = await checkSource(base, fromStream(textStream(gen()), { format: 'csv' }));
    const secs = (Date.now() - t0) / 1000;
    expect(r.rows).toBe(N);
    expect(r.findings).toEqual([]);
    // ~20 MB of CSV went through; keeping its rows (5 strings each) would retain ~150 MB.
    const growth = Math.max(...heap) - heap[0]!;
    console.log(`quality check: ${N} rows in ${secs.toFixed(1)} s (${Math.round(N / secs)} rows/s), heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(16 * 2 ** 20);
  }, 120_000);
});
