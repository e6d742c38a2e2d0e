import { modKey } from '../api/client';
import { useState } from 'react';
import { applyTheme, storedTheme, type ThemeChoice } from '../lib/theme';
import { useApp } from '../store/appStore';

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const ICON: Record<ThemeChoice, string> = { system: '◐', light: '☀', dark: '☾' };

/** Cycles the theme: follow the OS → light → dark. */
function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  const next = NEXT[choice];
  return (
    <button type="button" className="icon theme-toggle" aria-label={`Theme: ${choice === 'system' ? 'following the system' : choice}. Switch to ${next === 'system' ? 'the system theme' : next}`} title={`Theme: ${choice}`}
      onClick={() => { applyTheme(next); setChoice(next); }}>
      <span aria-hidden="true">{ICON[choice]}</span>
    </button>
  );
}

/** The top search: opens the command palette (⌘K). */
export function TopBar() {
  const setPalette = useApp((s) => s.setPalette);
  return (
    <div className="topbar">
      <button type="button" className="search-trigger" onClick={() => setPalette(true)} aria-keyshortcuts="Control+K Meta+K" aria-label="Search models, versions and actions">
        <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><path fill="currentColor" d="M6.5 1a5.5 5.5 0 014.4 8.8l3.7 3.7-1.1 1.1-3.7-3.7A5.5 5.5 0 116.5 1zm0 1.5a4 4 0 100 8 4 4 0 000-8z" /></svg>
        <span>Search models, versions, actions…</span>
        <kbd>{modKey()}K</kbd>
      </button>
      <ThemeToggle />
    </div>
  );
}
