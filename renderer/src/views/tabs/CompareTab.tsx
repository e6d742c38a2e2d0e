import { useState } from 'react';
import type { CompareResult, FileEntry, ModelDetail } from '../../../../electron/contract/registry';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { fmtBytes, fmtDelta, fmtNumber, shortHash } from '../../lib/format';
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

/** Pick two versions: metrics side by side with deltas, files added/removed/changed. */
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
