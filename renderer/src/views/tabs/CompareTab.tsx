import { useState } from 'react';
import type { AuditSummary, CompareFinding, CompareResult, FileEntry, ModelDetail, ScanSummary } from '../../../../electron/contract/registry';
import type { Severity } from '../../../../electron/contract/scan';
import { modelHref } from '../../lib/route';
import { VerdictBadge } from '../AuditPanel';
import { ScanVerdict, SeverityBadge } from '../ScanDetail';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { fmtBytes, fmtDate, fmtDelta, fmtInt, fmtNumber, fmtRelative, shortHash } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useApp } from '../../store/appStore';

/** Metrics where a smaller number is the better one (loss, error, latency…), by name. */
const LOWER_IS_BETTER = /(loss|err|error|latency|perplexity|ppl|mae|mse|rmse|wer|cer|time|duration|size|bytes|fpr|fnr)/i;

function deltaClass(key: string, d: number | null): string {
  if (d === null || d === 0) return 'muted';
  const better = LOWER_IS_BETTER.test(key) ? d < 0 : d > 0;
  return better ? 'delta-up' : 'delta-down';
}

function FileList({ title, files, sign }: { title: string; files: FileEntry[]; sign: string }) {
  return (
    <div className="card">
      <h3>{title} <span className="count">{files.length}</span></h3>
      {files.length ? (
        <ul className="diff-list">
          {files.map((f) => (
            <li key={f.path}><span className={`diff-sign diff-${sign === '+' ? 'add' : 'del'}`} aria-hidden="true">{sign}</span> <span>{f.path}</span> <span className="muted num">{fmtBytes(f.size)}</span></li>
          ))}
        </ul>
      ) : <p className="muted">None</p>}
    </div>
  );
}

function ScanSide({ s, name, v }: { s: ScanSummary | null; name: string; v: number }) {
  if (!s) return <span className="muted">not scanned — <a href={modelHref(name, v, 'security')}>scan v{v}</a></span>;
  return (
    <span className="side">
      <a className="cell-link" href={modelHref(name, v, 'security')} title={`open the scan of v${v}`}><ScanVerdict run={{ status: 'done', verdict: s.verdict, worst: s.worst }} /></a>
      <span className="muted small" title={s.finishedAt ? fmtDate(s.finishedAt) : undefined}>{fmtInt(s.findings)} finding{s.findings === 1 ? '' : 's'}{s.finishedAt ? ` · ${fmtRelative(s.finishedAt)}` : ''}</span>
    </span>
  );
}

function AuditSide({ a, name, v }: { a: AuditSummary | null; name: string; v: number }) {
  if (!a) return <span className="muted">never audited</span>;
  return (
    <span className="side">
      <a className="cell-link" href={modelHref(name, v, 'audits')}><VerdictBadge verdict={a.verdict} /></a>
      <span className="muted small" title={fmtDate(a.finishedAt)}>{a.kind} · {(a.matchRate * 100).toFixed(0)}% match · {fmtRelative(a.finishedAt)}</span>
    </span>
  );
}

const SEV = new Set<string>(['critical', 'high', 'medium', 'low', 'info']);

