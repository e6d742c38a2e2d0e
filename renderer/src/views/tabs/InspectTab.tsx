import { useState } from 'react';
import type { VersionDetail } from '../../../../electron/contract/registry';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { MetaView } from '../../components/MetaView';
import { fmtDate } from '../../lib/format';
import { modelHref } from '../../lib/route';
import type { Finding } from '../../../../electron/contract/scan';
import { SeverityBadge, SEVERITIES, splitDetail } from '../ScanDetail';
import { useAsync } from '../../lib/useAsync';

interface PickleImport { module: string; name: string; count?: number }

const importsOf = (m: Record<string, unknown>): PickleImport[] =>
  Array.isArray(m.imports) ? (m.imports as unknown[]).filter((x): x is PickleImport => typeof x === 'object' && x !== null && typeof (x as PickleImport).module === 'string' && typeof (x as PickleImport).name === 'string') : [];

/**
 * The names a pickle imports when loaded, each marked with what the latest scan says about it: the
 * dangerous ones are flagged here too, not only on the Security tab.
 */
function ImportsCard({ version, data }: { version: VersionDetail; data: Array<Record<string, unknown>> }) {
  const imports = data.flatMap((m) => importsOf(m).map((i) => ({ ...i, file: typeof m.name === 'string' ? m.name : '' })));
  const key = `${version.model}@${version.version}`;
  const scan = useAsync(async () => {
    const run = await api.call('scan.latest', { name: version.model, version: version.version });
    return run ? (await api.call('scan.get', { id: run.id, minSeverity: 'info' })).files.flatMap((f) => f.findings) : [];
  }, key);
  if (!imports.length) return null;
  const judge = (i: PickleImport): Finding | undefined =>
    (scan.data ?? []).filter((f) => f.rule.startsWith('pickle.') && f.detail.startsWith(`${i.module}.${i.name} `))
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity))[0];
  const dangerous = imports.filter((i) => { const f = judge(i); return f && (f.severity === 'critical' || f.severity === 'high'); }).length;
  return (
    <div className="card imports-card">
      <h3>Imports when loaded{dangerous ? <span className="badge sev-critical imports-flag">{dangerous} dangerous</span> : null}</h3>
      <p className="muted small">Unpickling imports each of these names (and may call it). Hallmark never loads the file to find out.</p>
      <table className="table compact" aria-label="Pickle imports">
        <thead><tr><th>Import</th><th className="num">References</th><th>Scan</th></tr></thead>
        <tbody>
          {imports.map((i, n) => {
            const f = judge(i);
            const bad = f && (f.severity === 'critical' || f.severity === 'high');
            return (
              <tr key={n} className={bad ? 'import-dangerous' : undefined}>
                <td className="mono">{bad ? <span className="danger-icon small-icon" aria-label="dangerous">⚠ </span> : null}{i.module}.{i.name}</td>
                <td className="num">{i.count ?? 1}</td>
                <td>{f ? <><SeverityBadge severity={f.severity} /> <a href={modelHref(version.model, version.version, 'security')}>{splitDetail(f.detail).summary}</a></> : scan.data ? <span className="badge verdict-clean">allowed</span> : <span className="muted">…</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Format metadata of a version (GGUF KV pairs and tensors, ONNX inputs/outputs/op histogram, …). */
export function InspectTab({ version }: { version: VersionDetail }) {
  const key = `${version.model}@${version.version}`;
  const insp = useAsync(() => api.call('inspect.version', { name: version.model, version: version.version }), key);
  const [file, setFile] = useState<string>('');

  if (insp.error) return <ErrorBanner title={`Could not inspect ${key}`} error={insp.error} onRetry={insp.reload} />;
  const d = insp.data;
  if (!d) return <div className="loading-line" role="status">Reading the format metadata of {key}…</div>;
  const multi = d.files.length > 1;
  const chosen = multi && file ? d.files.find((f) => f.path === file) : undefined;
  return (
    <div className="inspect-tab" data-testid="inspect">
      <div className="toolbar">
        <span>Format <strong>{d.format}</strong></span>
        {multi ? (
          <label className="inline-field"><span>Show</span>
            <select aria-label="File to inspect" value={file} onChange={(e) => setFile(e.target.value)}>
              <option value="">the version as a whole</option>
              {d.files.map((f) => <option key={f.path} value={f.path}>{f.path} ({f.format})</option>)}
            </select>
          </label>
        ) : null}
        <span className="spacer" />
        <span className="muted small">inspector {d.inspectorVersion} · {fmtDate(d.inspectedAt)}</span>
      </div>
      {chosen?.error ? <ErrorBanner title={`Could not read ${chosen.path}`} error={chosen.error} /> : null}
      <ImportsCard version={version} data={chosen ? [chosen.metadata] : multi ? d.files.map((f) => f.metadata) : [d.inspection]} />
      <MetaView data={(chosen ? chosen.metadata : d.inspection)} skip={['format', 'imports']} />
    </div>
  );
}
