import { useApp } from '../store/appStore';

export function Toasts() {
  const toasts = useApp((s) => s.toasts);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' || t.kind === 'danger' ? 'alert' : 'status'}>
          <div className="toast-body">
            <div className="toast-title">{t.title}</div>
            {t.detail ? <div className="toast-detail">{t.detail}</div> : null}
          </div>
          {t.action ? <a className="button small" href={t.action.href} onClick={() => dismiss(t.id)}>{t.action.label}</a> : null}
          <button type="button" className="icon" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
