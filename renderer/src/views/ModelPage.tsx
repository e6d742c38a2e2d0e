import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import { DangerBanner } from '../components/Danger';
import { ErrorBanner } from '../components/ErrorBanner';
import { NotRunnable } from '../components/NotRunnable';
import { StageBadge } from '../components/StageBadge';
import { UnavailableState } from '../components/UnavailableState';
import { fmtBytes, q } from '../lib/format';
import { MODEL_TABS, modelHref, navigate, type ModelTab, type Route } from '../lib/route';
import { useAsync } from '../lib/useAsync';
import { useApp } from '../store/appStore';
import { AuditPanel } from './AuditPanel';
import { CompareTab } from './tabs/CompareTab';
import { InspectTab } from './tabs/InspectTab';
import { MonitoringTab } from './tabs/MonitoringTab';
import { SecurityTab } from './tabs/SecurityTab';
import { RunTab } from './tabs/RunTab';
import { DeleteDialog } from './DeleteDialog';
import { HubRegisterPanel, IncidentList } from './IncidentsView';
import { ExportTab } from './tabs/ExportTab';
import { FilesTab } from './tabs/FilesTab';
import { OverviewTab } from './tabs/OverviewTab';

const TAB_LABEL: Record<ModelTab, string> = {
  overview: 'Overview', files: 'Files', inspect: 'Inspect', security: 'Security', run: 'Run', audits: 'Audits',
  monitoring: 'Monitoring', incidents: 'Incidents', compare: 'Compare', export: 'Export',
};

/** Tabs of features that come in a later release (see electron/contract). */
const PENDING: Partial<Record<ModelTab, { needs: string; detail: string; later?: boolean }>> = {
};

/**
 * Why a tab does not apply to a version (null when it does): Run, Monitoring and Audits need a runnable
 * file, so a pickle's tabs are disabled with the reason instead of failing with errors.
 */
export function tabUnavailable(tab: ModelTab, files: Array<{ path: string }> | undefined): string | null {
  if (!files) return null;
  const gguf = files.some((f) => /\.gguf$/i.test(f.path));
  const onnx = files.some((f) => /\.onnx$/i.test(f.path));
  const has = files.length === 1 ? `this version is ${files[0]!.path}` : `this version has no .gguf or .onnx file`;
  if (tab === 'run' && !gguf && !onnx) return `Nothing to run: Hallmark runs GGUF and ONNX models; ${has}.`;
  if (tab === 'monitoring' && !gguf && !onnx) return `Monitoring charts the predictions made from the Run tab; only GGUF and ONNX models can be run, and ${has}.`;
  if (tab === 'audits' && !gguf) return `Audits ask a GGUF language model questions; ${files.length === 1 ? has : 'this version has no .gguf file'}.`;
  return null;
}

