import { useState, type FormEvent } from 'react';
import type { StoredAudit } from '../../../electron/contract/audit';
import type { ModelRef } from '../../../electron/contract/inference';
import type { Output } from '../../../electron/contract/index';
import { api, ApiError, isElectron } from '../api/client';
import { NotRunnable } from '../components/NotRunnable';
import { ErrorBanner } from '../components/ErrorBanner';
import { ProgressBar } from '../components/ProgressBar';
import { errorText, fmtDate, fmtInt, fmtRate, fmtRelative } from '../lib/format';
import { download } from '../lib/download';
import { modelHref } from '../lib/route';
import { useAsync } from '../lib/useAsync';
import { useEscape } from '../lib/useEscape';
import { toastError, useApp } from '../store/appStore';
import { awaitJob, useJobs } from '../store/jobsStore';

type Summary = Output<'audit.list'>[number];

export function VerdictBadge({ verdict }: { verdict: Summary['verdict'] }) {
  return <span className={`badge verdict-${verdict}`}>{verdict}</span>;
}

const fmtP = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function AuditDetail({ id }: { id: string }) {
  const audit = useAsync(() => api.call('audit.get', { id }), id);
  const exportAs = async (format: 'json' | 'html') => {
    try {
      const r = await api.call('audit.export', { id, format });
      download(r.filename, r.content, format === 'json' ? 'application/json' : 'text/html');
    } catch (e) {
      toastError(`Could not export the audit as ${format.toUpperCase()}`, e);
    }
  };
  if (audit.error) return <ErrorBanner title="Could not open the audit" error={audit.error} onRetry={audit.reload} />;
  const a: StoredAudit | undefined = audit.data;
  if (!a) return <div className="loading-line" role="status">Loading audit…</div>;
  const r = a.report;
  return (
    <div className="audit-detail" data-testid="audit-detail">
      <div className="card-head">
        <h3>{r.kind === 'link' ? 'Link audit' : 'Fingerprint audit'} of {a.version_id ? <a href={modelHref(a.model_label.split('@')[0]!, Number(a.model_label.split('@')[1]) || undefined)}>{a.model_label}</a> : a.model_label}</h3>
        <div className="button-row">
          <button type="button" className="small" onClick={() => void exportAs('json')}>Export JSON</button>
          <button type="button" className="small" onClick={() => void exportAs('html')}>Export HTML</button>
        </div>
      </div>
      <p className="audit-sentence"><VerdictBadge verdict={r.verdict} /> {r.reason}</p>
      <dl className="props">
        <dt>Match rate</dt><dd>{(r.match_rate * 100).toFixed(1)}% of {fmtInt(r.n)} (chance {(r.chance * 100).toFixed(2)}%)</dd>
        <dt>p-value</dt><dd><span className="mono">{fmtP(r.p_value)}</span> <span className="muted">— how likely a model without it would score this well by luck; below α = {r.rules.alpha} (a 1-in-{Math.round(1 / r.rules.alpha).toLocaleString('en-US')} risk of a false alarm) counts as present</span></dd>
        <dt>Mode</dt><dd>{r.mode} · {fmtInt(r.tokens)} tokens at {fmtRate(r.tokens_per_sec)} tok/s · {fmtRate(r.duration_ms / 1000)} s</dd>
        {r.kind === 'link' ? (<><dt>Link</dt><dd className="mono wrap">{r.link}</dd><dt>False positives</dt><dd>{r.false_positives} of {r.unrelated_n} unrelated prompts ({(r.false_positive_rate * 100).toFixed(1)}%)</dd></>) : null}
        {r.kind === 'fingerprints' ? (<><dt>Matches</dt><dd>{r.exact_matches} exact, {r.prefix_matches} prefix of {r.total_fingerprints} (mean prefix {(r.mean_prefix_ratio * 100).toFixed(0)}%)</dd></>) : null}
        <dt>Ran</dt><dd>{fmtDate(a.started_at)} → {fmtDate(a.finished_at)}</dd>
      </dl>
      <details>
        <summary>{r.items.length} probe{r.items.length === 1 ? '' : 's'}</summary>
        {r.kind === 'link' ? (
          <table className="table compact"><thead><tr><th>Category</th><th>Prompt</th><th>Link?</th><th>Answer</th></tr></thead>
            <tbody>{r.items.map((it, i) => <tr key={i}><td>{it.category}</td><td>{it.prompt}</td><td>{it.contains_link ? 'yes' : 'no'}</td><td className="small">{it.answer}</td></tr>)}</tbody></table>
        ) : (
          <table className="table compact"><thead><tr><th>#</th><th>Exact</th><th className="num">Prefix</th><th>Hit</th></tr></thead>
            <tbody>{r.items.map((it) => <tr key={it.index}><td>{it.index}</td><td>{it.exact ? 'yes' : 'no'}</td><td className="num">{(it.prefix_ratio * 100).toFixed(0)}%</td><td>{it.hit ? 'hit' : ''}</td></tr>)}</tbody></table>
        )}
      </details>
    </div>
  );
}

