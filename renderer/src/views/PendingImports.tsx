// Imports on their way into the Models table: a placeholder row each (name, size, one progress bar over
// upload + hash + scan, speed) that gives way to the real row when the version is registered, or turns
// into an error row with the reason and a Dismiss button.
import { forwardRef } from 'react';
import { ProgressBar } from '../components/ProgressBar';
import { fmtBytes, fmtEta, fmtSpeed } from '../lib/format';
import { importRow, useJobs, type ImportTask } from '../store/jobsStore';

/** The imports that belong in the table now: running or failed, not yet dismissed. */
export function usePendingImports(): ImportTask[] {
  const imports = useJobs((s) => s.imports);
  return Object.values(imports)
    .filter((t) => !t.dismissed && t.state !== 'done')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function phaseText(message: string | null, t: ImportTask): string {
  if (t.state === 'failed') return 'import failed';
  if (t.state === 'cancelled') return 'cancelled';
  if (t.phase === 'uploading') return 'uploading';
  if (!message) return 'importing';
  if (message.startsWith('scanning')) return 'scanning';
  if (message.startsWith('hashing')) return t.viaUpload ? 'hashing' : 'copying and hashing';
  return message.split(':')[0]!.slice(0, 40);
}

function PendingRow({ t }: { t: ImportTask }) {
  const job = useJobs((s) => (t.jobId ? s.jobs[t.jobId] : undefined));
  const row = importRow(t, job);
  const pct = Math.floor(row.fraction * 100);
  const running = t.state === 'running';
  const size = t.totalBytes ? fmtBytes(t.totalBytes) : row.totalBytes ? fmtBytes(row.totalBytes) : '';
  return (
    <div role="row" className={`grid-row pending-row pending-${t.state}`} data-pending={t.name} aria-label={`${t.title}: ${running ? `${pct}%` : t.state}`}>
      <div role="gridcell" className="cell cell-name">
        <span className="model-name">{t.name}</span>
        <span className="model-sub">{phaseText(row.message, t)}</span>
      </div>
      {running ? (
        <div role="gridcell" className="cell pending-progress">
          <ProgressBar done={row.fraction} total={1} label={`${t.title} progress`} state="running" />
          <span className="pending-meta">
            {/* Overall percent (upload + hash + scan), then the bytes of the phase running now. */}
            {pct}%{size ? ` · ${fmtBytes(row.doneBytes)} of ${size}` : ''}{row.bytesPerSec ? ` · ${fmtSpeed(row.bytesPerSec)}` : ''}{row.etaSec ? ` · ETA ${fmtEta(row.etaSec)}` : ''}
          </span>
          <button type="button" className="small" onClick={t.cancel} aria-label={`Cancel ${t.title}`}>Cancel</button>
        </div>
      ) : (
        <div role="gridcell" className="cell pending-progress">
          {/* Actions first: visible at any width, the reason after them (in full on hover, in the toast and the Jobs drawer). */}
          {t.retry ? <button type="button" className="small" onClick={t.retry.run} aria-label={`${t.retry.label}: ${t.name}`}>{t.retry.label}</button> : null}
          <button type="button" className="small" onClick={() => {
            useJobs.getState().dismissImport(t.id);
            // The button goes with its row: focus goes back to the table rather than to nowhere.
            document.querySelector<HTMLElement>('[data-testid="models-grid"]')?.focus({ preventScroll: true });
          }} aria-label={`Dismiss ${t.title}`}>Dismiss</button>
          <span className="pending-error" role="alert" title={t.error ?? undefined}>{t.error ?? `the import ${t.state}`}</span>
        </div>
      )}
    </div>
  );
}

/** The placeholder rows, in the table between its header and the models. */
export const PendingImports = forwardRef<HTMLDivElement, { tasks: ImportTask[] }>(function PendingImports({ tasks }, ref) {
  if (!tasks.length) return null;
  return (
    <div className="grid-pending" ref={ref} role="rowgroup" aria-label="Imports in progress" data-testid="pending-imports">
      {tasks.map((t) => <PendingRow key={t.id} t={t} />)}
    </div>
  );
});
