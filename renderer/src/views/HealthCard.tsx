import type { HealthReport } from '../../../electron/contract/health';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { MODE_TEXT, useMode } from '../components/ModeSegment';
import { fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import type { OperatingMode } from '../../../electron/contract/mode';
import '../quality.css';

const PARTS: Array<[keyof Pick<HealthReport, 'database' | 'disk' | 'memory' | 'jobs' | 'gpu'>, string]> = [
  ['database', 'Database'], ['disk', 'Disk'], ['memory', 'Memory'], ['jobs', 'Jobs'], ['gpu', 'GPU'],
];

/** Settings: detailed health (seed 002) — one line per part with its state and what to do. */
export function HealthCard() {
  const health = useAsync(() => api.call('health.detailed', {}), 'health');
  const r = health.data;
  return (
    <div className="card" aria-labelledby="health-title">
      <div className="card-head">
        <h2 id="health-title">Health</h2>
        <button type="button" onClick={health.reload} disabled={health.loading}>{health.loading ? 'Checking…' : 'Check again'}</button>
      </div>
      {health.error && !r ? <ErrorBanner title="Health could not be read" error={health.error} onRetry={health.reload} /> : null}
      {r ? (
        <>
          <p>
            <span className={`health-overall ${r.status}`} data-testid="health-overall">{r.status === 'healthy' ? 'Healthy' : r.status === 'degraded' ? 'Degraded' : 'Unhealthy'}</span>
            <span className="muted"> · checked {fmtRelative(r.checked_at)} · {r.home}</span>
          </p>
          <ul className="health-list" aria-label="Health checks">
            {PARTS.map(([k, label]) => (
              <li key={k} className={`state-${r[k].status}`}>
                <strong>{label}</strong>
                <span className="state-badge">{r[k].status === 'ok' ? 'OK' : r[k].status === 'warn' ? 'Warning' : 'Failing'}</span>
                <span>{r[k].message}</span>
              </li>
            ))}
          </ul>
        </>
      ) : !health.error ? <div className="loading-line" role="status">Checking database, disk, memory, jobs and GPU…</div> : null}
    </div>
  );
}

/** Settings: the operating mode as a radio group (the status bar has the same switch). */
export function ModeCard() {
  const { mode, error, set } = useMode();
  return (
    <div className="card">
      <h2>Operating mode</h2>
      {error ? <p className="field-error" role="alert">{error}</p> : null}
      <fieldset className="radio-col">
        <legend>What Hallmark may do now (shared by the app, the CLI and the bridge)</legend>
        {(Object.keys(MODE_TEXT) as OperatingMode[]).map((m) => (
          <label key={m}>
            <input type="radio" name="operating-mode" checked={mode?.mode === m} onChange={() => void set(m)} /> {MODE_TEXT[m].label} <span className="muted">— {MODE_TEXT[m].detail}</span>
          </label>
        ))}
      </fieldset>
      {mode?.changed_at ? <p className="hint">Switched {fmtRelative(mode.changed_at)}. From a terminal: <code>hallmark mode {mode.mode}</code>.</p> : <p className="hint">From a terminal: <code>hallmark mode [inference|training|maintenance]</code>.</p>}
    </div>
  );
}
