import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
import type { ModelRow, VersionSummary } from '../../../electron/contract/registry';
import { api, ApiError, modKey } from '../api/client';
import { errorText } from '../lib/format';
import { modelHref, navigate, SECTIONS, useRoute, type ModelTab } from '../lib/route';
import { useDebounced } from '../lib/useDebounced';
import { useApp } from '../store/appStore';
import { awaitJob, useJobs } from '../store/jobsStore';
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

/** Runs a model action from the palette and says how it went (a toast; jobs show in the drawer too). */
async function act(title: string, fn: () => Promise<string>): Promise<void> {
  const { toast } = useApp.getState();
  try {
    toast({ kind: 'success', title, detail: await fn() });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'dangerous_findings') {
      const m = /^(\S+)@(\d+)/.exec(e.message);
      toast({ kind: 'danger', title: 'Not promoted: high or critical findings', detail: `${e.message}. Promote from the Overview tab to confirm.`, ...(m ? { action: { label: 'Review', href: modelHref(m[1]!, Number(m[2]), 'security') } } : {}) });
    } else toast({ kind: 'error', title: `${title} failed`, detail: errorText(e) });
  }
}

/** The version an action applies to: the one on screen, else the latest. */
async function versionOf(name: string, version: number | undefined): Promise<number> {
  if (version !== undefined) return version;
  const m = await api.call('registry.model', { name });
  if (m.latestVersion === null) throw new Error(`${name} has no versions`);
  return m.latestVersion;
}

/** Actions on the model on screen: scan, verify, promote, run, export. */
function modelActions(name: string, version: number | undefined): Array<Omit<Item, 'group'> & { group: 'This model' }> {
  const ref = `${name}${version ? `@${version}` : ''}`;
  const job = async (jobId: string, what: string): Promise<string> => {
    const j = await awaitJob(jobId);
    if (j.state !== 'done') throw new Error(j.error ?? `${what} ${j.state}`);
    return what;
  };
  return [
    { id: 'act-scan', group: 'This model', label: `Scan ${ref} now`, hint: 'static scan, never loads the file',
      run: () => void act(`Scanned ${ref}`, async () => job((await api.call('scan.version', { name, ...(version ? { version } : {}) })).jobId, 'see the Security tab for findings')) },
    { id: 'act-verify', group: 'This model', label: `Verify ${ref} (re-hash its files)`,
      run: () => void act(`Verified ${ref}`, async () => {
        const j = await awaitJob((await api.call('registry.verify', { name, ...(version ? { version } : {}) })).jobId);
        if (j.state !== 'done') throw new Error(j.error ?? `verify ${j.state}`);
        const r = j.result as { ok: boolean; mismatches: unknown[] };
        if (!r.ok) throw new Error(`${r.mismatches.length} file(s) no longer match the manifest: see the Files tab`);
        return 'every file matches its SHA-256';
      }) },
    ...(['staging', 'production'] as const).map((stage) => ({
      id: `act-promote-${stage}`, group: 'This model' as const, label: `Promote ${ref} to ${stage}`,
      run: () => void act(`Promoted ${ref} to ${stage}`, async () => {
        const r = await api.call('registry.promote', { name, version: await versionOf(name, version), stage });
        return `${r.model}@${r.version} → ${r.stage}${r.demoted.length ? ` (v${r.demoted.join(', v')} archived)` : ''}`;
      }),
    })),
    { id: 'act-run', group: 'This model', label: `Run ${ref}`, hint: 'chat or predict', run: () => navigate(modelHref(name, version, 'run')) },
    { id: 'act-export', group: 'This model', label: `Export ${ref} as a zip…`, run: () => navigate(modelHref(name, version, 'export')) },
  ];
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
      for (const a of modelActions(route.model, route.version)) if (match(a.label)) here.push({ ...a, run: () => { close(); a.run(); } });
    }
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
