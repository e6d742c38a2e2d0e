import { useEffect, useMemo, useRef } from 'react';
import { api } from '../api/client';
import { jobHref } from '../lib/jobLinks';
import { fmtEta, fmtProgress, fmtRelative, fmtUnitRate } from '../lib/format';
import { navigate } from '../lib/route';
import { toastError } from '../store/appStore';
import { isActive, jobRows, useJobs, type JobRowData } from '../store/jobsStore';
import { ProgressBar } from './ProgressBar';

function JobRow({ job }: { job: JobRowData }) {
  const active = job.state === 'queued' || job.state === 'running';
  const cancel = async () => {
    if (job.task) {
      job.task.cancel();
      return;
    }
    try {
      const r = await api.call('jobs.cancel', { id: job.id });
      if (!r.cancelled) toastError(`Could not cancel ${job.title}`, new Error('it had already finished'));
    } catch (e) {
      toastError(`Could not cancel ${job.title}`, e);
    }
  };
  const total = job.totalBytes ?? null;
  // Uploads count bytes; a job says what it counts (a training job's steps are not bytes).
  const unit = 'unit' in job ? job.unit : 'bytes';
  const meta = [
    fmtProgress(unit, job.doneBytes, total),
    active ? fmtUnitRate(unit, job.bytesPerSec) : '',
    active && job.etaSec ? `ETA ${fmtEta(job.etaSec)}` : '',
  ].filter(Boolean).join(' · ');
  // One bar over all of a job's phases (upload, hash, scan): it never goes back.
  const fraction = job.state === 'done' ? 1 : job.fraction ?? null;
  const href = jobHref(job);
  return (
    <li className={`job job-${job.state}${href ? ' job-link' : ''}`} aria-label={`${job.title}: ${job.state}`}>
      <div className="job-head">
        {href ? (
          // The whole row is this link (stretched over it in CSS): click or Enter opens what the job made.
          <a className="job-title" href={href} title={`${job.title}: open`} onClick={(e) => { e.preventDefault(); useJobs.getState().setDrawer(false); navigate(href); }}>{job.title}</a>
        ) : (
          <span className="job-title" title={job.title}>{job.title}</span>
        )}
        <span className={`badge job-state-${job.state}`}>{job.state}</span>
        {active ? <button type="button" className="small" onClick={() => void cancel()} aria-label={`Cancel ${job.title}`}>Cancel</button> : null}
      </div>
      {active || job.state === 'done' ? (
        <ProgressBar done={fraction ?? job.doneBytes} total={fraction !== null ? 1 : total} label={`${job.title} progress`} state={job.state} />
      ) : null}
      <div className="job-meta">
        <span>{meta || (active ? 'waiting…' : '')}</span>
        <span className="muted">{fmtRelative(job.createdAt)}</span>
      </div>
      {job.message && active ? <div className="job-message muted">{job.message}</div> : null}
      {job.error ? <div className="job-error" role="alert">{job.error}</div> : null}
    </li>
  );
}

export function JobsDrawer() {
  const open = useJobs((s) => s.drawerOpen);
  const jobs = useJobs((s) => s.jobs);
  const imports = useJobs((s) => s.imports);
  const loadError = useJobs((s) => s.loadError);
  const { setDrawer, load, clearFinished } = useJobs.getState();
  const ref = useRef<HTMLElement>(null);

  useEffect(() => {
    if (!open) return;
    void load();
    const before = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    // Closing gives focus back to where it was (the status bar button, usually).
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, [open, load]);

  const rows = useMemo(() => {
    const all = jobRows(jobs, imports);
    return all.sort((a, b) => Number(isActive(b)) - Number(isActive(a)) || b.createdAt.localeCompare(a.createdAt));
  }, [jobs, imports]);

  if (!open) return null;
  return (
    <aside
      id="jobs-drawer"
      className="drawer"
      role="dialog"
      aria-label="Jobs"
      tabIndex={-1}
      ref={ref}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          setDrawer(false);
        }
      }}
    >
      <header className="drawer-head">
        <h2>Jobs</h2>
        <span className="spacer" />
        <button type="button" className="small" onClick={clearFinished}>Clear finished</button>
        <button type="button" className="icon" aria-label="Close jobs" onClick={() => setDrawer(false)}>×</button>
      </header>
      {loadError ? <div className="banner error" role="alert">Could not list jobs: {loadError}</div> : null}
      {rows.length ? (
        <ul className="job-list">{rows.map((j) => <JobRow key={j.id} job={j} />)}</ul>
      ) : (
        <div className="empty small"><div className="empty-title">No jobs yet</div><p>Imports, verifications and exports show their progress here.</p></div>
      )}
    </aside>
  );
}