export function ModelPage({ route }: { route: Route }) {
  const name = route.model!;
  const gen = useApp((s) => s.registryGen);
  const model = useAsync(() => api.call('registry.model', { name }), name, gen);
  const m = model.data;
  const version = route.version ?? m?.latestVersion ?? undefined;
  const detail = useAsync(
    () => (version ? api.call('registry.version', { name, version }) : Promise.reject(new ApiError('no_version', `model ${q(name)} has no versions`))),
    `${name}@${version ?? ''}`,
    gen,
  );
  const [deleting, setDeleting] = useState(false);
  const tabRefs = useRef<Array<HTMLAnchorElement | null>>([]);
  const reload = () => {
    model.reload();
    detail.reload();
  };

  if (model.error && !m) {
    const notFound = model.error instanceof ApiError && model.error.code === 'not_found';
    return (
      <section className="view">
        <nav className="breadcrumb" aria-label="Breadcrumb"><a href="#/models">Models</a> › <span>{name}</span></nav>
        <ErrorBanner title={notFound ? `No model named ${q(name)}` : `Could not open ${q(name)}`} error={model.error} onRetry={notFound ? undefined : model.reload} />
        <p><a href="#/models">Back to the Models list</a></p>
      </section>
    );
  }
  if (!m) return <section className="view"><div className="loading-line" role="status">Loading {name}…</div></section>;

  const summary = m.versions.find((v) => v.version === version);
  const tab = route.tab;
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? MODEL_TABS.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = MODEL_TABS[(next + MODEL_TABS.length) % MODEL_TABS.length]!;
    navigate(modelHref(m.name, route.version, t));
    tabRefs.current[MODEL_TABS.indexOf(t)]?.focus();
  };

  let body: ReactNode;
  const pending = PENDING[tab];
  const files = detail.data?.files;
  const unavailable = tabUnavailable(tab, files);
  if (unavailable) body = <NotRunnable what={TAB_LABEL[tab]} detail={unavailable} />;
  else if (pending) body = <UnavailableState title={TAB_LABEL[tab]} needs={pending.needs} detail={pending.detail} later={pending.later} />;
  else if (tab === 'compare') body = <CompareTab model={m} />;
  else if (tab === 'audits' && version !== undefined && !files) body = <div className="loading-line" role="status">Loading {m.name}@{version}…</div>;
  else if (tab === 'audits') body = <AuditPanel model={{ name: m.name, ...(version ? { version } : {}) }} />;
  else if (version === undefined) body = <div className="empty"><div className="empty-title">This model has no versions</div><p>Import a file with this model's name to add one.</p></div>;
  else if (detail.error && !detail.data) body = <ErrorBanner title={`Could not load ${m.name}@${version}`} error={detail.error} onRetry={detail.reload} />;
  else if (!detail.data) body = <div className="loading-line" role="status">Loading {m.name}@{version}…</div>;
  else if (tab === 'incidents') body = <><HubRegisterPanel versionId={detail.data.id} label={`${m.name}@${detail.data.version}`} /><IncidentList model={m.name} showFilters={false} /></>;
  else if (tab === 'files') body = <FilesTab version={detail.data} onChanged={reload} />;
  else if (tab === 'export') body = <ExportTab version={detail.data} />;
  else if (tab === 'run') body = <RunTab version={detail.data} />;
  else if (tab === 'inspect') body = <InspectTab version={detail.data} />;
  else if (tab === 'security') body = <SecurityTab version={detail.data} />;
  else if (tab === 'monitoring') body = <MonitoringTab version={detail.data} />;
  else body = <OverviewTab model={m} version={detail.data} onChanged={reload} />;

  return (
    <section className="view model-page" aria-labelledby="model-title">
      <nav className="breadcrumb" aria-label="Breadcrumb"><a href="#/models">Models</a> › <span>{m.name}</span></nav>
      <header className="model-head">
        <h1 id="model-title">{m.name}</h1>
        {summary ? <StageBadge stage={summary.stage} /> : null}
        <span className="muted">{m.framework}{m.modelType !== 'other' ? ` · ${m.modelType}` : ''} · {m.versionCount} version{m.versionCount === 1 ? '' : 's'}{summary ? ` · ${fmtBytes(summary.totalSize)}` : ''}</span>
        <span className="spacer" />
        {m.versions.length ? (
          <label className="inline-field">
            <span>Version</span>
            <select
              aria-label="Version"
              value={version ?? ''}
              onChange={(e) => navigate(modelHref(m.name, Number(e.target.value) === m.latestVersion ? undefined : Number(e.target.value), tab))}
            >
              {m.versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}{v.stage !== 'none' ? ` (${v.stage})` : ''}{v.version === m.latestVersion ? ' — latest' : ''}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button type="button" className="danger-outline" onClick={() => setDeleting(true)}>Delete…</button>
      </header>
      {version !== undefined && (tab === 'overview' || tab === 'run' || tab === 'export') ? <DangerBanner name={m.name} version={version} /> : null}
      <div className="tabs" role="tablist" aria-label={`${m.name} sections`}>
        {MODEL_TABS.map((t, i) => {
          const off = tabUnavailable(t, files);
          return (
            <a
              key={t}
              ref={(el) => { tabRefs.current[i] = el; }}
              role="tab"
              id={`tab-${t}`}
              aria-selected={t === tab}
              aria-controls="model-tabpanel"
              aria-disabled={off ? true : undefined}
              title={off ?? undefined}
              tabIndex={t === tab ? 0 : -1}
              className={`tab${t === tab ? ' active' : ''}${PENDING[t] ? ' pending' : ''}${off ? ' disabled' : ''}`}
              href={modelHref(m.name, route.version, t)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {TAB_LABEL[t]}
            </a>
          );
        })}
      </div>
      <div className="tabpanel" role="tabpanel" id="model-tabpanel" aria-labelledby={`tab-${tab}`}>
        {body}
      </div>
      {deleting ? (
        <DeleteDialog
          model={m}
          version={version}
          onClose={() => setDeleting(false)}
          onDeleted={(whole) => {
            setDeleting(false);
            navigate(whole ? '#/models' : modelHref(m.name));
          }}
        />
      ) : null}
    </section>
  );
}
