// Incidents: the list (newest first, filters), the detail pane (status, link to a version, sync state with
// its reason, "changed on hub" notes), the create dialog (works offline), the hub settings card and the
// status-bar sync segment. Texts from the hub are rendered as text (React escapes them).
import { useEffect, useState, type FormEvent } from 'react';
import { INCIDENT_CATEGORIES, INCIDENT_SEVERITIES, INCIDENT_STATUSES, type HubStatus, type IncidentRecord } from '../../../electron/contract/incidents';
import { api, isElectron } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { errorText, fmtDate, fmtInt, fmtRelative } from '../lib/format';
import { navigate } from '../lib/route';
import { useAsync } from '../lib/useAsync';
import { useEscape } from '../lib/useEscape';
import { toastError, useApp } from '../store/appStore';
import { awaitJob } from '../store/jobsStore';

type Filters = { status: string; severity: string; category: string; model: string; syncState: string };
const NO_FILTERS: Filters = { status: '', severity: '', category: '', model: '', syncState: '' };

/** Bumped after every change so lists, the detail pane and the status bar read again. */
let listeners: Array<() => void> = [];
export function incidentsChanged(): void {
  for (const l of listeners) l();
}
function useIncidentsGen(): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const l = () => setN((x) => x + 1);
    listeners.push(l);
    return () => { listeners = listeners.filter((x) => x !== l); };
  }, []);
  return n;
}

export function SyncBadge({ i }: { i: IncidentRecord }) {
  const cls = i.sync_state === 'synced' ? 'job-state-done' : i.sync_state === 'failed' ? 'job-state-failed' : 'job-state-queued';
  return <span className={`badge ${cls}`} title={i.sync_error ?? undefined} data-testid="sync-badge">{i.sync_state}</span>;
}

const severityClass = (s: string) => (s === 'critical' || s === 'high' ? 'badge bad' : 'badge stage-none');

export async function syncNow(): Promise<void> {
  try {
    const { jobId } = await api.call('hub.sync', {});
    const job = await awaitJob(jobId);
    if (job.state === 'failed') useApp.getState().toast({ kind: 'error', title: 'Sync failed', detail: job.error ?? 'unknown error' });
    else if (job.state === 'done') {
      const r = job.result as { pushed: number; pulled: number; failed: number; conflicts: number } | null;
      useApp.getState().toast({ kind: r?.failed ? 'error' : 'success', title: 'Synced with the hub', detail: r ? `pushed ${r.pushed}, pulled ${r.pulled}, failed ${r.failed}${r.conflicts ? `, ${r.conflicts} changed on the hub` : ''}` : '' });
    }
  } catch (e) {
    toastError('Could not sync', e);
  } finally {
    incidentsChanged();
  }
}

