/** An error that says what failed and offers the next step. */
export function ErrorBanner({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error && typeof error === 'object' && 'code' in error ? String((error).code) : null;
  return (
    <div className="banner error" role="alert">
      <div>
        <strong>{title}</strong>
        <div className="banner-detail">{message}{code ? <span className="code-chip">{code}</span> : null}</div>
      </div>
      {onRetry ? <button type="button" onClick={onRetry}>Retry</button> : null}
    </div>
  );
}
