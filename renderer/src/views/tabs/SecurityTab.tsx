import { useState } from 'react';
import type { VersionDetail } from '../../../../electron/contract/registry';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ProgressBar } from '../../components/ProgressBar';
import { errorText } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useApp } from '../../store/appStore';
import { awaitJob, useJobs } from '../../store/jobsStore';
import { ScanDetail } from '../ScanDetail';
import { SignaturePanel } from '../SignaturePanel';
import { scansHref } from '../../lib/route';

/** Security: the latest static scan of the version (findings with severity, location, explanation), rescan, exports; its signature. */
export function SecurityTab({ version }: { version: VersionDetail }) {
  const key = `${version.model}@${version.version}`;
  const gen = useApp((s) => s.registryGen);
  const [n, setN] = useState(0);
  const latest = useAsync(() => api.call('scan.latest', { name: version.model, version: version.version }), key, gen + n);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));


  const scan = async () => {
    setError(null);
    try {
      const { jobId: id } = await api.call('scan.version', { name: version.model, version: version.version });
      setJobId(id);
      const j = await awaitJob(id);
      if (j.state !== 'done') setError(j.error ?? `the scan ${j.state}`);
      setN((x) => x + 1);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setJobId(null);
    }
  };

  return (
    <div className="security-tab">
      <div className="toolbar">
        <h2 className="inline-h">Static scan</h2>
        <span className="runs-links">
          <a href={scansHref(version.model, version.version)}>Scans of v{version.version}</a>
          <a href={scansHref(version.model)}>All scans of {version.model}</a>
        </span>
        <span className="spacer" />
        <button type="button" className="primary" onClick={() => void scan()} disabled={jobId !== null}>{jobId ? 'Scanning…' : latest.data ? 'Scan again' : 'Scan now'}</button>
      </div>
      {jobId ? <div className="verify-progress" role="status"><ProgressBar done={job?.doneBytes ?? 0} total={job?.totalBytes ?? null} label="Scan progress" state={job?.state} /><span className="muted">{job?.message ?? 'scanning…'}</span></div> : null}
      {error ? <ErrorBanner title={`Scanning ${key} failed`} error={error} /> : null}
      {latest.error ? <ErrorBanner title="Could not read the last scan" error={latest.error} onRetry={latest.reload} /> : null}
      {latest.data ? <ScanDetail run={latest.data} /> : latest.loading ? <div className="loading-line" role="status">Loading…</div> : (
        <div className="empty small"><div className="empty-title">{key} has not been scanned</div><p>A static scan reads the files without loading them and flags code execution on load (pickle opcodes, Keras Lambda layers, …), path tricks and malformed headers.</p></div>
      )}
      <SignaturePanel version={version} />
    </div>
  );
}
