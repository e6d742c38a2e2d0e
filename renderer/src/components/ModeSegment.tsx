import { useCallback, useEffect, useRef, useState } from 'react';
import type { ModeState, OperatingMode } from '../../../electron/contract/mode';
import { api } from '../api/client';
import { toastError, useApp } from '../store/appStore';
import '../quality.css';

export const MODE_TEXT: Record<OperatingMode, { label: string; detail: string }> = {
  inference: { label: 'Inference', detail: 'everything allowed: imports, jobs and model runs' },
  training: { label: 'Training', detail: 'jobs and imports run; running models is paused' },
  maintenance: { label: 'Maintenance', detail: 'new jobs, imports and model runs are refused; running jobs finish' },
};
const MODES: OperatingMode[] = ['inference', 'training', 'maintenance'];
const EVENT = 'hallmark:mode';

/** The operating mode, polled (another process — the CLI — may switch it) and shared by the status bar and Settings. */
export function useMode(): { mode: ModeState | null; error: string | null; set: (m: OperatingMode) => Promise<void> } {
  const [mode, setMode] = useState<ModeState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.call('mode.get', {}).then((m) => { setMode(m); setError(null); }, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    const onEvent = (e: Event) => setMode((e as CustomEvent<ModeState>).detail);
    window.addEventListener(EVENT, onEvent);
    window.addEventListener('focus', load);
    return () => {
      clearInterval(timer);
      window.removeEventListener(EVENT, onEvent);
      window.removeEventListener('focus', load);
    };
  }, [load]);
  const set = useCallback(async (m: OperatingMode) => {
    try {
      const next = await api.call('mode.set', { mode: m });
      window.dispatchEvent(new CustomEvent(EVENT, { detail: next }));
      useApp.getState().toast({ kind: m === 'inference' ? 'success' : 'info', title: `${MODE_TEXT[m].label} mode`, detail: MODE_TEXT[m].detail });
    } catch (e) {
      toastError('Could not switch the mode', e);
    }
  }, []);
  return { mode, error, set };
}

/** Status-bar segment: the mode, impossible to miss when it is not the default; a menu switches it. */
export function ModeSegment() {
  const { mode, error, set } = useMode();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    first.current?.focus();
    const onDown = (e: MouseEvent) => { if (!box.current?.contains(e.target as Node)) setOpen(false); };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);
  const m = mode?.mode ?? null;
  // Fixed, from the button's place: the status bar's stacking context sits under the sidebar.
  const [at, setAt] = useState<{ left: number; bottom: number } | null>(null);
  const toggle = () => {
    const r = box.current?.getBoundingClientRect();
    if (r) setAt({ left: r.left, bottom: window.innerHeight - r.top + 4 });
    setOpen(!open);
  };
  return (
    <span className="seg mode-seg" ref={box} onKeyDown={(e) => { if (e.key === 'Escape') setOpen(false); }}>
      <button
        type="button"
        className={`seg-button mode-button mode-${m ?? 'unknown'}`}
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="status-mode"
        title={m ? `${MODE_TEXT[m].label} mode: ${MODE_TEXT[m].detail}. Click to switch.` : error ?? 'reading the mode…'}
        onClick={toggle}
      >
        <span className={`dot ${m === 'maintenance' ? 'dot-danger' : m === 'training' ? 'dot-warn' : m ? 'dot-ok' : 'dot-muted'}`} aria-hidden="true" />
        {m ? `${MODE_TEXT[m].label} mode` : error ? 'mode unknown' : 'mode…'}
        {m === 'maintenance' ? <span className="mode-note"> · imports and jobs paused</span> : m === 'training' ? <span className="mode-note"> · model runs paused</span> : null}
      </button>
      {open ? (
        <div className="mode-menu" role="menu" aria-label="Operating mode" style={at ? { left: at.left, bottom: at.bottom } : undefined}>
          {MODES.map((x, i) => (
            <button
              key={x}
              ref={i === 0 ? first : undefined}
              type="button"
              role="menuitemradio"
              aria-checked={m === x}
              onClick={() => { setOpen(false); void set(x); }}
              onKeyDown={(e) => {
                const items = [...(e.currentTarget.parentElement?.querySelectorAll<HTMLButtonElement>('[role=menuitemradio]') ?? [])];
                const k = items.indexOf(e.currentTarget);
                if (e.key === 'ArrowDown') { e.preventDefault(); items[(k + 1) % items.length]?.focus(); }
                if (e.key === 'ArrowUp') { e.preventDefault(); items[(k + items.length - 1) % items.length]?.focus(); }
              }}
            >
              <strong>{MODE_TEXT[x].label}</strong> <span className="muted">— {MODE_TEXT[x].detail}</span>
            </button>
          ))}
        </div>
      ) : null}
    </span>
  );
}

/** Across the top of every view while in maintenance: what is refused, and one click back to normal. */
export function ModeBanner() {
  const { mode, set } = useMode();
  if (mode?.mode !== 'maintenance') return null;
  return (
    <div className="banner error mode-banner" role="alert" data-testid="maintenance-banner">
      <div><strong>Maintenance mode</strong> — new jobs, imports and model runs are refused until you leave it; running jobs finish.</div>
      <button type="button" onClick={() => void set('inference')}>Back to inference mode</button>
    </div>
  );
}
