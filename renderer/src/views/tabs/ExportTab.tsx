import { useState, type FormEvent } from 'react';
import type { VersionDetail } from '../../../../electron/contract/registry';
import { api, isElectron } from '../../api/client';
import { DangerConfirm, useDanger } from '../../components/Danger';
import { ProgressBar } from '../../components/ProgressBar';
import { errorText, fmtBytes, fmtEta, fmtSpeed } from '../../lib/format';
import { useApp } from '../../store/appStore';
import { awaitJob, jobResult, useJobs } from '../../store/jobsStore';

/** Export a version as a zip to a path (in browser mode: a path on the machine running `hallmark serve`). */
export function ExportTab({ version }: { version: VersionDetail }) {
  const safe = version.model.replace(/[^A-Za-z0-9._+-]+/g, '-');
  const [out, setOut] = useState(`${safe}-v${version.version}.zip`);
  const [jobId, setJobId] = useState<string | null>(null);
  const [done, setDone] = useState<{ path: string; bytes: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));

  const danger = useDanger(version.model, version.version);
  const [confirming, setConfirming] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Shipping a file that runs code when loaded needs an explicit yes naming the findings.
    if (danger) setConfirming(true);
    else void run();
  };

  const run = async () => {
    setConfirming(false);
    setError(null);
    setDone(null);
    try {
      const { jobId: id } = await api.call('registry.export', { name: version.model, version: version.version, out: out.trim() });
      setJobId(id);
      const r = jobResult<{ path: string; bytes: number }>(await awaitJob(id));
      setDone(r);
      useApp.getState().toast({ kind: 'success', title: `Exported ${version.model}@${version.version}`, detail: `${r.path} (${fmtBytes(r.bytes)})` });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setJobId(null);
    }
  };

  return (
    <div className="export-tab card narrow-card">
      <h2>Export {version.model}@{version.version} as a zip</h2>
      <p className="muted">
        {isElectron()
          ? 'Write the files of this version, with their folder layout, into a zip file.'
          : <>Browser mode: the path is on the machine running <code>hallmark serve</code>; a relative path is relative to the folder it was started in.</>}
      </p>
      <form className="inline-form" onSubmit={submit}>
        <input aria-label="Export to path" className="wide mono" value={out} onChange={(e) => setOut(e.target.value)} placeholder="/path/to/model.zip" />
        <button type="submit" className="primary" disabled={!out.trim() || jobId !== null}>{jobId ? 'Exporting…' : 'Export'}</button>
      </form>
      {jobId ? (
        <div className="verify-progress" role="status">
          <ProgressBar done={job?.doneBytes ?? 0} total={job?.totalBytes ?? null} label="Export progress" state={job?.state} />
          <span className="muted">{job ? `${fmtBytes(job.doneBytes)} ${fmtSpeed(job.bytesPerSec)} ${job.etaSec ? `ETA ${fmtEta(job.etaSec)}` : ''}` : 'starting…'}</span>
        </div>
      ) : null}
      {done ? <div className="banner ok" role="status"><div>Wrote <span className="mono">{done.path}</span> ({fmtBytes(done.bytes)}).</div></div> : null}
      {confirming && danger ? <DangerConfirm what="Export" name={version.model} version={version.version} d={danger} onCancel={() => setConfirming(false)} onConfirm={() => void run()} /> : null}
      {error ? <div className="banner error" role="alert"><div><strong>Export to {JSON.stringify(out)} failed</strong><div className="banner-detail">{error}</div></div></div> : null}
    </div>
  );
}
