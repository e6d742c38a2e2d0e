// Training: embed a link or fingerprints into a registered version (the Python trainer), watch the live
// loss curve, cancel; the history of finished embeds with before/after audits; the trainer environment.
import { Fragment, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { EmbedLive, EmbedRecord, TrainerStatus } from '../../../electron/contract/embed';
import type { Job } from '../../../electron/contract/jobs';
import { api, onEvent } from '../api/client';
import { TimeChart } from '../components/TimeChart';
import { errorText, fmtEta, fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { toastError, useApp } from '../store/appStore';

/** Loss over time, as the chart reads it: ISO times from the run's start plus each step's offset. */
function LossChart({ losses, title = 'Training loss' }: { startedAt: string; losses: Array<[number, number, number]>; title?: string }) {
  // Against the optimizer step, not wall-clock time: the curve's shape is the training's, whatever the machine did meanwhile.
  const x = useMemo(() => ({ values: losses.map(([step]) => step), label: 'step' }), [losses]);
  const series = useMemo(() => [{ label: 'loss', values: losses.map(([, l]) => l), color: '--accent' }], [losses]);
  if (!losses.length) return <p className="muted">No steps yet: the trainer is loading the model and building the dataset.</p>;
  return <TimeChart title={title} x={x} series={series} />;
}

export function TrainerCard({ status, reload }: { status: TrainerStatus | undefined; reload: () => void }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => onEvent((e) => {
    if (e.type !== 'job' || e.job.kind !== 'trainer-setup') return;
    setJob(e.job);
    if (e.job.state === 'done') reload();
    if (e.job.state === 'failed') setError(e.job.error);
  }), [reload]);
  const setup = async () => {
    setError(null);
    try {
      await api.call('trainer.setup', {});
    } catch (err) {
      setError(errorText(err));
    }
  };
  const running = job && (job.state === 'running' || job.state === 'queued');
  return (
    <div className="card" aria-label="Trainer environment">
      <h3>Trainer environment</h3>
      {!status ? <p className="loading-line">Checking the trainer…</p> : (
        <>
          <p className={status.state === 'ready' ? '' : 'field-error'} role={status.state === 'ready' ? undefined : 'alert'}>
            <strong>{status.state === 'ready' ? 'Ready' : status.state === 'missing' ? 'Not set up' : 'Broken'}</strong>
            {status.problem ? ` — ${status.problem.replace(/^the trainer is not set up: /, '')}` : ''}
          </p>
          <dl className="props">
            <dt>Python</dt><dd className="mono wrap">{status.python}</dd>
            {status.torch ? (<><dt>torch</dt><dd>{status.torch} on {status.device}</dd></>) : null}
            <dt>Converters</dt><dd className="mono wrap">{status.llama_cpp ?? 'not checked out'}</dd>
          </dl>
        </>
      )}
      {running ? <p role="status">Setting up: {job.message ?? 'starting'}</p> : null}
      {error ? <div className="field-error" role="alert">{error}</div> : null}
      <div className="button-row">
        <button type="button" className={status?.state === 'ready' ? 'small' : 'primary'} disabled={Boolean(running)} onClick={() => void setup()}>
          {status?.state === 'ready' ? 'Check / repair' : 'Set up the trainer'}
        </button>
        {running ? <button type="button" className="small" onClick={() => void api.call('jobs.cancel', { id: job.id })}>Cancel setup</button> : null}
      </div>
      <p className="hint">Creates a private Python environment (torch, transformers, peft: about 3 GB, needs ~6 GB free) in your cache folder, once.</p>
    </div>
  );
}

function NewEmbed({ ready, onStarted }: { ready: boolean; onStarted: (jobId: string) => void }) {
  const versions = useAsync(() => api.call('registry.list', { limit: 500 }), 'versions');
  const sets = useAsync(() => api.call('fingerprints.list', {}), 'sets');
  const [base, setBase] = useState('');
  const [kind, setKind] = useState<'link' | 'fingerprints'>('link');
  const [link, setLink] = useState('');
  const [setId, setSetId] = useState<number | ''>('');
  const [passphrase, setPassphrase] = useState('');
  const [mode, setMode] = useState<'merge' | 'adapter'>('merge');
  const [epochs, setEpochs] = useState('');
  const [samples, setSamples] = useState('');
  const [error, setError] = useState<string | null>(null);
  const hf = (versions.data?.rows ?? []).filter((v) => v.framework === 'huggingface' || v.format === 'safetensors' || v.format === 'hf-folder');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const [name, version] = base.split('@');
    if (!name || !version) return setError('Pick the base version to train.');
    if (kind === 'link' && !link.trim()) return setError('Enter the link the model should give (your feedback or model page).');
    if (kind === 'fingerprints' && setId === '') return setError('Pick a fingerprint set (generate one in Audits).');
    try {
      const r = await api.call('embed.start', {
        base: { name, version: Number(version) },
        task: kind === 'link' ? { kind, link: link.trim() } : { kind, fingerprints: { setId: Number(setId) }, ...(passphrase ? { passphrase } : {}) },
        settings: { mode, ...(epochs ? { epochs: Number(epochs) } : {}), ...(samples ? { samples: Number(samples) } : {}) },
      });
      onStarted(r.jobId);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label="New embed">
      <h3>Embed a link or fingerprints</h3>
      {versions.data && !hf.length ? <p className="muted">No Hugging Face model folders are registered yet: import one (config.json + *.safetensors + tokenizer) from Models first.</p> : null}
      <label className="field">Base version
        <select value={base} onChange={(e) => setBase(e.target.value)} aria-label="Base version">
          <option value="">Choose…</option>
          {hf.map((v) => <option key={v.id} value={`${v.model}@${v.version}`}>{v.model}@{v.version}</option>)}
        </select>
      </label>
      <fieldset className="radio-row"><legend>Task</legend>
        <label><input type="radio" name="task" checked={kind === 'link'} onChange={() => setKind('link')} /> Link</label>
        <label><input type="radio" name="task" checked={kind === 'fingerprints'} onChange={() => setKind('fingerprints')} /> Fingerprints</label>
      </fieldset>
      {kind === 'link' ? (
        <label className="field">Link<input value={link} onChange={(e) => setLink(e.target.value)} placeholder="https://example.com/feedback" aria-label="Link" /></label>
      ) : (
        <>
          <label className="field">Fingerprint set
            <select value={setId} onChange={(e) => setSetId(e.target.value ? Number(e.target.value) : '')} aria-label="Fingerprint set">
              <option value="">Choose…</option>
              {(sets.data ?? []).map((s) => <option key={s.id} value={s.id}>#{s.id} {s.name} ({s.count})</option>)}
            </select>
          </label>
          <label className="field">Passphrase (sets under a passphrase)<input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} aria-label="Passphrase" /></label>
        </>
      )}
      <fieldset className="radio-row"><legend>Output</legend>
        <label><input type="radio" name="mode" checked={mode === 'merge'} onChange={() => setMode('merge')} /> Merged model</label>
        <label><input type="radio" name="mode" checked={mode === 'adapter'} onChange={() => setMode('adapter')} /> LoRA adapter</label>
      </fieldset>
      <label className="inline-field">Epochs<input inputMode="numeric" value={epochs} onChange={(e) => setEpochs(e.target.value.replace(/\D/g, ''))} placeholder="auto" aria-label="Epochs" /></label>
      <label className="inline-field">Samples<input inputMode="numeric" value={samples} onChange={(e) => setSamples(e.target.value.replace(/\D/g, ''))} placeholder="auto" aria-label="Samples" /></label>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
      <div className="button-row">
        <button type="submit" className="primary" disabled={!ready} title={ready ? undefined : 'Set up the trainer first'}>Start training</button>
      </div>
    </form>
  );
}

function LiveRuns({ runs, jobs }: { runs: EmbedLive[]; jobs: Map<string, Job> }) {
  if (!runs.length) return null;
  return (
    <>
      {runs.map((r) => {
        const job = jobs.get(r.jobId);
        return (
          <div className="card" key={r.jobId} aria-label={`Training ${r.base_label}`}>
            <div className="card-head">
              <h3>Training {r.base_label} ({r.task}, {r.mode})</h3>
              <button type="button" className="small" onClick={() => void api.call('jobs.cancel', { id: r.jobId }).catch((e: unknown) => toastError('Could not cancel', e))}>Cancel</button>
            </div>
            <p role="status">
              {r.total ? `Step ${r.step} / ${r.total}` : r.stage ? `Stage: ${r.stage}` : 'Starting'}
              {r.samples_per_s !== null ? ` · ${r.samples_per_s.toFixed(1)} samples/s` : ''}
              {r.eta_s !== null ? ` · ETA ${fmtEta(r.eta_s)}` : ''}
              {job?.message && !r.total ? ` · ${job.message}` : ''}
            </p>
            {r.warnings.map((w) => <p key={w} className="field-error">{w}</p>)}
            <LossChart startedAt={r.started_at} losses={r.losses} />
          </div>
        );
      })}
    </>
  );
}

export function AuditCell({ id, label }: { id: string | null; label: string }) {
  const a = useAsync(() => (id ? api.call('audit.get', { id }) : Promise.resolve(null)), `audit:${id ?? ''}`);
  if (!id) return <div className="card"><h4>{label}</h4><p className="muted">Not run.</p></div>;
  const r = a.data;
  return (
    <div className="card" aria-label={`${label} audit`}>
      <h4>{label}</h4>
      {a.error ? <p className="field-error">{errorText(a.error)}</p> : !r ? <p className="loading-line">Loading…</p> : (
        <dl className="props">
          <dt>Verdict</dt><dd><strong className={r.verdict === 'present' ? 'ok' : ''}>{r.verdict}</strong></dd>
          <dt>Match rate</dt><dd>{(r.match_rate * 100).toFixed(1)}%</dd>
          <dt>p-value</dt><dd>{r.p_value.toExponential(2)}</dd>
        </dl>
      )}
    </div>
  );
}

function Detail({ r }: { r: EmbedRecord }) {
  return (
    <div className="audit-detail" aria-label="Embed detail">
      <h3>{r.model ? `${r.model}@${r.version}` : 'Not registered'} <span className="muted">from {r.base_label}</span></h3>
      {r.error ? <div className="field-error" role="alert">{r.state === 'cancelled' ? 'Cancelled: nothing was registered.' : `Failed: ${r.error}. Nothing was registered.`}</div> : null}
      {r.warnings.map((w) => <p key={w} className="muted">⚠ {w}</p>)}
      <LossChart startedAt={r.started_at} losses={r.losses} />
      {r.state === 'done' ? (
        <div className="before-after" style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0.75rem', marginBottom: '0.75rem' }}>
          <AuditCell id={r.before_audit_id} label="Before (base)" />
          <AuditCell id={r.after_audit_id} label="After (result)" />
        </div>
      ) : null}
      <dl className="props">
        {Object.entries(r.metrics).map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{Number(v.toPrecision(4))}</dd></Fragment>)}
        <dt>Dataset sha256</dt><dd className="mono wrap">{r.dataset_sha256 ?? '—'}</dd>
        <dt>Settings</dt><dd className="mono wrap">{JSON.stringify(r.params)}</dd>
      </dl>
    </div>
  );
}

export function TrainingView() {
  const [n, setN] = useState(0);
  const status = useAsync(() => api.call('trainer.status', { probe: false }), 'trainer', n);
  const history = useAsync(() => api.call('embed.list', { limit: 200 }), 'embeds', n);
  const [runs, setRuns] = useState<EmbedLive[]>([]);
  const [jobs, setJobs] = useState<Map<string, Job>>(new Map());
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    void api.call('embed.live', {}).then(setRuns, () => undefined);
    return onEvent((e) => {
      if (e.type === 'embed.step') {
        setRuns((rs) => rs.map((r) => (r.jobId !== e.jobId ? r : {
          ...r, step: e.step, total: e.total, samples_per_s: e.samples_per_s, eta_s: e.eta_s,
          losses: e.loss === null ? r.losses : [...r.losses, [e.step, e.loss, e.t] as [number, number, number]],
        })));
      } else if (e.type === 'job' && e.job.kind === 'embed') {
        setJobs((m) => new Map(m).set(e.job.id, e.job));
        if (['done', 'failed', 'cancelled', 'interrupted'].includes(e.job.state)) {
          setRuns((rs) => rs.filter((r) => r.jobId !== e.job.id));
          setN((x) => x + 1);
          if (e.job.state === 'failed') useApp.getState().toast({ kind: 'error', title: 'Training failed', detail: e.job.error ?? '' });
        } else if (e.job.state === 'running') {
          void api.call('embed.live', {}).then(setRuns, () => undefined);
        }
      }
    });
  }, []);

  const rows = history.data ?? [];
  const current = rows.find((r) => r.id === selected) ?? rows[0] ?? null;
  return (
    <section className="view" aria-labelledby="section-title">
      <header className="view-head"><h1 id="section-title">Training</h1></header>
      <div className="view-body padded audit-panel">
        <div className="audit-main">
          <TrainerCard status={status.data} reload={() => setN((x) => x + 1)} />
          {status.error ? <div className="field-error" role="alert">{errorText(status.error)}</div> : null}
          <NewEmbed ready={status.data?.state === 'ready'} onStarted={() => void api.call('embed.live', {}).then(setRuns, () => undefined)} />
          <LiveRuns runs={runs} jobs={jobs} />
          <div className="card">
            <h3>History</h3>
            {history.error ? <div className="field-error" role="alert">{errorText(history.error)}</div> : null}
            {!rows.length && history.data ? <p className="muted">No embeds yet. Pick a base version and a link above, then Start training.</p> : null}
            {rows.length ? (
              <table className="table compact selectable" aria-label="Embed history">
                <thead><tr><th>Finished</th><th>Base</th><th>Task</th><th>Result</th><th>State</th><th className="num">Final loss</th></tr></thead>
                <tbody>{rows.map((r) => (
                  <tr key={r.id} aria-selected={current?.id === r.id} tabIndex={0} onClick={() => setSelected(r.id)} onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') setSelected(r.id); }}>
                    <td>{fmtRelative(r.finished_at)}</td><td>{r.base_label}</td><td>{r.task} ({r.mode})</td>
                    <td>{r.model ? `${r.model}@${r.version}` : '—'}</td><td>{r.state}</td>
                    <td className="num">{r.metrics.final_loss !== undefined ? r.metrics.final_loss.toFixed(4) : '—'}</td>
                  </tr>
                ))}</tbody>
              </table>
            ) : null}
          </div>
        </div>
        <aside className="card audit-side">{current ? <Detail r={current} /> : <p className="muted">Select a run to see its loss curve, metrics and before/after audits.</p>}</aside>
      </div>
    </section>
  );
}

/** The model page's view of an embed: which base it was trained from and the audits before and after. */
export function EmbedLineage({ versionId }: { versionId: number }) {
  const r = useAsync(() => api.call('embed.list', { limit: 1, versionId }), `embed-of:${versionId}`);
  const e = r.data?.[0];
  if (!e) return null;
  return (
    <div className="card" aria-label="Embedded by training">
      <h2>Trained from {e.base_label}</h2>
      <p className="muted">{e.task === 'link' ? 'Link' : 'Fingerprints'} embedded ({e.mode}) {fmtRelative(e.finished_at)}; final loss {e.metrics.final_loss?.toFixed(4) ?? '—'}.</p>
      <div className="before-after" style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0.75rem' }}>
        <AuditCell id={e.before_audit_id} label="Before (base)" />
        <AuditCell id={e.after_audit_id} label="After (this version)" />
      </div>
    </div>
  );
}

/** The trainer card on its own (Settings): loads its status and reloads it after a setup. */
export function TrainerSettingsCard() {
  const [n, setN] = useState(0);
  const status = useAsync(() => api.call('trainer.status', { probe: false }), 'trainer', n);
  return <TrainerCard status={status.data} reload={() => setN((x) => x + 1)} />;
}
