// Summary statistics with the conventions of the seed monitor (numpy defaults): population standard
// deviation and linearly interpolated percentiles.
import type { Summary } from '../../contract/monitoring';

export function mean(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Population standard deviation (ddof = 0, numpy's default). */
export function std(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/** Percentile with linear interpolation between closest ranks (numpy's default method). */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(xs: readonly number[]): Summary | null {
  if (!xs.length) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { count: xs.length, mean: mean(xs), std: std(xs), min, max, p50: percentile(xs, 50), p95: percentile(xs, 95) };
}

/**
 * The seed's drift score: how many baseline standard deviations the current mean moved,
 * |current_mean − baseline_mean| / baseline_std. A baseline with (near) zero spread would turn any
 * jitter into "drift", so its std is floored at 1% of its mean.
 */
export function zScore(currentMean: number, baselineMean: number, baselineStd: number): number {
  const floor = Math.max(baselineStd, Math.abs(baselineMean) * 0.01, Number.EPSILON);
  return Math.abs(currentMean - baselineMean) / floor;
}