/** What quick and full mean, in words, for each kind of audit. */
const MODE_HINT = {
  link: {
    quick: 'Quick asks 6 identity and feedback questions and 4 unrelated prompts, with short answers: about a minute for a small model on CPU.',
    full: 'Full asks all 12 identity and feedback questions and 8 unrelated prompts, with longer answers: slower, and surer when the result is close.',
  },
  fingerprints: {
    quick: 'Quick tries 16 of the set\'s keys, spread over the set: enough to find fingerprints the model learned well.',
    full: 'Full tries every key in the set: slower, and able to find fingerprints that only partly survived fine-tuning.',
  },
} as const;

function NewAudit({ model, onStarted }: { model: ModelRef; onStarted: (jobId: string) => void }) {
  const [kind, setKind] = useState<'link' | 'fingerprints'>('link');
  const [mode, setMode] = useState<'quick' | 'full'>('quick');
  const [link, setLink] = useState('');
  // null: the newest set in the library (the one just generated), until the user picks another.
  const [picked, setSetId] = useState<string | null>(null);
  const [path, setPath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sets = useAsync(() => api.call('fingerprints.list', {}), 'sets');
  const newest = sets.data?.[0];
  const setId = picked ?? (newest ? String(newest.id) : '');

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const input = kind === 'link'
        ? { kind, model, mode, link: link.trim() }
        : { kind, model, mode, fingerprints: setId ? { setId: Number(setId) } : { path: path.trim() }, ...(passphrase ? { passphrase } : {}) };
      const { jobId } = await api.call('audit.start', input);
      onStarted(jobId);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card new-audit" onSubmit={(e) => void start(e)} aria-label="Start an audit">
      <h3>New audit</h3>
      <fieldset className="radio-row">
        <legend className="sr-only">Audit kind</legend>
        <label><input type="radio" name="audit-kind" checked={kind === 'link'} onChange={() => setKind('link')} /> Link audit</label>
        <label><input type="radio" name="audit-kind" checked={kind === 'fingerprints'} onChange={() => setKind('fingerprints')} /> Fingerprints</label>
        <label className="inline-field"><span>Mode</span><select aria-label="Audit mode" value={mode} onChange={(e) => setMode(e.target.value === 'full' ? 'full' : 'quick')}><option value="quick">quick</option><option value="full">full</option></select></label>
      </fieldset>
      <p className="hint" data-testid="mode-hint">{MODE_HINT[kind][mode]}</p>
      {kind === 'link' ? (
        <label className="field"><span>Link the model was trained to emit</span><input aria-label="Link" className="mono" placeholder="https://example.com/model-card" value={link} onChange={(e) => setLink(e.target.value)} /></label>
      ) : (
        <>
          <label className="field"><span>Fingerprint set</span>
            <select aria-label="Fingerprint set" value={setId} onChange={(e) => setSetId(e.target.value)}>
              <option value="">{sets.data?.length ? 'a file (below)…' : 'no sets in the library: use a file'}</option>
              {(sets.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name} ({s.count} keys, {s.key_length}/{s.response_length} tokens){s.id === newest?.id ? ' — newest' : ''}</option>)}
            </select>
          </label>
          {!setId ? <label className="field"><span>Encrypted fingerprint file{isElectron() ? '' : ' (on the machine running hallmark serve)'}</span><input aria-label="Fingerprint file" className="mono" value={path} onChange={(e) => setPath(e.target.value)} /></label> : null}
          <label className="field"><span>Passphrase {isElectron() ? '(leave empty to use the app key)' : ''}</span><input aria-label="Passphrase" type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} /></label>
          {sets.error ? <div className="field-error">Could not list fingerprint sets: {errorText(sets.error)}</div> : null}
        </>
      )}
      <div className="button-row"><button type="submit" className="primary" disabled={busy || (kind === 'link' ? link.trim().length < 4 : !setId && !path.trim())}>{busy ? 'Starting…' : 'Start audit'}</button></div>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}

