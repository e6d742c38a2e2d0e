import { useEffect, useMemo, useState } from 'react';
import { api, isElectron } from '../api/client';
import { fmtInt, fmtSpeed } from '../lib/format';
import { useApp } from '../store/appStore';
import { isActive, jobRows, useJobs } from '../store/jobsStore';
import { HardwareStatus } from './HardwareStatus';
import { ModeSegment } from './ModeSegment';
import { HubStatusSegment } from '../views/IncidentsView';

/** The bottom bar: hardware, jobs (opens the drawer), registry size, connection. */
export function StatusBar() {
  const jobs = useJobs((s) => s.jobs);
  const imports = useJobs((s) => s.imports);
  const drawerOpen = useJobs((s) => s.drawerOpen);
  const setDrawer = useJobs((s) => s.setDrawer);
  const connection = useApp((s) => s.connection);
  const gen = useApp((s) => s.registryGen);
  const [counts, setCounts] = useState<{ models: number; versions: number } | null>(null);
  const [countError, setCountError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.call('registry.facets', {}).then(
      (f) => { if (live) { setCounts({ models: f.models, versions: f.versions }); setCountError(null); } },
      (e: unknown) => { if (live) setCountError(e instanceof Error ? e.message : String(e)); },
    );
    return () => { live = false; };
  }, [gen]);

  const agg = useMemo(() => {
    const rows = jobRows(jobs, imports);
    const active = rows.filter(isActive);
    // Jobs count different things (bytes, training steps, a fraction): the bar is the mean of the jobs'
    // overall fractions (each never going back across its phases), and only byte counts add up to a speed.
    let fractions = 0;
    let known = 0;
    let speed = 0;
    for (const j of active) {
      if (j.totalBytes) {
        fractions += j.fraction ?? Math.min(1, j.doneBytes / j.totalBytes);
        known++;
      }
      if (!('unit' in j) || j.unit === 'bytes') speed += j.bytesPerSec ?? 0;
    }
    const failed = rows.filter((j) => j.state === 'failed').length;
    return { count: active.length, pct: known > 0 ? Math.floor((fractions / known) * 100) : null, speed, failed };
  }, [jobs, imports]);

  return (
    <footer className="statusbar" aria-label="Status">
      <ModeSegment />
      <HardwareStatus />
      <button
        type="button"
        className={`seg seg-button${agg.count ? ' busy' : ''}`}
        aria-expanded={drawerOpen}
        aria-controls="jobs-drawer"
        onClick={() => setDrawer(!drawerOpen)}
        data-testid="status-jobs"
      >
        {agg.count ? (
          <>
            <span className="spinner" aria-hidden="true" />
            {agg.count} job{agg.count === 1 ? '' : 's'}
            {agg.pct !== null ? <span className="mini-bar" aria-hidden="true"><span style={{ width: `${agg.pct}%` }} /></span> : null}
            {agg.pct !== null ? ` ${agg.pct}%` : ''}
            {agg.speed ? ` ${fmtSpeed(agg.speed)}` : ''}
          </>
        ) : (
          <>Jobs: idle</>
        )}
        {agg.failed ? <span className="failed-count"> · {agg.failed} failed</span> : null}
      </button>
      <span className="seg" title={countError ?? undefined}>
        {countError ? <span className="text-danger">registry unreadable</span> : counts ? `${fmtInt(counts.models)} models · ${fmtInt(counts.versions)} versions` : '…'}
      </span>
      <HubStatusSegment />
      <span className="spacer" />
      {isElectron() ? (
        <span className="seg muted">desktop</span>
      ) : (
        <span className="seg" role="status" title="Live updates from the local bridge (hallmark serve)">
          <span className={`dot ${connection === 'open' ? 'dot-ok' : connection === 'connecting' ? 'dot-warn' : 'dot-danger'}`} aria-hidden="true" />
          {connection === 'open' ? 'connected' : connection === 'connecting' ? 'connecting…' : 'disconnected, retrying…'}
        </span>
      )}
    </footer>
  );
}
