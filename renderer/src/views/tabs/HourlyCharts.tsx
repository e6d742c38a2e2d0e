import { useMemo } from 'react';
import type { ModelRef } from '../../../../electron/contract/inference';
import { api } from '../../api/client';
import { TimeChart, type ChartSeries } from '../../components/TimeChart';
import { errorText } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import '../../quality.css';

const METRIC_TEXT = { class: 'class frequencies', value: 'predicted values', tokens_per_sec: 'tokens per second' } as const;

/** Hour by hour: latency p50/p95/p99, error rate and output drift (PSI against the baseline) over the last 48 hours with data. */
export function HourlyCharts({ model, refresh }: { model: ModelRef; refresh: number }) {
  const key = JSON.stringify(model);
  const data = useAsync(() => api.call('monitor.hourly', { model, hours: 48 }), key, refresh);
  const charts = useMemo(() => {
    const d = data.data;
    if (!d) return null;
    // One hour alone gives the time axis nothing to span: show the hours around it as gaps.
    const gap = (t: number) => ({ t: new Date(t).toISOString(), count: 0, errors: 0, error_rate: null, latency_p50: null, latency_p95: null, latency_p99: null, drift_psi: null, drift_status: null });
    const only = d.points.length === 1 ? Date.parse(d.points[0]!.t) : null;
    const h = only === null ? d : { ...d, points: [gap(only - 3600_000), ...d.points, gap(only + 3600_000)] };
    const times = h.points.map((p) => p.t);
    const latency: ChartSeries[] = [
      { label: 'p50', values: h.points.map((p) => p.latency_p50), color: '--accent', unit: ' ms' },
      { label: 'p95', values: h.points.map((p) => p.latency_p95), color: '--warn', unit: ' ms' },
      { label: 'p99', values: h.points.map((p) => p.latency_p99), color: '--danger', unit: ' ms' },
    ];
    const errors: ChartSeries[] = [{ label: 'error rate', values: h.points.map((p) => (p.error_rate === null ? null : p.error_rate * 100)), color: '--danger', unit: ' %' }];
    const drift: ChartSeries[] = h.drift_metric ? [
      { label: 'PSI', values: h.points.map((p) => p.drift_psi), color: '--accent' },
      { label: 'warn', values: h.points.map(() => h.psi_warn), color: '--warn' },
      { label: 'alert', values: h.points.map(() => h.psi_alert), color: '--danger' },
    ] : [];
    return { times, latency, errors, drift };
  }, [data.data]);
  if (data.error && !data.data) return <div className="field-error" role="alert">Hourly monitoring could not be read: {errorText(data.error)}</div>;
  const h = data.data;
  if (!h || !charts) return <div className="loading-line" role="status">Loading hourly monitoring…</div>;
  if (!h.points.length) return null;
  const drifting = h.points.filter((p) => p.drift_status === 'alert' || p.drift_status === 'warn');
  return (
    <section className="hourly-section" aria-labelledby="hourly-title">
      <h3 id="hourly-title">Hour by hour</h3>
      {drifting.length ? (
        <div className="banner warn" role="alert" data-testid="hourly-drift">
          <div><strong>Prediction drift in {drifting.length} hour{drifting.length === 1 ? '' : 's'}</strong>
            <div className="banner-detail">The distribution of {METRIC_TEXT[h.drift_metric!]} moved away from the {h.reference === 'baseline' ? 'baseline' : 'first hour shown'} (PSI up to {Math.max(...drifting.map((p) => p.drift_psi ?? 0)).toFixed(2)}; warn at {h.psi_warn}, alert at {h.psi_alert}). Check the inputs with Data quality below, then retrain or reset the baseline if the change is expected.</div>
          </div>
        </div>
      ) : null}
      <div className="chart-grid">
        <TimeChart title="Latency percentiles per hour" times={charts.times} series={charts.latency} />
        <TimeChart title="Error rate per hour" times={charts.times} series={charts.errors} />
        {charts.drift.length ? <TimeChart title={`Prediction drift per hour (PSI of ${METRIC_TEXT[h.drift_metric!]})`} times={charts.times} series={charts.drift} />
          : (
            <figure className="chart">
              <figcaption>Prediction drift per hour</figcaption>
              <p className="muted">Nothing to compare yet: this model's predictions record no class, value or tokens/s. A batch run or a classifier with a label output fills them.</p>
            </figure>
          )}
      </div>
    </section>
  );
}
