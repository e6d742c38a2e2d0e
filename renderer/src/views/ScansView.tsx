import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ScanRun, Severity } from '../../../electron/contract/scan';
import type { Input } from '../../../electron/contract/index';
import { api, ApiError, isElectron, modKey } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { errorText, fmtBytes, fmtDate, fmtInt, fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useEscape } from '../lib/useEscape';
import { modelHref, navigate, scansHref, useRoute } from '../lib/route';
import { useApp } from '../store/appStore';
import { ScanDetail, ScanVerdict, SEVERITIES, SeverityCounts } from './ScanDetail';

const PAGE = 100;

function ScanPaths({ onDone }: { onDone: (scanId: number | null) => void }) {
  const [paths, setPaths] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const list = paths.split('\n').map((p) => p.trim()).filter(Boolean);
    if (!list.length) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('scan.paths', { paths: list });
      useApp.getState().toast({ kind: r.summary.critical + r.summary.high ? 'error' : 'success', title: `Scanned ${fmtInt(r.summary.files)} file(s)`, detail: `${r.summary.critical} critical, ${r.summary.high} high, ${r.summary.medium} medium, ${r.summary.low} low` });
      onDone(r.scanId);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-label="Scan files">
      <h3>Scan files or folders</h3>
      <textarea aria-label="Paths to scan" className="mono" rows={2} placeholder={isElectron() ? '/path/to/model.pt (one per line)' : 'paths on the machine running hallmark serve, one per line'} value={paths} onChange={(e) => setPaths(e.target.value)} />
      <div className="button-row"><button type="submit" className="primary" disabled={busy || !paths.trim()}>{busy ? 'Scanning…' : 'Scan'}</button><span className="muted small">Registered versions are scanned on import and from their Security tab.</span></div>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}

type ScanQuery = NonNullable<Input<'scan.list'>>;

/** scan.list: a model name alone lists every version's runs; a model that does not exist has none. */
async function listScans(q: ScanQuery): Promise<{ total: number; runs: ScanRun[] }> {
  try {
    return await api.call('scan.list', q);
  } catch (e) {
    if (q.name && e instanceof ApiError && e.code === 'not_found') return { total: 0, runs: [] };
    throw e;
  }
}

