// Evaluate: batch predictions of a tabular version over a CSV/JSONL file, and A/B comparisons of versions on the
// same dataset (agreement, metric deltas, latency percentiles, the winner promoted from here). Runs are jobs:
// progress comes from job events; a pickle asks for an explicit confirmation naming its scan result first.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { BatchResult, CompareReport, ResultRow } from '../../../electron/contract/evaluate';
import type { DangerousFindings } from '../../../electron/contract/registry';
import type { Job } from '../../../electron/contract/jobs';
import { api, ApiError, onEvent } from '../api/client';
import { DangerConfirm } from '../components/Danger';
import { errorText } from '../lib/format';
import { DataQualityPanel } from './DataQualityPanel';
import { useAsync } from '../lib/useAsync';
import { toastError, useApp } from '../store/appStore';

const fmt = (n: number | null | undefined, d = 3) => (typeof n === 'number' ? n.toFixed(d) : '—');
const pct = (n: number | null | undefined) => (typeof n === 'number' ? `${(n * 100).toFixed(1)}%` : '—');
const signed = (n: unknown, d = 4) => (typeof n === 'number' ? `${n >= 0 ? '+' : ''}${n.toFixed(d)}` : '—');

type PickleAsk = { models: string[]; message: string; run: () => void };

/** One line on the tabular worker's Python environment, with a setup button; shown here and in Settings. */
export function TabularRuntimeLine() {
  const st = useAsync(() => api.call('evaluate.tabularStatus', { probe: false }), 'tabular');
  const [job, setJob] = useState<Job | null>(null);
  useEffect(() => onEvent((e) => {
    if (e.type !== 'job' || e.job.kind !== 'tabular-setup') return;
    setJob(e.job);
    if (e.job.state === 'done') st.reload();
  }), [st]);
  const s = st.data;
  if (!s) return null;
  const running = job && (job.state === 'running' || job.state === 'queued');
  return (
    <p className={s.state === 'ready' ? 'hint' : 'field-error'} role={s.state === 'ready' ? undefined : 'alert'} aria-label="Tabular runtime">
      Python runtime for scikit-learn, XGBoost, LightGBM and CatBoost: <strong>{s.state === 'ready' ? 'ready' : s.state === 'missing' ? 'not set up' : 'broken'}</strong>
      {s.problem ? ` — ${s.problem}` : ''} {running ? <span role="status">Setting up: {job.message ?? 'starting'}</span> : null}
      {s.state !== 'ready' && !running ? (
        <button type="button" className="small" onClick={() => void api.call('evaluate.tabularSetup', {}).catch((e: unknown) => toastError('Could not set up the tabular runtime', e))}>Set up</button>
      ) : null}
      {' '}ONNX models run without it.
    </p>
  );
}

function Progress({ job }: { job: Job }) {
  const frac = job.totalBytes ? job.doneBytes / job.totalBytes : null;
  return (
    <div className="card" role="status" aria-label="Run progress">
      <p><strong>{job.title}</strong> — {job.state}{frac !== null ? ` ${Math.round(frac * 100)}%` : ''}</p>
      {frac !== null ? <progress max={1} value={frac} aria-label="progress" /> : null}
      {job.message ? <p className="muted">{job.message}{job.etaSec ? ` · ETA ${Math.ceil(job.etaSec)} s` : ''}</p> : null}
      {job.state === 'running' || job.state === 'queued' ? <button type="button" className="small" onClick={() => void api.call('jobs.cancel', { id: job.id })}>Cancel</button> : null}
    </div>
  );
}

function LatencyCells({ l }: { l: BatchResult['latency'] }) {
  return <><td className="num">{fmt(l.p50_ms, 1)}</td><td className="num">{fmt(l.p95_ms, 1)}</td><td className="num">{fmt(l.p99_ms, 1)}</td></>;
}

