import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
import type { ModelRow, VersionSummary } from '../../../electron/contract/registry';
import { api, modKey } from '../api/client';
import { errorText } from '../lib/format';
import { modelHref, navigate, SECTIONS, useRoute, type ModelTab } from '../lib/route';
import { useDebounced } from '../lib/useDebounced';
import { useApp } from '../store/appStore';
import { useJobs } from '../store/jobsStore';
import { useModels } from '../store/modelsStore';
import { sectionLabel } from './Sidebar';
import { StageBadge } from './StageBadge';

interface Item {
  id: string;
  group: 'Actions' | 'Models' | 'Versions' | 'This model';
  label: string;
  hint?: string;
  stage?: VersionSummary['stage'] | null;
  run: () => void;
}

/** ⌘K: jump to any model, version, model tab or action. */
export function CommandPalette() {
  const open = useApp((s) => s.paletteOpen);
  const setPalette = useApp((s) => s.setPalette);
  const route = useRoute();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [results, setResults] = useState<{ text: string; models: ModelRow[]; versions: VersionSummary[] }>({ text: '', models: [], versions: [] });
  const [error, setError] = useState<string | null>(null);
  const debounced = useDebounced(query, 120);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    // Clear on close, not on open: keys typed right after ⌘K must never land on the last query.
    if (!open) {
      setQuery('');
      setActive(0);
      return;
    }
    requestAnimationFrame(() => inputRef.current?.focus());
  }, [open]);

  useEffect(() => {
    if (!open) return;
    let live = true;
    const text = debounced.trim();
    Promise.all([
      api.call('registry.models', { query: text || undefined, limit: 8, sort: 'updated', dir: 'desc' }),
      text ? api.call('registry.list', { query: text, limit: 8, sort: 'updated', dir: 'desc' }) : Promise.resolve({ total: 0, rows: [] as VersionSummary[] }),
    ]).then(([m, v]) => {
      if (!live) return;
      setResults({ text, models: m.rows, versions: v.rows });
      setError(null);
    }, (e: unknown) => {
      if (live) setError(errorText(e));
    });
    return () => { live = false; };
  }, [debounced, open]);

  const close = () => setPalette(false);

  const items = useMemo(() => {
    const text = query.trim().toLowerCase();
    const match = (s: string) => !text || s.toLowerCase().includes(text);
    const go = (href: string) => () => { navigate(href); close(); };
    const allActions: Item[] = [
      { id: 'import', group: 'Actions', label: 'Import model files…', hint: `${modKey()}O`, run: () => { close(); useApp.getState().requestImport(); } },
      { id: 'jobs', group: 'Actions', label: 'Show jobs', run: () => { close(); useJobs.getState().setDrawer(true); } },
      {
        id: 'findings', group: 'Actions', label: 'Show models whose latest scan has findings',
        run: () => { const m = useModels.getState(); m.clearFilters(); m.toggleFilter('scanVerdict', 'findings'); navigate('#/models'); close(); },
      },
      {
        id: 'unscanned', group: 'Actions', label: 'Show models not scanned yet',
        run: () => { const m = useModels.getState(); m.clearFilters(); m.toggleFilter('scanVerdict', 'not_scanned'); navigate('#/models'); close(); },
      },
      ...SECTIONS.map((s): Item => ({ id: `go-${s}`, group: 'Actions', label: `Go to ${sectionLabel(s)}`, run: go(`#/${s}`) })),
    ];
    const actions = allActions.filter((a) => match(a.label));
    const here: Item[] = [];
    if (route.model) {
      const tabs: Array<[ModelTab, string]> = [
        ['files', 'Files and verify'], ['security', 'Security: scan findings'], ['inspect', 'Inspect format metadata'], ['compare', 'Compare versions'],
        ['audits', 'Audits'], ['run', 'Run'], ['export', 'Export'], ['overview', 'Overview, stage and tags'],
      ];
      for (const [tab, label] of tabs) {
        const l = `${route.model}: ${label}`;
        if (match(l) || match(label)) here.push({ id: `here-${tab}`, group: 'This model', label: l, run: go(modelHref(route.model, route.version, tab)) });
      }
    }
    // Results of an older query are narrowed by name until the new ones arrive, so Enter never opens
    // something that does not match what is typed.
    const fresh = results.text === query.trim();
    const models = fresh ? results.models : results.models.filter((m) => match(m.name));
    const versions = fresh ? results.versions : results.versions.filter((v) => match(`${v.model}@${v.version}`));
    const ms: Item[] = models.map((m) => ({
      id: `m-${m.id}`, group: 'Models', label: m.name, stage: m.stage,
      hint: [m.latestVersion ? `v${m.latestVersion}` : '', m.framework, m.format ?? ''].filter(Boolean).join(' · '),
      run: go(modelHref(m.name)),
    }));
    const vs: Item[] = versions.map((v) => ({
      id: `v-${v.id}`, group: 'Versions', label: `${v.model}@${v.version}`, stage: v.stage,
      hint: [v.format ?? '', v.framework].filter(Boolean).join(' · '),
      run: go(modelHref(v.model, v.version)),
    }));
    return text ? [...ms, ...vs, ...here, ...actions] : [...here, ...actions, ...ms];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, results, route.model, route.version]);

  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  if (!open) return null;
  const clamp = (i: number) => (items.length ? (i + items.length) % items.length : 0);
  const current = items[Math.min(active, items.length - 1)];

  return (
    <div className="modal-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) close(); }}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <input
          ref={inputRef}
          className="palette-input"
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-activedescendant={current ? `pal-${current.id}` : undefined}
          aria-label="Search models, versions and actions"
          placeholder="Search models, versions, actions…"
          value={query}
          onChange={(e) => { setQuery(e.target.value); setActive(0); }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => clamp(a + 1)); }
            else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => clamp(a - 1)); }
            else if (e.key === 'Enter') { e.preventDefault(); current?.run(); }
            else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
          }}
        />
        {error ? <div className="banner error" role="alert">Search failed: {error}</div> : null}
        <ul id="palette-list" role="listbox" className="palette-list" ref={listRef} aria-label="Results">
          {items.map((it, i) => (
            <Fragment key={it.id}>
              {i === 0 || items[i - 1]!.group !== it.group ? <li role="presentation" className="palette-group">{it.group}</li> : null}
              <li
                id={`pal-${it.id}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                onMouseMove={() => setActive(i)}
                onClick={() => it.run()}
              >
                <span className="palette-label">{it.label}</span>
                {it.stage && it.stage !== 'none' ? <StageBadge stage={it.stage} /> : null}
                {it.hint ? <span className="palette-hint">{it.hint}</span> : null}
              </li>
            </Fragment>
          ))}
          {!items.length ? <li className="palette-empty">Nothing matches {JSON.stringify(query)}</li> : null}
        </ul>
        <div className="palette-foot muted">↑↓ to move · Enter to open · Esc to close</div>
      </div>
    </div>
  );
}
