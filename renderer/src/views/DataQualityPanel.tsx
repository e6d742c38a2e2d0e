// Data quality of a tabular input against the version's saved baseline: missingness, drift (PSI, z),
// outliers, new categories, schema. Embeddable: EvaluateView passes the dataset it is about to run
// (`datasetPath`), which is checked at once so warnings show before the batch run; or a finished `report`.
import { useEffect, useState } from 'react';
import type { ColumnCheck, QualityReport } from '../../../electron/contract/quality';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { fmtInt, fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { toastError, useApp } from '../store/appStore';
import '../quality.css';

export type DataQualityPanelProps =
  | { model: string; version: number; datasetPath?: string; onReport?: (r: QualityReport) => void }
  /** EvaluateView's slot: `model` is NAME@VERSION and `input` the dataset being typed (checked after a pause). */
  | { model: string; input: string; onReport?: (r: QualityReport) => void }
  | { report: QualityReport };

/** Rows read by the automatic check of a dataset handed in by another view (a quick look before a long run). */
export const QUICK_ROWS = 100_000;

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`);
const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : Number(x.toFixed(d)).toString());

function BinChart({ c }: { c: ColumnCheck }) {
  if (!c.bins) return null;
  const max = Math.max(...c.bins.baseline, ...c.bins.current, 1e-9);
  return (
    <figure className="card" style={{ margin: 0 }}>
      <figcaption><strong>{c.name}</strong> <span className="muted">PSI {num(c.psi)}{c.type === 'numeric' ? ` · mean ${num(c.baseline_mean, 2)} → ${num(c.mean, 2)}` : ''}</span></figcaption>
      <div className="dq-bin-chart" role="img" aria-label={`${c.name}: baseline and current distribution over ${c.bins.labels.length} bins`}>
        {c.bins.labels.map((l, i) => (
          <div className="pair" key={l + i} title={`${l}: baseline ${pct(c.bins!.baseline[i])}, now ${pct(c.bins!.current[i])}`}>
            <div className="b" style={{ height: `${(c.bins!.baseline[i]! / max) * 100}%` }} />
            <div className="c" style={{ height: `${(c.bins!.current[i]! / max) * 100}%` }} />
          </div>
        ))}
      </div>
      <div className="dq-bin-legend"><span><span className="sw" style={{ background: 'var(--text-muted)', opacity: 0.45 }} />baseline</span><span><span className="sw" style={{ background: 'var(--accent)' }} />this input</span><span>{c.bins.labels[0]} … {c.bins.labels.at(-1)}</span></div>
    </figure>
  );
}

/** A finished check: verdict, findings with what to do, per-column table, distributions of drifted columns. */
export function QualityReportView({ report }: { report: QualityReport }) {
  const alerts = report.findings.filter((f) => f.severity === 'alert').length;
  const warns = report.findings.filter((f) => f.severity === 'warn').length;
  const drifted = report.columns.filter((c) => c.status !== 'ok' && c.bins).slice(0, 6);
  return (
    <div className="dq" data-testid="quality-report">
      <div className={`banner ${report.status === 'alert' ? 'error' : report.status === 'warn' ? 'warn' : 'ok'}`} role={report.status === 'ok' ? 'status' : 'alert'}>
        <div>
          <strong>{report.status === 'ok' ? 'Data matches the baseline' : `Data quality: ${alerts ? `${alerts} alert${alerts === 1 ? '' : 's'}` : ''}${alerts && warns ? ', ' : ''}${warns ? `${warns} warning${warns === 1 ? '' : 's'}` : ''}`}</strong>
          <div className="banner-detail">{report.partial ? 'the first ' : ''}{fmtInt(report.rows)} rows of {report.source} checked against a baseline of {fmtInt(report.baseline_rows)} rows ({report.model}@{report.version}) · {fmtRelative(report.checked_at)}</div>
        </div>
      </div>
      {report.findings.length ? (
        <ul className="dq-findings" aria-label="Data quality findings">
          {report.findings.map((f, i) => (
            <li key={i} className={`sev-${f.severity}`}>
              <span className="dq-sev">{f.severity}</span>
              <div>{f.message}<div className="advice">→ {f.advice}</div></div>
            </li>
          ))}
        </ul>
      ) : null}
      {drifted.length ? <div className="dq-bins">{drifted.map((c) => <BinChart key={c.name} c={c} />)}</div> : null}
      <table className="table compact dq-table" aria-label="Columns against the baseline">
        <thead><tr><th>Column</th><th>Type</th><th className="num">Missing</th><th className="num">PSI</th><th className="num">Mean shift (z)</th><th className="num">Outliers</th><th className="num">New categories</th><th>Status</th></tr></thead>
        <tbody>
          {report.columns.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td><td>{c.type}</td>
              <td className="num">{c.present ? `${pct(c.missing_frac)} (was ${pct(c.baseline_missing_frac)})` : 'absent'}</td>
              <td className="num">{num(c.psi)}</td>
              <td className="num">{c.z === null ? '—' : `${num(c.effect, 2)} σ (z ${num(c.z, 1)})`}</td>
              <td className="num">{c.type === 'numeric' && c.outlier_frac !== null ? pct(c.outlier_frac) : '—'}</td>
              <td className="num">{c.new_category_rate === null ? '—' : pct(c.new_category_rate)}</td>
              <td className={`status-${c.status}`}>{c.present ? c.status : 'missing'}</td>
            </tr>
          ))}
          {report.extra_columns.map((c) => <tr key={`extra-${c}`}><td>{c}</td><td colSpan={6} className="muted">not in the baseline (the model never saw it)</td><td className="status-warn">extra</td></tr>)}
        </tbody>
      </table>
    </div>
  );
}

function LivePanel({ model, version, datasetPath, onReport }: { model: string; version: number; datasetPath?: string; onReport?: (r: QualityReport) => void }) {
  const ref = { name: model, version };
  const [n, setN] = useState(0);
  const baseline = useAsync(() => api.call('quality.getBaseline', ref), `${model}@${version}`, n);
  const last = useAsync(() => api.call('quality.lastCheck', ref), `${model}@${version}#last`, n);
  const [path, setPath] = useState(datasetPath ?? '');
  const [report, setReport] = useState<QualityReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'check' | 'baseline' | null>(null);

  const check = async (p: string, quick = false) => {
    setBusy('check');
    setError(null);
    try {
      const r = await api.call('quality.check', { ...ref, input: p, ...(quick ? { max_rows: QUICK_ROWS } : {}) });
      setReport(r);
      onReport?.(r);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const saveBaseline = async () => {
    setBusy('baseline');
    try {
      const b = await api.call('quality.baseline', { ...ref, input: path });
      useApp.getState().toast({ kind: 'success', title: `Baseline saved for ${model}@${version}`, detail: `${fmtInt(b.rows)} rows, ${b.columns} columns from ${b.source}` });
      setN((x) => x + 1);
    } catch (e) {
      toastError('Could not save the baseline', e);
    } finally {
      setBusy(null);
    }
  };

  // A dataset handed in by the embedding view (EvaluateView before a batch run) is checked at once.
  useEffect(() => {
    if (!datasetPath) return;
    setPath(datasetPath);
    if (baseline.data) void check(datasetPath, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [datasetPath, baseline.data?.id]);

  const shown = report ?? last.data ?? null;
  const b = baseline.data;
  return (
    <div className="dq">
      <p className="muted" data-testid="quality-baseline">
        {baseline.loading && !b ? 'Reading the baseline…'
          : b ? <>Baseline: {fmtInt(b.rows)} rows × {b.columns} columns from <code>{b.source}</code>, saved {fmtRelative(b.created_at)}.</>
            : <>No baseline for {model}@{version} yet: give the training data below and save it as the baseline (or <code>hallmark quality baseline {model}@{version} --input train.csv</code>).</>}
      </p>
      <form className="dq-form" onSubmit={(e) => { e.preventDefault(); if (path.trim() && b) void check(path.trim()); }}>
        {/* aria-label, not an .sr-only label: that one is absolutely positioned and, in a scrolled tab panel, stretched the document. */}
        <input type="text" placeholder="/path/to/data.csv or .jsonl" value={path} onChange={(e) => setPath(e.target.value)} aria-label="Dataset path" spellCheck={false} />
        <button type="submit" className="primary" disabled={!path.trim() || !b || busy !== null} title={b ? 'Check this file against the baseline' : 'Save a baseline first'}>{busy === 'check' ? 'Checking…' : 'Check data'}</button>
        <button type="button" onClick={() => void saveBaseline()} disabled={!path.trim() || busy !== null}>{busy === 'baseline' ? 'Profiling…' : b ? 'Replace baseline' : 'Save as baseline'}</button>
      </form>
      {error ? <ErrorBanner title="The check could not run" error={error} onRetry={() => void check(path.trim())} /> : null}
      {shown?.partial ? <p className="hint">Quick check of the first {fmtInt(shown.rows)} rows; <em>Check data</em> reads the whole file.</p> : null}
      {shown ? <QualityReportView report={shown} /> : b ? <p className="muted">No check yet: give a dataset (CSV with a header row, or JSON lines) and press Check data.</p> : null}
    </div>
  );
}

/** EvaluateView's slot: waits until the typed path has been still for a moment before checking it. */
function SlotPanel({ model, input, onReport }: { model: string; input: string; onReport?: (r: QualityReport) => void }) {
  const [settled, setSettled] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setSettled(input.trim()), 800);
    return () => clearTimeout(t);
  }, [input]);
  const m = /^(.+?)@v?(\d+)$/.exec(model.trim());
  if (!m) return null;
  const version = Number(m[2]);
  return <LivePanel key={`${m[1]}@${version}`} model={m[1]!} version={version} {...(settled ? { datasetPath: settled } : {})} {...(onReport ? { onReport } : {})} />;
}

/**
 * The data-quality panel: live for a version (a `datasetPath` is checked at once, first QUICK_ROWS rows), for
 * EvaluateView's `{model: "NAME@V", input}` slot, or a finished report.
 */
export function DataQualityPanel(props: DataQualityPanelProps) {
  if ('report' in props) return <QualityReportView report={props.report} />;
  if ('input' in props) return <SlotPanel {...props} />;
  return <LivePanel key={`${props.model}@${props.version}`} {...props} />;
}