/** The incidents table; the Incidents section and a model's Incidents tab share it. */
export function IncidentList({ model, showFilters = true }: { model?: string; showFilters?: boolean }) {
  const gen = useIncidentsGen();
  const [f, setF] = useState<Filters>({ ...NO_FILTERS, model: model ?? '' });
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const input = {
    ...(f.status ? { status: f.status } : {}), ...(f.severity ? { severity: f.severity } : {}), ...(f.category ? { category: f.category } : {}),
    ...(f.model ? { model: f.model } : {}), ...(f.syncState ? { syncState: f.syncState } : {}),
  } as Parameters<typeof api.call<'incidents.list'>>[1];
  const list = useAsync(() => api.call('incidents.list', input), JSON.stringify(f), gen);
  const rows = list.data ?? [];
  const current = rows.find((r) => r.local_id === selected) ?? null;
  useEscape(selected !== null, () => setSelected(null));
  const filtered = Object.entries(f).some(([k, v]) => v && !(k === 'model' && model));
  const select = (k: keyof Filters, values: readonly string[], label: string) => (
    <label className="inline-field"><span>{label}</span>
      <select aria-label={`Filter by ${label.toLowerCase()}`} value={f[k]} onChange={(e) => setF({ ...f, [k]: e.target.value })}>
        <option value="">any</option>{values.map((v) => <option key={v} value={v}>{v}</option>)}
      </select>
    </label>
  );
  return (
    <>
      <div className="inline-form wrap" role="group" aria-label="Incident filters">
        {showFilters ? (
          <>
            {select('status', INCIDENT_STATUSES, 'Status')}
            {select('severity', INCIDENT_SEVERITIES, 'Severity')}
            {select('category', INCIDENT_CATEGORIES, 'Category')}
            {select('syncState', ['pending', 'synced', 'failed'], 'Sync')}
            {model ? null : (
              <label className="inline-field"><span>Model</span>
                <input type="search" data-list-filter aria-label="Filter incidents by model" placeholder="model name or hub id" value={f.model} onChange={(e) => setF({ ...f, model: e.target.value })} />
              </label>
            )}
          </>
        ) : null}
        <span className="spacer" />
        <button type="button" onClick={() => setCreating(true)}>New incident</button>
        <button type="button" onClick={() => void syncNow()}>Sync now</button>
      </div>
      {list.error ? <ErrorBanner title="Could not list incidents" error={list.error} onRetry={list.reload} /> : null}
      <div className={`split${current ? ' with-detail' : ''}`}>
        <div className="card" style={{ overflowX: 'auto' }}>
          {rows.length ? (
            // With the detail pane open the list drops Status and Category (the pane shows both), so it never scrolls sideways.
            <table className={`table compact selectable incidents-table${current ? ' beside-detail' : ''}`} aria-label="Incidents">
              <thead><tr><th>Reported</th><th>Title</th><th>Status</th><th>Severity</th><th>Category</th><th>Model</th><th>Sync</th></tr></thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.local_id} className={r.local_id === selected ? 'selected' : undefined} tabIndex={0} aria-selected={r.local_id === selected}
                    onClick={() => setSelected(r.local_id)} onKeyDown={(e) => { if (e.key === 'Enter') setSelected(r.local_id); }}>
                    <td title={fmtDate(r.created_at)}>{fmtRelative(r.created_at)}</td>
                    <td className="wrap incident-title">{r.title}{r.conflict_note ? <span className="badge bad" style={{ whiteSpace: 'nowrap' }} title={r.conflict_note}>changed on hub</span> : null}</td>
                    <td>{r.status}</td>
                    <td><span className={severityClass(r.severity)}>{r.severity}</span></td>
                    <td>{r.category}</td>
                    <td>{r.version_label ?? <span className="mono" title={r.model_id ?? undefined}>{r.model_id ? (r.model_id.length > 16 ? `${r.model_id.slice(0, 14)}…` : r.model_id) : '—'}</span>}</td>
                    <td><SyncBadge i={r} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : list.data ? (
            filtered ? (
              <div className="empty small"><div className="empty-title">No incidents match these filters</div><button type="button" onClick={() => setF({ ...NO_FILTERS, model: model ?? '' })}>Clear filters</button></div>
            ) : (
              <div className="empty small" data-testid="incidents-empty"><div className="empty-title">No incidents yet</div>
                <p>Record one with <b>New incident</b> (works offline), or set up the hub in Settings and press <b>Sync now</b> to fetch what users reported.</p></div>
            )
          ) : <p className="muted">Loading…</p>}
          {rows.length ? <p className="muted">{fmtInt(rows.length)} shown, newest first</p> : null}
        </div>
        {current ? <div className="card" role="region" aria-label="Incident detail"><IncidentDetail key={current.local_id} i={current} onClose={() => setSelected(null)} /></div> : null}
      </div>
      {creating ? <CreateDialog model={model} onClose={() => setCreating(false)} onCreated={(id) => { setCreating(false); setSelected(id); incidentsChanged(); }} /> : null}
    </>
  );
}

