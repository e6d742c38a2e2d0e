// Time axis of the charts: whole-time tick labels and a minimum span, so a few points read well.

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * Tick labels: minutes or seconds by the tick spacing, the date when ticks are days apart; every label a
 * whole time (the axis never spans under a minute, see MIN_SPAN, so no ":21.2" fragments).
 */
export function timeTicks(splits: number[]): string[] {
  const step = splits.length > 1 ? splits[1]! - splits[0]! : 60;
  return splits.map((s) => {
    const d = new Date(s * 1000);
    if (step >= 86_400) return `${d.getMonth() + 1}/${d.getDate()}`;
    const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
    return step >= 60 ? hm : `${hm}:${two(d.getSeconds())}`;
  });
}

/** The time axis spans at least two minutes: a few points close together still get readable ticks. */
export const MIN_SPAN = 120;

export function timeRange(min: number, max: number): [number, number] {
  const mid = (min + max) / 2;
  return max - min < MIN_SPAN ? [mid - MIN_SPAN / 2, mid + MIN_SPAN / 2] : [min, max];
}