function FindingList({ title, items, sign }: { title: string; items: CompareFinding[]; sign: '+' | '−' }) {
  if (!items.length) return null;
  return (
    <div>
      <h4 className="finding-diff-title">{title} <span className="count">{items.length}</span></h4>
      <ul className="finding-diff" aria-label={title}>
        {items.slice(0, 200).map((f, i) => (
          <li key={i}>
            <span className={`diff-sign diff-${sign === '+' ? 'add' : 'del'}`} aria-hidden="true">{sign}</span>
            {SEV.has(f.severity) ? <SeverityBadge severity={f.severity as Severity} /> : <span className="badge">{f.severity}</span>}
            <span className="mono">{f.rule}</span>
            <span className="mono muted small">{f.file} · {f.location}</span>
            <span className="small">{f.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function SecurityDiff({ r, name }: { r: CompareResult; name: string }) {
  const same = r.scan.a && r.scan.b && !r.scan.added.length && !r.scan.resolved.length;
  return (
    <div className="card" data-testid="compare-security">
      <h3>Scan and audit: v{r.a} → v{r.b}</h3>
      <div className="compare-security">
        <dl aria-label={`Scan and audit of v${r.a}`}>
          <dt>v{r.a} scan</dt><dd><ScanSide s={r.scan.a} name={name} v={r.a} /></dd>
          <dt>v{r.a} audit</dt><dd><AuditSide a={r.audit.a} name={name} v={r.a} /></dd>
        </dl>
        <dl aria-label={`Scan and audit of v${r.b}`}>
          <dt>v{r.b} scan</dt><dd><ScanSide s={r.scan.b} name={name} v={r.b} /></dd>
          <dt>v{r.b} audit</dt><dd><AuditSide a={r.audit.b} name={name} v={r.b} /></dd>
        </dl>
      </div>
      {same ? <p className="muted">Both scans report the same findings.</p> : null}
      {!r.scan.a || !r.scan.b ? <p className="muted">Findings are compared once both versions have been scanned.</p> : null}
      <FindingList title={`New in v${r.b}`} items={r.scan.added} sign="+" />
      <FindingList title={`Resolved since v${r.a}`} items={r.scan.resolved} sign="−" />
    </div>
  );
}

function Result({ r, name }: { r: CompareResult; name: string }) {
  return (
    <div className="compare-result" data-testid="compare-result">
      <div className="card">
        <h3>Metrics: v{r.a} → v{r.b}</h3>
        {r.metrics.length ? (
          <table className="table compact" aria-label="Metrics diff">
            <thead><tr><th>Metric</th><th className="num">v{r.a}</th><th className="num">v{r.b}</th><th className="num">Δ</th></tr></thead>
            <tbody>
              {r.metrics.map((m) => (
                <tr key={m.key}>
                  <td>{m.key}</td>
                  <td className="num mono">{fmtNumber(m.a)}</td>
                  <td className="num mono">{fmtNumber(m.b)}</td>
                  <td className={`num mono ${deltaClass(m.key, m.delta)}`} title={LOWER_IS_BETTER.test(m.key) ? 'lower is better' : 'higher is better'}>{fmtDelta(m.delta, m.a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p className="muted">Neither version of {name} has metrics.</p>}
      </div>
      <SecurityDiff r={r} name={name} />
      <div className="diff-summary" aria-label="Files diff summary">
        <span className={r.files.added.length ? 'diff-add' : 'muted'}>+{r.files.added.length} added</span>
        <span className={r.files.removed.length ? 'diff-del' : 'muted'}>−{r.files.removed.length} removed</span>
        <span className={r.files.changed.length ? 'diff-chg' : 'muted'}>~{r.files.changed.length} changed</span>
        <span className="muted">{r.files.unchanged} unchanged</span>
      </div>
      <div className="diff-cols">
        <FileList title="Added" files={r.files.added} sign="+" />
        <FileList title="Removed" files={r.files.removed} sign="−" />
        <div className="card">
          <h3>Changed <span className="count">{r.files.changed.length}</span></h3>
          {r.files.changed.length ? (
            <ul className="diff-list">
              {r.files.changed.map((c) => (
                <li key={c.path}>
                  <span className="diff-sign diff-chg" aria-hidden="true">~</span> {c.path}
                  <div className="muted mono small">{shortHash(c.a.sha256)} → {shortHash(c.b.sha256)} · {fmtBytes(c.a.size)} → {fmtBytes(c.b.size)}</div>
                </li>
              ))}
            </ul>
          ) : <p className="muted">None</p>}
        </div>
      </div>
    </div>
  );
}

/** Pick two versions: metrics side by side with deltas, scan/audit verdicts and findings diff, files added/removed/changed. */
export function CompareTab({ model }: { model: ModelDetail }) {
  const versions = model.versions;
  const [a, setA] = useState<number | undefined>(versions[1]?.version ?? versions[0]?.version);
  const [b, setB] = useState<number | undefined>(versions[0]?.version);
  const gen = useApp((s) => s.registryGen);
  const ready = a !== undefined && b !== undefined;
  const cmp = useAsync(() => (ready ? api.call('registry.compare', { name: model.name, a, b }) : Promise.resolve(null)), `${model.name}:${a}:${b}`, gen);

  if (versions.length < 2) {
    return <div className="empty"><div className="empty-title">Compare needs two versions</div><p>{model.name} has {versions.length} version{versions.length === 1 ? '' : 's'}. Import a changed file under the same name to add one.</p></div>;
  }
  const options = versions.map((v) => <option key={v.version} value={v.version}>v{v.version}{v.stage !== 'none' ? ` (${v.stage})` : ''}</option>);
  return (
    <div className="compare-tab">
      <div className="toolbar">
        <label className="inline-field"><span>From</span><select aria-label="Compare from version" value={a} onChange={(e) => setA(Number(e.target.value))}>{options}</select></label>
        <button type="button" className="icon" aria-label="Swap versions" title="Swap" onClick={() => { setA(b); setB(a); }}>⇄</button>
        <label className="inline-field"><span>To</span><select aria-label="Compare to version" value={b} onChange={(e) => setB(Number(e.target.value))}>{options}</select></label>
        {a === b ? <span className="muted">Same version on both sides.</span> : null}
      </div>
      {cmp.error ? <ErrorBanner title={`Could not compare v${a} and v${b}`} error={cmp.error} onRetry={cmp.reload} /> : null}
      {cmp.data ? <Result r={cmp.data} name={model.name} /> : cmp.loading ? <div className="loading-line" role="status">Comparing…</div> : null}
    </div>
  );
}
