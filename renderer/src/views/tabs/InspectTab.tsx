import { useState } from 'react';
import type { VersionDetail } from '../../../../electron/contract/registry';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { MetaView } from '../../components/MetaView';
import { fmtDate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

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
      <MetaView data={(chosen ? chosen.metadata : d.inspection)} skip={['format']} />
    </div>
  );
}
