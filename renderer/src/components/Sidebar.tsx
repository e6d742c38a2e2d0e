import { SECTIONS, type Section } from '../lib/route';

const LABELS: Record<Section, string> = {
  models: 'Models',
  scans: 'Scans',
  audits: 'Audits',
  training: 'Training',
  incidents: 'Incidents',
  evaluate: 'Evaluate',
  settings: 'Settings',
};

const ICONS: Record<Section, string> = {
  models: 'M3 4h10v2H3zM3 7h10v2H3zM3 10h10v2H3z',
  scans: 'M8 1l6 3v4c0 3.5-2.6 6.2-6 7-3.4-.8-6-3.5-6-7V4z',
  audits: 'M6.5 2a4.5 4.5 0 013.6 7.2l3.6 3.6-1.1 1.1-3.6-3.6A4.5 4.5 0 116.5 2zm0 1.5a3 3 0 100 6 3 3 0 000-6z',
  training: 'M2 13l4-5 3 3 5-7v9H2z',
  incidents: 'M8 1l7 13H1zm-.8 5v4h1.6V6zm0 5v1.6h1.6V11z',
  evaluate: 'M2 2h2v12H2zM6 7h2v7H6zM10 4h2v10h-2z',
  settings: 'M7 1h2l.4 2 1.6.7 1.7-1.2 1.4 1.4-1.2 1.7.7 1.6 2 .4v2l-2 .4-.7 1.6 1.2 1.7-1.4 1.4-1.7-1.2-1.6.7L9 15H7l-.4-2-1.6-.7-1.7 1.2-1.4-1.4 1.2-1.7-.7-1.6L1 9V7l2-.4.7-1.6-1.2-1.7 1.4-1.4 1.7 1.2L7.6 3zM8 6a2 2 0 100 4 2 2 0 000-4z',
};

export function Sidebar({ current }: { current: Section }) {
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand" aria-hidden="true">
        <svg width="18" height="18" viewBox="0 0 16 16"><path fill="currentColor" d="M8 0l7 4v8l-7 4-7-4V4zm0 2.3L3 5.2v5.6l5 2.9 5-2.9V5.2zM6 5h1.5v2.3h1V5H10v6H8.5V8.7h-1V11H6z" /></svg>
        <span>Hallmark</span>
      </div>
      {/* One tab stop (the current section); arrows move between sections, Enter opens one. */}
      <ul onKeyDown={(e) => {
        const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>('a')];
        const i = links.indexOf(document.activeElement as HTMLAnchorElement);
        const next = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? links.length - 1 : null;
        if (next === null || i < 0) return;
        e.preventDefault();
        links[(next + links.length) % links.length]?.focus();
      }}>
        {SECTIONS.map((s) => (
          <li key={s}>
            <a href={`#/${s}`} className={s === current ? 'active' : undefined} aria-current={s === current ? 'page' : undefined} tabIndex={s === current ? 0 : -1}>
              <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><path fill="currentColor" d={ICONS[s]} /></svg>
              {LABELS[s]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const sectionLabel = (s: Section): string => LABELS[s];