function BatchCard({ batch }: { batch: BatchResult }) {
  const rows = useAsync(() => api.call('evaluate.batchResults', { batchId: batch.batch_id, limit: 50, offset: 0 }), `rows-${batch.batch_id}`);
  return (
    <section className="card" aria-label={`Batch ${batch.batch_id}`}>
      <h2>Batch {batch.batch_id}: {batch.model} <span className="muted">({batch.runtime}, {batch.file})</span></h2>
      <p>
        <strong>{batch.rows.toLocaleString()}</strong> rows predicted{batch.failed ? <>, <strong className="field-error">{batch.failed} failed</strong></> : null}
        {batch.rows_per_sec ? ` at ${Math.round(batch.rows_per_sec).toLocaleString()} rows/s` : ''}{batch.restarts ? ` (Python worker restarted ${batch.restarts}×)` : ''}
      </p>
      <table className="table compact" aria-label="Latency">
        <thead><tr><th>Latency per {batch.latency.chunk_rows}-row chunk</th><th className="num">p50 ms</th><th className="num">p95 ms</th><th className="num">p99 ms</th></tr></thead>
        <tbody><tr><td>{batch.latency.chunks} chunks</td><LatencyCells l={batch.latency} /></tr></tbody>
      </table>
      {batch.warnings.length ? <ul className="warnings" aria-label="Warnings">{batch.warnings.map((w) => <li key={w}>⚠ {w}</li>)}</ul> : null}
      {batch.errors.length ? (
        <details open>
          <summary className="field-error">Errors per row ({batch.failed})</summary>
          <table className="table compact" aria-label="Row errors"><thead><tr><th>Line</th><th>Entity</th><th>Error</th></tr></thead>
            <tbody>{batch.errors.slice(0, 20).map((e) => <tr key={e.line}><td className="num">{e.line}</td><td className="mono">{e.entity}</td><td>{e.error}</td></tr>)}</tbody></table>
        </details>
      ) : null}
      <h3>First rows</h3>
      {rows.error ? <p className="field-error" role="alert">{errorText(rows.error)}</p> : null}
      <table className="table compact" aria-label="Predictions">
        <thead><tr><th>Entity</th><th>Line</th><th>Prediction</th><th>Probabilities</th><th>Label</th></tr></thead>
        <tbody>{(rows.data ?? []).map((r: ResultRow) => (
          <tr key={r.entity} className={r.error ? 'row-error' : undefined}>
            <td className="mono">{r.entity}</td><td className="num">{r.line}</td>
            <td>{r.error ? <span className="field-error">{r.error}</span> : JSON.stringify(r.prediction)}</td>
            <td className="mono">{r.probabilities ? r.probabilities.map((p) => p.toFixed(3)).join(' · ') : '—'}</td><td>{r.label ?? '—'}</td>
          </tr>
        ))}</tbody>
      </table>
    </section>
  );
}

function CompareCard({ report }: { report: CompareReport }) {
  const [danger, setDanger] = useState<{ name: string; version: number; d: DangerousFindings } | null>(null);
  const promote = async (force = false) => {
    if (!report.winner) return;
    const at = report.winner.model.lastIndexOf('@');
    const name = report.winner.model.slice(0, at);
    const version = Number(report.winner.model.slice(at + 1));
    try {
      const r = await api.call('registry.promote', { name, version, stage: 'production', force });
      useApp.getState().toast({ kind: 'success', title: `${r.model}@${r.version} → production`, detail: r.demoted.length ? `v${r.demoted.join(', v')} archived` : undefined });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'dangerous_findings' && e.details) setDanger({ name, version, d: e.details as DangerousFindings });
      else toastError(`Could not promote ${report.winner.model}`, e);
    }
  };
  const keys = report.task === 'regression' ? (['mae', 'rmse'] as const) : (['accuracy', 'macro_f1', 'roc_auc'] as const);
  const label: Record<string, string> = { accuracy: 'Accuracy', macro_f1: 'Macro-F1', roc_auc: 'ROC AUC', mae: 'MAE', rmse: 'RMSE' };
  return (
    <section className="card" aria-label={`Comparison ${report.comparison_id}`}>
      <h2>Comparison {report.comparison_id} <span className="muted">({report.mode === 'ab' ? 'A/B on the same rows' : 'weighted traffic'}, {report.task})</span></h2>
      {report.agreement ? <p>Agreement: <strong>{pct(report.agreement.rate)}</strong> over {report.agreement.compared.toLocaleString()} entities</p> : null}
      <table className="table compact" aria-label="Versions compared">
        <thead><tr><th>Version</th><th>Runtime</th><th className="num">Rows</th>{report.mode === 'weighted' ? <th className="num">Traffic</th> : null}
          {keys.map((k) => <th key={k} className="num">{label[k]}</th>)}<th className="num">p50 ms</th><th className="num">p95 ms</th><th className="num">p99 ms</th></tr></thead>
        <tbody>{report.versions.map((v) => (
          <tr key={v.model} className={report.winner?.model === v.model ? 'winner' : undefined}>
            <td><strong>{v.model}</strong>{report.winner?.model === v.model ? <span className="badge success" aria-label="winner"> winner</span> : null}</td>
            <td>{v.runtime}</td><td className="num">{v.rows.toLocaleString()}{v.failed ? ` (${v.failed} failed)` : ''}</td>
            {report.mode === 'weighted' ? <td className="num">{pct(v.share)} (w {v.weight})</td> : null}
            {keys.map((k) => <td key={k} className="num">{fmt(v.metrics?.[k] ?? null, 4)}</td>)}
            <LatencyCells l={v.latency} />
          </tr>
        ))}</tbody>
      </table>
      {report.deltas.length ? (
        <table className="table compact" aria-label="Metric deltas">
          <thead><tr><th>Delta</th>{keys.map((k) => <th key={k} className="num">{label[k]}</th>)}<th className="num">p50 ms</th></tr></thead>
          <tbody>{report.deltas.map((d) => (
            <tr key={String(d.model)}><td>{String(d.model)} − {String(d.against)}</td>{keys.map((k) => {
              const v = d[k];
              const good = typeof v === 'number' && v !== 0 ? ((k === 'mae' || k === 'rmse') ? v < 0 : v > 0) : null;
              return <td key={k} className={`num ${good === true ? 'delta-good' : good === false ? 'delta-bad' : ''}`}>{signed(v)}</td>;
            })}<td className="num">{signed(d.p50_ms, 1)}</td></tr>
          ))}</tbody>
        </table>
      ) : null}
      {report.winner ? (
        <div className="button-row">
          <p>Winner by {label[report.winner.by] ?? report.winner.by}: <strong>{report.winner.model}</strong></p>
          <button type="button" className="primary" onClick={() => void promote()}>Promote {report.winner.model} to production</button>
        </div>
      ) : <p className="muted">{report.label_column ? 'No winner.' : 'No winner without a label column: give one to compare metrics.'}</p>}
      {report.warnings.length ? <ul className="warnings">{report.warnings.map((w) => <li key={w}>⚠ {w}</li>)}</ul> : null}
      {danger ? <DangerConfirm what="Promote to production" name={danger.name} version={danger.version} d={danger.d} onCancel={() => setDanger(null)} onConfirm={() => { setDanger(null); void promote(true); }} /> : null}
    </section>
  );
}

