import { useMemo, useState } from 'react';
import type { VersionDetail } from '../../../../electron/contract/registry';
import { api, ApiError } from '../../api/client';
import { NotRunnable } from '../../components/NotRunnable';
import { ErrorBanner } from '../../components/ErrorBanner';
import { TimeChart, type ChartSeries } from '../../components/TimeChart';
import { errorText, fmtDate, fmtInt, fmtMs, fmtRate, fmtRelative, plural } from '../../lib/format';
import { modelHref, navigate } from '../../lib/route';
import { useAsync } from '../../lib/useAsync';
import { toastError, useApp } from '../../store/appStore';
import { DataQualityPanel } from '../DataQualityPanel';
import { HourlyCharts } from './HourlyCharts';

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`);

/**
 * Which version to monitor, with each version's prediction count: predictions are made on a given
 * version, so the newest one (the page's default) is often not the one with data.
 */
function VersionPicker({ version }: { version: VersionDetail }) {
  const counts = useAsync(async () => {
    const m = await api.call('registry.model', { name: version.model });
    return Promise.all(m.versions.slice(0, 30).map(async (v) => {
      const n = await api.call('monitor.stats', { model: { name: version.model, version: v.version } }).then((st) => st.total_predictions, () => null);
      return { version: v.version, predictions: n };
    }));
  }, `${version.model}`);
  const rows = counts.data ?? [];
  if (rows.length < 2) return null;
  return (
    <label className="inline-field monitor-version"><span>Version</span>
      <select aria-label="Monitored version" value={version.version} onChange={(e) => navigate(modelHref(version.model, Number(e.target.value), 'monitoring'))}>
        {rows.map((r) => <option key={r.version} value={r.version}>v{r.version} · {r.predictions === null ? 'cannot be run' : plural(r.predictions, 'prediction')}</option>)}
      </select>
    </label>
  );
}

/** Monitoring: predictions over time, then the data quality of inputs against the version's baseline. */
export function MonitoringTab({ version }: { version: VersionDetail }) {
  return (
    <div className="monitoring-page">
      <MonitoringBody version={version} />
      <div className="card" style={{ marginTop: '0.8rem' }}>
        <h3>Data quality</h3>
        <DataQualityPanel model={version.model} version={version.version} />
      </div>
    </div>
  );
}

/** Prediction stats, latency/error/throughput plots, hourly percentiles and drift against a baseline. */
function MonitoringBody({ version }: { version: VersionDetail }) {
  const model = useMemo(() => ({ name: version.model, version: version.version }), [version.model, version.version]);
  const [n, setN] = useState(0);
  const key = `${version.model}@${version.version}#${n}`;
  const data = useAsync(async () => {
    const [stats, series, drift, predictions] = await Promise.all([
      api.call('monitor.stats', { model }),
      api.call('monitor.series', { model, buckets: 60 }),
      api.call('monitor.drift', { model }),
      api.call('monitor.predictions', { model, limit: 50 }),
    ]);
    return { stats, series, drift, predictions };
  }, key);
  const [busy, setBusy] = useState(false);

  const charts = useMemo(() => {
    const s = data.data?.series ?? [];
    const times = s.map((p) => p.t);
    const latency: ChartSeries[] = [
      { label: 'mean', values: s.map((p) => p.latency_mean), color: '--accent', unit: ' ms' },
      { label: 'p95', values: s.map((p) => p.latency_p95), color: '--warn', unit: ' ms' },
    ];
    const errors: ChartSeries[] = [
      { label: 'predictions', values: s.map((p) => p.count), color: '--accent' },
      { label: 'errors', values: s.map((p) => p.errors), color: '--danger' },
    ];
    const tps: ChartSeries[] = s.some((p) => p.tokens_per_sec_mean !== null) ? [{ label: 'tokens/s', values: s.map((p) => p.tokens_per_sec_mean), color: '--ok' }] : [];
    return { times, latency, errors, tps };
  }, [data.data?.series]);

  if (data.error instanceof ApiError && data.error.code === 'unsupported_format') return <NotRunnable what="Monitoring" detail={data.error.message} />;
  if (data.error && !data.data) return <ErrorBanner title={`No monitoring for ${version.model}@${version.version}`} error={data.error} onRetry={data.reload} />;
  if (!data.data) return <div className="loading-line" role="status">Loading monitoring data…</div>;
  const { stats, drift, predictions } = data.data;

  const setBaseline = async () => {
    setBusy(true);
    try {
      const b = await api.call('monitor.baseline', { model });
      useApp.getState().toast({ kind: 'success', title: `Baseline set from ${plural(b.sample_count, 'prediction')}`, detail: `latency ${fmtMs(b.latency_mean)} ± ${fmtMs(b.latency_std)}, error rate ${pct(b.error_rate)}` });
      setN((x) => x + 1);
    } catch (e) {
      toastError('Could not set the baseline', e);
    } finally {
      setBusy(false);
    }
  };

  if (stats.total_predictions === 0) {
    return (
      <div className="empty">
        <div className="empty-title">No predictions recorded for {version.model}@{version.version}</div>
        <p>Run it from the Run tab (or <code>hallmark run</code>); latency, errors, throughput and drift appear here.</p>
        <div className="button-row center"><VersionPicker version={version} /><button type="button" onClick={() => setN((x) => x + 1)}>Refresh</button></div>
      </div>
    );
  }

  return (
    <div className="monitoring-tab">
      <div className="toolbar">
        <span className="muted">{plural(stats.total_predictions, 'prediction')} on v{version.version} · last {fmtRelative(stats.last_at)} · window of {fmtInt(stats.sample_count)}</span>
        <VersionPicker version={version} />
        <span className="spacer" />
        <button type="button" onClick={() => setN((x) => x + 1)}>Refresh</button>
        <button type="button" onClick={() => void setBaseline()} disabled={busy} title="Use the latest predictions as the reference for drift">{stats.baseline ? 'Reset baseline' : 'Set baseline'}</button>
      </div>
      {drift.drift_detected ? (
        <div className="banner warn" role="alert" data-testid="drift">
          <div><strong>Drift detected</strong> (score {fmtRate(drift.drift_score)} ≥ {fmtRate(drift.threshold)})
            <div className="banner-detail">{drift.metrics.filter((m) => m.drift_detected).map((m) => `${m.metric}: ${fmtRate(m.baseline_mean)} → ${fmtRate(m.current_mean)} (score ${fmtRate(m.drift_score)})`).join(' · ')}{drift.note ? ` · ${drift.note}` : ''}</div>
          </div>
        </div>
      ) : (
        <div className={`banner ${drift.drift_score === null ? 'info' : 'ok'}`} role="status" data-testid="drift">
          <div>{drift.drift_score === null
            ? (drift.note ?? 'No baseline yet: set one to watch for drift.')
            : `No drift: score ${fmtRate(drift.drift_score)} below ${fmtRate(drift.threshold)}${drift.note ? ` · ${drift.note}` : ''}`}</div>
        </div>
      )}
      <div className="stat-cards">
        <div className="stat"><span className="stat-label">Error rate</span><span className="stat-value">{pct(stats.error_rate)}</span><span className="muted small">{fmtInt(stats.error_count)} of {fmtInt(stats.sample_count)}</span></div>
        <div className="stat"><span className="stat-label">Latency p50 / p95</span><span className="stat-value">{stats.latency_ms ? `${fmtMs(stats.latency_ms.p50)} / ${fmtMs(stats.latency_ms.p95)}` : '—'}</span><span className="muted small">{stats.latency_ms ? `mean ${fmtMs(stats.latency_ms.mean)} ± ${fmtMs(stats.latency_ms.std)}` : ''}</span></div>
        <div className="stat"><span className="stat-label">Tokens/s</span><span className="stat-value">{stats.tokens_per_sec ? fmtRate(stats.tokens_per_sec.mean) : '—'}</span><span className="muted small">{stats.tokens_per_sec ? `p50 ${fmtRate(stats.tokens_per_sec.p50)}` : 'not a text model'}</span></div>
        <div className="stat"><span className="stat-label">Baseline</span><span className="stat-value">{stats.baseline ? plural(stats.baseline.sample_count, 'sample') : 'none'}</span><span className="muted small">{stats.baseline ? `set ${fmtRelative(stats.baseline.created_at)}` : 'set one to detect drift'}</span></div>
      </div>
      <div className="chart-grid">
        <TimeChart title="Latency" times={charts.times} series={charts.latency} />
        <TimeChart title="Predictions and errors" times={charts.times} series={charts.errors} />
        {charts.tps.length ? <TimeChart title="Throughput" times={charts.times} series={charts.tps} /> : null}
      </div>
      <HourlyCharts model={model} refresh={n} />
      <div className="card">
        <h3>Recent predictions</h3>
        <table className="table compact" aria-label="Recent predictions">
          <thead><tr><th>#</th><th>When</th><th>Method</th><th className="num">Latency</th><th className="num">Tokens/s</th><th className="num">Batch</th><th>Error</th></tr></thead>
          <tbody>
            {predictions.map((p) => (
              <tr key={p.id} className={p.error ? 'row-bad' : undefined}>
                <td className="num">{p.id}</td><td title={fmtDate(p.created_at)}>{fmtRelative(p.created_at)}</td><td>{p.method}</td>
                <td className="num">{fmtMs(p.latency_ms)}</td><td className="num">{fmtRate(p.tokens_per_sec)}</td>
                <td className="num">{p.batch_size ?? '—'}</td><td className="text-danger">{p.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.error ? <div className="field-error" role="alert">Refresh failed: {errorText(data.error)}</div> : null}
    </div>
  );
}
