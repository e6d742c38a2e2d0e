import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timeRange, timeTicks } from '../lib/chartTime';
import { useEffectiveTheme } from '../lib/theme';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** A CSS variable name (e.g. --accent) or a colour. */
  color: string;
  unit?: string;
}

/**
 * A CSS variable as the colour it resolves to now. The palette's values are light-dark(…) expressions,
 * which only a property that takes a colour resolves: a hidden probe's computed `color` does.
 */
function cssColor(c: string): string {
  if (!c.startsWith('--')) return c;
  const probe = document.createElement('span');
  probe.style.display = 'none';
  probe.style.color = `var(${c}, #888)`;
  document.documentElement.appendChild(probe);
  const v = getComputedStyle(probe).color;
  probe.remove();
  return v || '#888';
}

const fmtValue = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${Number(v.toPrecision(4))}${unit}`);

/**
 * A small plot (uPlot) of one or more series, sized to its container: over time (x in ISO `times`), or over a
 * count when `x` is given (a loss curve against training steps: wall-clock time would bend it with every
 * pause of the machine).
 */
export function TimeChart({ title, times, series, height = 160, x }: {
  title: string; times?: string[]; series: ChartSeries[]; height?: number; x?: { values: number[]; label: string };
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Colours are read from CSS variables when the plot is built: rebuild it when the theme changes.
  const theme = useEffectiveTheme();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const axis = cssColor('--text-muted');
    const grid = cssColor('--border');
    const xs = x ? x.values : (times ?? []).map((t) => Date.parse(t) / 1000);
    const ys = series.map((s) => s.values);
    const plot = new uPlot({
      width: Math.max(200, el.clientWidth),
      height,
      // The legend is ours (below): uPlot's shows "--" until the pointer is over the plot.
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: x ? { time: false } : {
          time: true,
          range: (_u, min, max) => timeRange(min, max),
        },
      },
      axes: [
        x
          ? { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 60, label: x.label, labelSize: 18, labelFont: '11px sans-serif' }
          // One short line per tick (uPlot's default stacks a date line that overlaps on narrow charts).
          : { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 72, values: (_u: uPlot, splits: number[]) => timeTicks(splits) },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 },
      ],
      series: [
        {},
        // Points drawn so that a series of one or two values is still visible.
        ...series.map((s) => ({ label: s.label, stroke: cssColor(s.color), width: 1.5, spanGaps: true, points: { show: true, size: 5 } })),
      ],
    }, [xs, ...ys] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [times, series, height, theme, x]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={ref} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ')} ${x ? `by ${x.label}` : 'over time'}`} />
      <ul className="chart-legend" aria-label={`${title} legend`}>
        {series.map((s) => {
          const vals = s.values.filter((v): v is number => v !== null && Number.isFinite(v));
          const mean = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
          return (
            <li key={s.label}>
              <span className="chart-swatch" style={{ background: cssColor(s.color) }} aria-hidden="true" />
              {s.label} <strong>{fmtValue(vals.at(-1), s.unit)}</strong> <span className="muted">latest · mean {fmtValue(mean, s.unit)}</span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