function IncidentDetail({ i, onClose }: { i: IncidentRecord; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [versionRef, setVersionRef] = useState(i.version_label ?? '');
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      incidentsChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const link = async (e: FormEvent) => {
    e.preventDefault();
    await run(async () => {
      if (!versionRef.trim()) return api.call('incidents.link', { localId: i.local_id, versionId: null });
      const m = /^(.+)@v?(\d+)$/.exec(versionRef.trim());
      if (!m) throw new Error(`give NAME@VERSION, e.g. my-model@2 (got ${JSON.stringify(versionRef)})`);
      const v = await api.call('registry.version', { name: m[1]!, version: Number(m[2]) });
      return api.call('incidents.link', { localId: i.local_id, versionId: v.id });
    });
  };
  return (
    <div className="incident-detail">
      <div className="inline-form"><h2 className="wrap">{i.title}</h2><span className="spacer" /><button type="button" className="small" onClick={onClose} aria-label="Close incident detail">×</button></div>
      {i.conflict_note ? <div className="field-error" role="alert" data-testid="conflict-note">{i.conflict_note}</div> : null}
      <dl className="props">
        <dt>Sync</dt><dd><SyncBadge i={i} />{i.sync_error ? <span className="muted"> {i.sync_error}</span> : null}
          {i.sync_state === 'failed' ? <button type="button" className="small" onClick={() => void run(() => api.call('incidents.retry', { localId: i.local_id }))}>Retry</button> : null}</dd>
        <dt>Status</dt><dd>
          <select aria-label="Incident status" value={i.status} onChange={(e) => void run(() => api.call('incidents.update', { localId: i.local_id, status: e.target.value as IncidentRecord['status'] }))}>
            {INCIDENT_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></dd>
        <dt>Severity</dt><dd>
          <select aria-label="Incident severity" value={i.severity} onChange={(e) => void run(() => api.call('incidents.update', { localId: i.local_id, severity: e.target.value as IncidentRecord['severity'] }))}>
            {INCIDENT_SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></dd>
        <dt>Category</dt><dd>{i.category}</dd>
        <dt>Version</dt><dd>
          <form className="inline-form" onSubmit={(e) => void link(e)}>
            <input aria-label="Linked version (NAME@VERSION)" placeholder="NAME@VERSION" value={versionRef} onChange={(e) => setVersionRef(e.target.value)} />
            <button type="submit" className="small">Link</button>
            {i.version_label ? <a href={`#/models/${encodeURIComponent(i.version_label.split('@')[0]!)}`} onClick={(e) => { e.preventDefault(); navigate(`#/models/${encodeURIComponent(i.version_label!.split('@')[0]!)}`); }}>open</a> : null}
          </form></dd>
        <dt>Hub model</dt><dd className="mono">{i.model_id ?? '—'}</dd>
        <dt>Hub id</dt><dd className="mono">{i.remote_id ?? 'not on the hub yet'}</dd>
        <dt>Source</dt><dd>{i.source}{i.verified ? ' · verified reporter' : ''}</dd>
        {i.reporter_email ? <><dt>Reporter</dt><dd>{i.reporter_email}</dd></> : null}
        <dt>Reported</dt><dd>{fmtDate(i.created_at)}</dd>
      </dl>
      <h3>Description</h3>
      <p className="description wrap" data-testid="incident-description">{i.description}</p>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </div>
  );
}

function CreateDialog({ model, onClose, onCreated }: { model?: string | undefined; onClose: () => void; onCreated: (id: string) => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState<IncidentRecord['category']>('technical_error');
  const [severity, setSeverity] = useState<IncidentRecord['severity']>('medium');
  const [ref, setRef] = useState(model ?? '');
  const [error, setError] = useState<string | null>(null);
  useEscape(true, onClose);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const target: { versionId?: number; modelId?: string } = {};
      if (/^model_[A-Za-z0-9_-]+$/.test(ref.trim())) target.modelId = ref.trim();
      else {
        const m = /^(.+?)(?:@v?(\d+))?$/.exec(ref.trim());
        if (!m || !m[1]) throw new Error('name the model version (NAME@VERSION) or the hub model id (model_…)');
        const v = await api.call('registry.version', { name: m[1], ...(m[2] ? { version: Number(m[2]) } : {}) });
        target.versionId = v.id;
      }
      const r = await api.call('incidents.create', { ...target, category, severity, title, description });
      onCreated(r.local_id);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="modal-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="new-incident-title" onSubmit={(e) => void submit(e)}>
        <h2 id="new-incident-title">New incident</h2>
        <p className="muted">Recorded here at once; sent to the hub on the next sync (works offline).</p>
        <label className="field"><span>Model version</span><input autoFocus required aria-label="Model version" placeholder="NAME@VERSION or model_… (hub id)" value={ref} onChange={(e) => setRef(e.target.value)} /></label>
        <label className="field"><span>Title</span><input required maxLength={200} aria-label="Title" value={title} onChange={(e) => setTitle(e.target.value)} /></label>
        <label className="field"><span>Description</span><textarea required maxLength={10000} rows={5} aria-label="Description" value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        <div className="inline-form">
          <label className="inline-field"><span>Category</span><select aria-label="Category" value={category} onChange={(e) => setCategory(e.target.value as IncidentRecord['category'])}>{INCIDENT_CATEGORIES.map((c) => <option key={c}>{c}</option>)}</select></label>
          <label className="inline-field"><span>Severity</span><select aria-label="Severity" value={severity} onChange={(e) => setSeverity(e.target.value as IncidentRecord['severity'])}>{INCIDENT_SEVERITIES.map((c) => <option key={c}>{c}</option>)}</select></label>
        </div>
        {error ? <div className="field-error" role="alert">{error}</div> : null}
        <div className="inline-form"><span className="spacer" /><button type="button" onClick={onClose}>Cancel</button><button type="submit" className="primary">Record incident</button></div>
      </form>
    </div>
  );
}

export function IncidentsView() {
  return (
    <section className="view" aria-labelledby="incidents-title">
      <header className="view-head"><h1 id="incidents-title">Incidents</h1><span className="muted">newest first · synced with your hub</span></header>
      <div className="view-body padded"><IncidentList /></div>
    </section>
  );
}

/** Hub URL, API key (sealed by the OS keychain in the app, by a passphrase in browser mode), test, interval, version links. */
export function HubSettingsCard() {
  const gen = useIncidentsGen();
  const status = useAsync(() => api.call('hub.status', {}), 'hub', gen);
  const electron = isElectron();
  const [url, setUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [interval, setIntervalS] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    if (status.data) {
      setUrl((u) => u || (status.data!.url ?? ''));
      setIntervalS((v) => v || String(status.data!.interval_s));
    }
  }, [status.data]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    try {
      const s = await api.call('hub.configure', { url: url.trim() || null, ...(apiKey ? { apiKey } : {}), ...(passphrase ? { passphrase } : {}), ...(interval ? { intervalS: Number(interval) } : {}) });
      setApiKey('');
      setMsg({ ok: true, text: s.url ? `Saved: ${s.url}, key ${s.key === 'keychain' ? 'sealed by the OS keychain' : s.key === 'passphrase' ? 'sealed with your passphrase' : 'not stored'}` : 'Hub removed' });
      incidentsChanged();
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    }
  };
  const test = async () => {
    setMsg(null);
    try {
      const r = await api.call('hub.test', { ...(url.trim() ? { url: url.trim() } : {}), ...(apiKey ? { apiKey } : {}), ...(passphrase ? { passphrase } : {}) });
      setMsg({ ok: r.ok, text: r.message });
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    }
  };
  return (
    <div className="card" aria-labelledby="hub-settings-title">
      <h2 id="hub-settings-title">Incident hub</h2>
      <p className="hint">Incidents sync with a Hallmark hub (<code>hallmark hub</code>). Use a key with the <code>incidents:read</code> and <code>incidents:write</code> scopes (and <code>models:write</code> to register versions).</p>
      <form className="inline-form wrap" onSubmit={(e) => void save(e)} aria-label="Hub settings">
        <label className="inline-field"><span>Hub URL</span><input aria-label="Hub URL" type="url" placeholder="http://127.0.0.1:8080" value={url} onChange={(e) => setUrl(e.target.value)} /></label>
        <label className="inline-field"><span>API key</span><input aria-label="Hub API key" type="password" autoComplete="off" placeholder={status.data?.key && status.data.key !== 'none' ? 'stored (type to replace)' : 'hm_live_…'} value={apiKey} onChange={(e) => setApiKey(e.target.value)} /></label>
        {!electron ? <label className="inline-field"><span>Passphrase</span><input aria-label="Passphrase for the hub key" type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} /></label> : null}
        <label className="inline-field"><span>Sync every (s)</span><input aria-label="Sync interval in seconds" type="number" className="narrow" min={0} value={interval} onChange={(e) => setIntervalS(e.target.value)} /></label>
        <button type="button" onClick={() => void test()}>Test connection</button>
        <button type="submit" className="primary">Save hub settings</button>
      </form>
      {!electron ? <p className="hint">Browser mode seals the key with your passphrase (the desktop app uses the OS keychain). The bridge keeps it unsealed in memory for periodic syncs.</p> : null}
      {msg ? <div className={msg.ok ? 'hint' : 'field-error'} role={msg.ok ? 'status' : 'alert'} data-testid="hub-settings-message">{msg.text}</div> : null}
      {status.data ? <p className="muted" data-testid="hub-state">State: {hubLabel(status.data)}</p> : null}
      <HubLinks />
    </div>
  );
}

function HubLinks() {
  const links = useAsync(() => api.call('hub.links', {}), 'links', useIncidentsGen());
  if (!links.data?.length) return null;
  return (
    <table className="table compact" aria-label="Versions registered with the hub">
      <thead><tr><th>Version</th><th>Hub model</th><th>Feedback URL (embed this)</th><th /></tr></thead>
      <tbody>{links.data.map((l) => (
        <tr key={l.version_id}><td>#{l.version_id}</td><td className="mono">{l.hub_model_id}</td><td className="mono wrap">{l.feedback_url}</td>
          <td><button type="button" className="small" onClick={() => void navigator.clipboard?.writeText(l.feedback_url).then(() => useApp.getState().toast({ kind: 'success', title: 'Feedback URL copied', detail: l.feedback_url }), (e: unknown) => toastError('Could not copy', e))}>Copy</button></td></tr>
      ))}</tbody>
    </table>
  );
}

export function hubLabel(s: HubStatus): string {
  switch (s.state) {
    case 'not_configured': return 'not set up';
    case 'never': return 'never synced';
    case 'synced': return `synced ${fmtRelative(s.last_sync_at)}`;
    case 'pending': return `${s.pending} pending`;
    case 'offline': return `offline${s.pending ? ` · ${s.pending} pending` : ''}`;
    case 'error': return `error: ${s.last_error ?? 'see Incidents'}`;
  }
}

/** The status-bar segment: "hub: synced 2 min ago" / "3 pending" / "offline" / "error: …"; click syncs. */
export function HubStatusSegment() {
  const gen = useIncidentsGen();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  const s = useAsync(() => api.call('hub.status', {}), 'hub-status', gen * 1000 + tick);
  const label = s.data ? hubLabel(s.data) : s.error ? 'unknown' : '…';
  const cls = s.data?.state === 'error' || s.data?.state === 'offline' ? 'text-danger' : '';
  return (
    <button type="button" className="seg seg-button" data-testid="status-hub" title={s.data?.last_error ?? (s.data?.url ? `hub ${s.data.url}: click to sync now` : 'set up the hub in Settings')}
      onClick={() => (s.data?.configured ? void syncNow() : navigate('#/settings'))}>
      <span className={cls}>hub: {s.data?.running ? 'syncing…' : label}</span>
    </button>
  );
}

/** On a model page: register this version with the hub (once) and show the feedback URL to embed. */
export function HubRegisterPanel({ versionId, label }: { versionId: number; label: string }) {
  const gen = useIncidentsGen();
  const links = useAsync(() => api.call('hub.links', { versionId }), `links-${versionId}`, gen);
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const link = links.data?.[0];
  const register = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.call('hub.register', { versionId, ...(passphrase ? { passphrase } : {}) });
      incidentsChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (link) {
    return (
      <div className="card" data-testid="hub-link">
        <dl className="props">
          <dt>On the hub</dt><dd className="mono">{link.hub_model_id}</dd>
          <dt>Feedback URL</dt><dd><span className="mono" data-testid="feedback-url">{link.feedback_url}</span>{' '}
            <button type="button" className="small" onClick={() => void navigator.clipboard?.writeText(link.feedback_url).then(() => useApp.getState().toast({ kind: 'success', title: 'Feedback URL copied', detail: link.feedback_url }), (err: unknown) => toastError('Could not copy', err))}>Copy</button></dd>
        </dl>
        <p className="hint">Embed this link when training (Training, or <code>hallmark embed {label} --link {link.feedback_url}</code>): users who ask the model where to report problems get it.</p>
      </div>
    );
  }
  return (
    <form className="card inline-form wrap" onSubmit={(e) => void register(e)} aria-label="Register with the hub">
      <span>{label} is not registered with the hub: register it to get its feedback URL and file incidents about it.</span>
      {!isElectron() ? <input type="password" aria-label="Passphrase for the hub key" placeholder="hub key passphrase" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} /> : null}
      <button type="submit" disabled={busy}>{busy ? 'Registering…' : 'Register with the hub'}</button>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}
