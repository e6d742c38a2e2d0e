import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** A CSS variable name (e.g. --accent) or a colour. */
  color: string;
  unit?: string;
}

const cssColor = (c: string): string => (c.startsWith('--') ? getComputedStyle(document.documentElement).getPropertyValue(c).trim() || '#888' : c);

const two = (n: number): string => String(n).padStart(2, '0');

/** Tick labels: tenths, seconds or minutes by the tick spacing; the date when ticks are days apart. */
function timeTicks(splits: number[]): string[] {
  const step = splits.length > 1 ? splits[1]! - splits[0]! : 60;
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    if (step >= 86_400) return `${d.getMonth() + 1}/${d.getDate()}`;
    const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
    if (step >= 60) return hm;
    const sec = `${hm}:${two(d.getSeconds())}`;
    // Sub-second ticks: the full time once, then just the seconds, as a clock's second hand reads.
    return step >= 1 ? sec : i === 0 ? `${sec}.${Math.floor(d.getMilliseconds() / 100)}` : `:${two(d.getSeconds())}.${Math.floor(d.getMilliseconds() / 100)}`;
  });
}

/** A small time-series plot (uPlot): x in ISO times, one or more series, sized to its container. */
export function TimeChart({ title, times, series, height = 160 }: { title: string; times: string[]; series: ChartSeries[]; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const axis = cssColor('--text-muted');
    const grid = cssColor('--border');
    let xs = times.map((t) => Date.parse(t) / 1000);
    let ys = series.map((s) => s.values);
    // A single point would stretch the time axis over years: give it a minute either side.
    if (xs.length === 1) {
      xs = [xs[0]! - 60, xs[0]!, xs[0]! + 60];
      ys = ys.map((v) => [null, v[0] ?? null, null]);
    }
    const plot = new uPlot({
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        // One short line per tick (uPlot's default stacks a date line that overlaps on narrow charts).
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 72, values: (_u: uPlot, splits: number[]) => timeTicks(splits) },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 },
      ],
      series: [
        {},
        ...series.map((s) => ({ label: s.label, stroke: cssColor(s.color), width: 1.5, spanGaps: true, value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${Number(v.toPrecision(4))}${s.unit ?? ''}`) })),
      ],
    }, [xs, ...ys] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [times, series, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={ref} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ')} over time`} />
    </figure>
  );
}
