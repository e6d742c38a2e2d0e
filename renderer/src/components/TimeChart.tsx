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
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
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
