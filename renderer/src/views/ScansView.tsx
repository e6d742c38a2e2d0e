import { useState, type FormEvent } from 'react';
import type { ScanRun, Severity } from '../../../electron/contract/scan';
import { isElectron } from '../api/client';
import { callScan } from '../api/features';
import { ErrorBanner } from '../components/ErrorBanner';
import { errorText, fmtBytes, fmtDate, fmtInt, fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useEscape } from '../lib/useEscape';
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
      const r = await callScan('scan.paths', { paths: list });
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

/** Every stored scan, newest first, filterable, with a detail pane. */
export function ScansView() {
  const gen = useApp((s) => s.registryGen);
  const [verdict, setVerdict] = useState<'' | 'clean' | 'findings' | 'error'>('');
  const [minSeverity, setMin] = useState<'' | Severity>('');
  const [limit, setLimit] = useState(PAGE);
  const [n, setN] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  useEscape(selected !== null, () => setSelected(null));
  const q = { ...(verdict ? { verdict } : {}), ...(minSeverity ? { minSeverity } : {}), limit };
  const list = useAsync(() => callScan('scan.list', q), JSON.stringify(q), gen + n);
  const runs: ScanRun[] = list.data?.runs ?? [];
  const current = runs.find((r) => r.id === selected);

  return (
    <section className="view" aria-labelledby="scans-title">
      <header className="view-head">
        <h1 id="scans-title">Scans</h1>
        <span className="count">{list.data ? `${fmtInt(list.data.total)}${verdict || minSeverity ? ' matching' : ''}` : ''}</span>
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
        <span className="spacer" />
        <button type="button" onClick={() => setN((x) => x + 1)}>Refresh</button>
      </header>
      <div className="view-body padded">
        <ScanPaths onDone={(id) => { setN((x) => x + 1); if (id) setSelected(id); }} />
        {list.error ? <ErrorBanner title="Could not list scans" error={list.error} onRetry={list.reload} /> : null}
        <div className={`split${current ? ' with-detail' : ''}`}>
          <div className="card">
            {runs.length ? (
              <table className="table compact selectable" aria-label="Scans">
                <thead><tr><th>When</th><th>Target</th><th>Verdict</th><th>Findings</th><th className="num">Files</th><th className="num">Size</th></tr></thead>
                <tbody>
                  {runs.map((r) => (
                    <tr key={r.id} className={r.id === selected ? 'selected' : undefined} tabIndex={0} aria-selected={r.id === selected}
                      onClick={() => setSelected(r.id)} onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setSelected(r.id); } }}>
                      <td title={fmtDate(r.startedAt)}>{fmtRelative(r.startedAt)}</td>
                      <td className="wrap">{r.model && r.version ? `${r.model}@${r.version}` : <span className="mono">{r.target}</span>}</td>
                      <td><ScanVerdict run={r} /></td>
                      <td><SeverityCounts counts={r.counts} /></td>
                      <td className="num">{fmtInt(r.fileCount)}</td>
                      <td className="num">{fmtBytes(r.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : list.data ? (
              <div className="empty small"><div className="empty-title">{verdict || minSeverity ? 'No scans match these filters' : 'No scans yet'}</div><p>Import a model (it is scanned on import), scan one from its Security tab, or scan paths above.</p></div>
            ) : <p className="muted">Loading…</p>}
            {list.data && list.data.total > runs.length ? <button type="button" className="link" onClick={() => setLimit((l) => l + PAGE)}>Show {Math.min(PAGE, list.data.total - runs.length)} more</button> : null}
          </div>
          {current ? <div className="card"><ScanDetail key={current.id} run={current} showTarget /></div> : null}
        </div>
      </div>
    </section>
  );
}