export function EvaluateView() {
  const [mode, setMode] = useState<'batch' | 'compare'>('batch');
  const [models, setModels] = useState('');
  const [input, setInput] = useState('');
  const [idColumn, setIdColumn] = useState('');
  const [labelColumn, setLabelColumn] = useState('');
  const [weights, setWeights] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [ask, setAsk] = useState<PickleAsk | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [refresh, setRefresh] = useState(0);
  const fileRef = useRef<HTMLInputElement>(null);
  const versions = useAsync(() => api.call('registry.list', { limit: 500 }), 'versions', refresh);
  const batches = useAsync(() => api.call('evaluate.batchList', { limit: 5 }), 'batches', refresh);
  const comparisons = useAsync(() => api.call('evaluate.compareList', { limit: 3 }), 'comparisons', refresh);
  useEffect(() => onEvent((e) => {
    if (e.type !== 'job' || e.job.id !== jobId) return;
    setJob(e.job);
    if (e.job.state === 'done' || e.job.state === 'failed' || e.job.state === 'cancelled') setRefresh((x) => x + 1);
  }), [jobId]);
  const refs = useMemo(() => models.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean), [models]);

  const start = async (allowPickle: boolean) => {
    setError(null);
    const common = { input: input.trim(), ...(idColumn.trim() ? { idColumn: idColumn.trim() } : {}), ...(labelColumn.trim() ? { labelColumn: labelColumn.trim() } : {}), allowPickle };
    try {
      let r;
      if (mode === 'batch') r = await api.call('evaluate.batchStart', { model: refs[0]!, ...common });
      else {
        let w: Record<string, number> | undefined;
        if (weights.trim()) {
          w = {};
          for (const part of weights.split(',')) {
            const [k, v] = part.split('=');
            if (!k || v === undefined || !Number.isFinite(Number(v))) throw new Error(`weights are NAME@VERSION=WEIGHT, comma-separated; "${part.trim()}" is not that`);
            w[k.trim()] = Number(v);
          }
        }
        r = await api.call('evaluate.compareStart', { models: refs, ...common, ...(w ? { weights: w } : {}) });
      }
      setJob(null);
      setJobId(r.jobId);
      // Events drive the progress; a run that ends before this view subscribed to its job is caught here.
      const id = r.jobId;
      void api.call('jobs.get', { id }).then((j) => setJob((cur) => cur ?? j), () => undefined);
      void api.call('jobs.wait', { id, timeoutMs: 3_600_000 }).then((j) => {
        setJob(j);
        setRefresh((x) => x + 1);
      }, () => undefined);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'pickle_confirmation_required') setAsk({ models: refs, message: e.message, run: () => void start(true) });
      else setError(errorText(e));
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!refs.length) return setError('Choose a version (NAME@VERSION).');
    if (mode === 'compare' && refs.length < 2) return setError('A comparison needs two versions or more, separated by commas.');
    if (!input.trim()) return setError('Give the dataset: a CSV with a header row, or a JSONL file.');
    void start(false);
  };
  const failed = job && job.state === 'failed' ? job.error : null;
  const batchList = batches.data ?? [];
  const compareList = comparisons.data ?? [];

  return (
    <section className="view" aria-labelledby="section-title">
      <header className="view-head"><h1 id="section-title">Evaluate</h1></header>
      <div className="view-body padded evaluate">
        <TabularRuntimeLine />
        <form className="card form-grid" onSubmit={submit} aria-label="New evaluation run">
          <fieldset className="segmented">
            <legend>Run</legend>
            <label><input type="radio" name="mode" checked={mode === 'batch'} onChange={() => setMode('batch')} /> Batch predictions</label>
            <label><input type="radio" name="mode" checked={mode === 'compare'} onChange={() => setMode('compare')} /> Compare versions (A/B)</label>
          </fieldset>
          <label htmlFor="eval-models">{mode === 'batch' ? 'Version' : 'Versions (the first is the baseline)'}</label>
          <input id="eval-models" list="eval-versions" value={models} onChange={(e) => setModels(e.target.value)} placeholder={mode === 'batch' ? 'churn@2' : 'churn@1, churn@2'} autoComplete="off" />
          <datalist id="eval-versions">{(versions.data?.rows ?? []).map((v) => <option key={v.id} value={`${v.model}@${v.version}`} />)}</datalist>
          <label htmlFor="eval-input">Dataset (CSV or JSONL)</label>
          <div className="input-row">
            <input id="eval-input" value={input} onChange={(e) => setInput(e.target.value)} placeholder="/path/to/data.csv" className="mono" />
            <input ref={fileRef} type="file" accept=".csv,.jsonl,.ndjson,text/csv" hidden onChange={(e) => {
              const f = e.target.files?.[0];
              const p = f ? window.hallmark?.pathForFile(f) ?? null : null;
              if (p) setInput(p);
              else if (f) setError(`Type the full path of ${f.name}: in the browser the app cannot see where the file is.`);
            }} />
            <button type="button" className="small" onClick={() => fileRef.current?.click()}>Choose…</button>
          </div>
          <label htmlFor="eval-id">Entity id column</label>
          <input id="eval-id" value={idColumn} onChange={(e) => setIdColumn(e.target.value)} placeholder="id (default), else the line number" />
          <label htmlFor="eval-label">Label column</label>
          <input id="eval-label" value={labelColumn} onChange={(e) => setLabelColumn(e.target.value)} placeholder="optional: accuracy / F1 / AUC or MAE / RMSE" />
          {mode === 'compare' ? (<>
            <label htmlFor="eval-weights">Weighted traffic</label>
            <input id="eval-weights" value={weights} onChange={(e) => setWeights(e.target.value)} placeholder="optional: churn@1=0.7, churn@2=0.3" />
          </>) : null}
          {refs[0] && input.trim() ? <DataQualityPanel model={refs[0]} input={input.trim()} /> : null}
          {error ? <div className="field-error" role="alert">{error}</div> : null}
          <div className="button-row"><button type="submit" className="primary" disabled={Boolean(job && (job.state === 'running' || job.state === 'queued'))}>{mode === 'batch' ? 'Run batch' : 'Compare'}</button></div>
        </form>
        {job ? <Progress job={job} /> : null}
        {failed ? <div className="card field-error" role="alert"><strong>The run failed.</strong> {failed}</div> : null}
        {ask ? (
          <div className="modal-backdrop">
            <div className="dialog danger-dialog" role="alertdialog" aria-modal="true" aria-labelledby="pickle-title">
              <h2 id="pickle-title">Load a pickle?</h2>
              <p>{ask.message}</p>
              <p>Unpickling runs code from the file. It runs in Hallmark's separate Python worker, never in the app, and only because its scan found nothing high or critical.</p>
              <div className="button-row">
                <button type="button" autoFocus onClick={() => setAsk(null)}>Cancel</button>
                <button type="button" className="danger" onClick={() => { const run = ask.run; setAsk(null); run(); }}>Load the pickle and run</button>
              </div>
            </div>
          </div>
        ) : null}
        {compareList.map((c) => <CompareCard key={c.comparison_id} report={c} />)}
        {batchList.map((b) => <BatchCard key={b.batch_id} batch={b} />)}
        {!batchList.length && !compareList.length && !batches.loading ? (
          <div className="card empty" aria-label="No runs yet">
            <h2>No evaluation runs yet</h2>
            <p>Pick a registered tabular version (ONNX, scikit-learn, XGBoost, LightGBM or CatBoost) and a CSV with a header row or a JSONL file, then run a batch. Results are stored per entity id; compare two versions on the same data to see which one to promote.</p>
          </div>
        ) : null}
      </div>
    </section>
  );
}
