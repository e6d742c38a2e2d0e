/** A determinate bar when the total is known, an indeterminate one otherwise. */
export function ProgressBar({ done, total, label, state }: { done: number; total: number | null; label: string; state?: string }) {
  const pct = total && total > 0 ? Math.min(100, (done / total) * 100) : null;
  return (
    <div
      className={`progress${pct === null ? ' indeterminate' : ''}${state ? ` state-${state}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