/** Every stored scan, worst findings first (or newest first), filterable (verdict, severity, model), with a detail pane. */
export function ScansView() {
  const gen = useApp((s) => s.registryGen);
  const route = useRoute();
  const model = route.params.get('model') ?? '';
  const versionParam = Number(route.params.get('version') ?? '');
  const version = Number.isInteger(versionParam) && versionParam > 0 ? versionParam : undefined;
  const [modelDraft, setModelDraft] = useState(model);
  const [verdict, setVerdict] = useState<'' | 'clean' | 'findings' | 'error'>('');
  const [minSeverity, setMin] = useState<'' | Severity>('');
  // The riskiest runs first by default: a critical finding must not sit below a page of clean scans.
  const [sort, setSort] = useState<'severity' | 'newest'>('severity');
  const [limit, setLimit] = useState(PAGE);
  const [n, setN] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const rowRefs = useRef(new Map<number, HTMLTableRowElement>());
  useEscape(selected !== null, () => setSelected(null));
  useEffect(() => setModelDraft(model), [model]);
  const q = { ...(model ? { name: model } : {}), ...(model && version ? { version } : {}), ...(verdict ? { verdict } : {}), ...(minSeverity ? { minSeverity } : {}), sort, limit };
  const list = useAsync(() => listScans(q), JSON.stringify(q), gen + n);
  const runs: ScanRun[] = list.data?.runs ?? [];
  const current = runs.find((r) => r.id === selected);
  const filtered = Boolean(verdict || minSeverity || model);
  const filterText = [model && `model ${JSON.stringify(model)}${version ? ` v${version}` : ''}`, verdict && `verdict ${verdict}`, minSeverity && `worst at least ${minSeverity}`].filter(Boolean).join(', ');

  const applyModel = (name: string) => {
    setLimit(PAGE);
    navigate(scansHref(name.trim() || undefined));
  };
  const select = (i: number) => {
    const r = runs[Math.max(0, Math.min(runs.length - 1, i))];
    if (!r) return;
    setSelected(r.id);
    rowRefs.current.get(r.id)?.focus();
  };
  const onRowKey = (e: KeyboardEvent, i: number, id: number) => {
    if (e.key === 'ArrowDown') select(i + 1);
    else if (e.key === 'ArrowUp') select(i - 1);
    else if (e.key === 'Home') select(0);
    else if (e.key === 'End') select(runs.length - 1);
    else if (e.key === 'Enter' || e.key === ' ') setSelected(id);
    else return;
    e.preventDefault();
  };

  return (
    <section className="view" aria-labelledby="scans-title">
      <header className="view-head">
        <h1 id="scans-title">Scans</h1>
        <span className="count" aria-live="polite">{list.data ? `${fmtInt(list.data.total)}${filtered ? ' matching' : ''}` : ''}</span>
        <form className="inline-field" onSubmit={(e) => { e.preventDefault(); applyModel(modelDraft); }}>
          <span>Model</span>
          <input type="search" data-list-filter aria-label="Filter scans by model name" placeholder={`exact model name (${modKey()}F)`} value={modelDraft} onChange={(e) => { setModelDraft(e.target.value); if (!e.target.value) applyModel(''); }} onBlur={() => { if (modelDraft.trim() !== model) applyModel(modelDraft); }} />
        </form>
        {model && version ? <span className="filter-pill">v{version}<button type="button" aria-label={`Show every version of ${model}`} onClick={() => navigate(scansHref(model))}>×</button></span> : null}
        <label className="inline-field"><span>Verdict</span>
          <select aria-label="Verdict" value={verdict} onChange={(e) => { setVerdict(e.target.value as typeof verdict); setLimit(PAGE); }}>
            <option value="">any</option><option value="clean">clean</option><option value="findings">findings</option><option value="error">error</option>
          </select>
        </label>
        <label className="inline-field"><span>Worst at least</span>
          <select aria-label="Worst severity at least" value={minSeverity} onChange={(e) => { setMin(e.target.value as typeof minSeverity); setLimit(PAGE); }}>
            <option value="">any</option>{SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label className="inline-field"><span>Sort</span>
          <select aria-label="Sort scans" value={sort} onChange={(e) => { setSort(e.target.value as typeof sort); setLimit(PAGE); }}>
            <option value="severity">worst first</option><option value="newest">newest first</option>
          </select>
        </label>
        <span className="spacer" />
        <button type="button" onClick={() => setN((x) => x + 1)}>Refresh</button>
      </header>
      <div className="view-body padded">
        <ScanPaths onDone={(id) => { setN((x) => x + 1); if (id) setSelected(id); }} />
        {list.error ? <ErrorBanner title={`Could not list scans${filtered ? ` (${filterText})` : ''}`} error={list.error} onRetry={list.reload} /> : null}
        <div className={`split${current ? ' with-detail' : ''}`}>
          <div className="card">
            {runs.length ? (
              <table className="table compact selectable" aria-label="Scans">
                <thead><tr><th>When</th><th>Target</th><th>Verdict</th><th>Findings</th><th className="num">Files</th><th className="num">Size</th></tr></thead>
                <tbody>
                  {runs.map((r, i) => (
                    <tr key={r.id} ref={(el) => { if (el) rowRefs.current.set(r.id, el); else rowRefs.current.delete(r.id); }}
                      className={r.id === selected ? 'selected' : undefined} tabIndex={r.id === selected || (selected === null && i === 0) ? 0 : -1} aria-selected={r.id === selected}
                      onClick={() => setSelected(r.id)} onKeyDown={(e) => onRowKey(e, i, r.id)}>
                      <td title={fmtDate(r.startedAt)}>{fmtRelative(r.startedAt)}</td>
                      <td className="wrap">{r.model && r.version ? <a href={modelHref(r.model, r.version, 'security')} onClick={(e) => e.stopPropagation()} tabIndex={-1}>{r.model}@{r.version}</a> : <span className="mono">{r.target}</span>}</td>
                      <td><ScanVerdict run={r} /></td>
                      <td><SeverityCounts counts={r.counts} /></td>
                      <td className="num">{fmtInt(r.fileCount)}</td>
                      <td className="num">{fmtBytes(r.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : list.data ? (
              filtered ? (
                <div className="empty small" data-testid="scans-no-match"><div className="empty-title">No scans match {filterText}</div><p>Remove a filter{model ? `, or scan ${model} from its Security tab` : ''}.</p>
                  <button type="button" onClick={() => { setVerdict(''); setMin(''); applyModel(''); }}>Clear filters</button></div>
              ) : (
                <div className="empty small" data-testid="scans-empty"><div className="empty-title">No scans yet</div><p>Import a model (it is scanned on import), scan one from its Security tab, or scan paths above.</p></div>
              )
            ) : <p className="muted">Loading…</p>}
            {list.data && list.data.total > runs.length ? <button type="button" className="link" onClick={() => setLimit((l) => l + PAGE)}>Show {Math.min(PAGE, list.data.total - runs.length)} more</button> : null}
          </div>
          {current ? <div className="card" role="region" aria-label="Scan detail"><ScanDetail key={current.id} run={current} showTarget /></div> : null}
        </div>
      </div>
    </section>
  );
}