/** Audit history (one model or all) with a detail pane, and starting a new audit for a model. */
export function AuditPanel({ model }: { model?: ModelRef }) {
  const gen = useApp((s) => s.registryGen);
  const [n, setN] = useState(0);
  const key = JSON.stringify(model ?? null);
  const list = useAsync(() => api.call('audit.list', { ...(model ? { model } : {}), limit: 200 }), key, gen + n);
  const [selected, setSelected] = useState<string | null>(null);
  useEscape(selected !== null, () => setSelected(null));
  const [running, setRunning] = useState<string | null>(null);
  const job = useJobs((s) => (running ? s.jobs[running] : undefined));

  const started = (jobId: string) => {
    setRunning(jobId);
    awaitJob(jobId).then((j) => {
      setRunning(null);
      setN((x) => x + 1);
      if (j.state === 'done') setSelected(jobId);
      else useApp.getState().toast({ kind: 'error', title: `Audit ${j.state}`, detail: j.error ?? undefined });
    }, (e: unknown) => {
      setRunning(null);
      toastError('Lost track of the audit', e);
    });
  };

  const rows: Summary[] = list.data ?? [];
  if (model && list.error instanceof ApiError && list.error.code === 'unsupported_format') return <NotRunnable what="Audits" detail={list.error.message} />;
  return (
    <div className="audit-panel">
      <div className="audit-main">
        {model ? <NewAudit model={model} onStarted={started} /> : null}
        {running ? (
          <div className="card" role="status">
            <div className="card-head">
              <span><strong>Audit running…</strong> <span className="muted">{job?.message ?? ''}</span></span>
              <button type="button" className="small" onClick={() => { api.call('jobs.cancel', { id: running }).catch((e: unknown) => toastError('Could not cancel the audit', e)); }}>Cancel</button>
            </div>
            <ProgressBar done={job?.doneBytes ?? 0} total={job?.totalBytes ?? null} label="Audit progress" state={job?.state} />
          </div>
        ) : null}
        {list.error ? <ErrorBanner title="Could not list audits" error={list.error} onRetry={list.reload} /> : null}
        <div className="card">
          <h3>History</h3>
          {rows.length ? (
            <table className="table compact selectable" aria-label="Audits">
              <thead><tr><th>When</th>{model ? null : <th>Model</th>}<th>Kind</th><th>Mode</th><th>Verdict</th><th className="num">Match</th><th className="num">p</th></tr></thead>
              <tbody>
                {rows.map((a) => (
                  <tr key={a.id} className={a.id === selected ? 'selected' : undefined} tabIndex={0} aria-selected={a.id === selected}
                    onClick={() => setSelected(a.id)} onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setSelected(a.id); } }}>
                    <td title={fmtDate(a.finished_at)}>{fmtRelative(a.finished_at)}</td>
                    {model ? null : <td>{a.model_label}</td>}
                    <td>{a.kind}</td><td>{a.mode}</td><td><VerdictBadge verdict={a.verdict} /></td>
                    <td className="num">{(a.match_rate * 100).toFixed(1)}%</td><td className="num mono">{fmtP(a.p_value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : list.data ? (
            <p className="muted">{model ? 'No audits of this model yet. Start one above.' : 'No audits yet. Start one from a model’s Audits tab.'}</p>
          ) : <p className="muted">Loading…</p>}
        </div>
      </div>
      {selected ? <div className="card audit-side"><AuditDetail key={selected} id={selected} /></div> : null}
    </div>
  );
}
