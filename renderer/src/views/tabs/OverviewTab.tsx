import { useState, type FormEvent } from 'react';
import type { DangerousFindings, ModelDetail, Stage, VersionDetail } from '../../../../electron/contract/registry';
import { Framework, ModelType, Tag } from '../../../../electron/contract/registry';
import { api, ApiError } from '../../api/client';
import { DangerConfirm, useDanger } from '../../components/Danger';
import { LineageGraph } from '../../components/LineageGraph';
import { StageBadge } from '../../components/StageBadge';
import { errorText, fmtBytes, fmtDate, fmtInt, fmtNumber, fmtParams, fmtRelative, q, shortHash } from '../../lib/format';
import { VerdictBadge } from '../AuditPanel';
import { SignatureBadge } from '../SignaturePanel';
import { EmbedLineage } from '../TrainingView';
import { ScanVerdict } from '../ScanDetail';
import { modelHref, scansHref } from '../../lib/route';
import { toastError, useApp } from '../../store/appStore';
import { useModels } from '../../store/modelsStore';
import type { Input } from '../../../../electron/contract/index';

interface Props {
  model: ModelDetail;
  version: VersionDetail;
  onChanged: () => void;
}

const STAGE_ACTIONS: Array<{ stage: Stage; label: string }> = [
  { stage: 'staging', label: 'Promote to staging' },
  { stage: 'production', label: 'Promote to production' },
  { stage: 'archived', label: 'Archive' },
  { stage: 'none', label: 'Clear stage' },
];

function StageActions({ model, version, onChanged }: Props) {
  const [busy, setBusy] = useState<Stage | null>(null);
  // Set when the registry refused for high/critical findings: the user confirms by name, or cancels.
  const [confirm, setConfirm] = useState<{ stage: Stage; danger: DangerousFindings } | null>(null);
  const promote = async (stage: Stage, force = false) => {
    setBusy(stage);
    try {
      const r = await api.call('registry.promote', { name: model.name, version: version.version, stage, force });
      useApp.getState().toast({
        kind: 'success',
        title: `${r.model}@${r.version} → ${r.stage}`,
        detail: r.demoted.length ? `v${r.demoted.join(', v')} archived (was production)` : undefined,
      });
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'dangerous_findings' && e.details) setConfirm({ stage, danger: e.details as DangerousFindings });
      else toastError(`Could not move ${model.name}@${version.version} to ${stage}`, e);
    } finally {
      setBusy(null);
    }
  };
  const prod = model.versions.find((v) => v.stage === 'production' && v.version !== version.version);
  // No primary button leads to shipping a dangerous version.
  const danger = useDanger(model.name, version.version);
  return (
    <div className="card">
      <h2>Stage of v{version.version}</h2>
      <div className="stage-now">Now: <StageBadge stage={version.stage} /></div>
      <div className="button-col">
        {STAGE_ACTIONS.map((a) => (
          <button key={a.stage} type="button" disabled={version.stage === a.stage || busy !== null} className={a.stage === 'production' ? (danger ? 'danger-outline' : 'primary') : undefined} onClick={() => void promote(a.stage)}>
            {busy === a.stage ? 'Working…' : a.label}
          </button>
        ))}
      </div>
      {prod ? <p className="hint">Promoting to production archives v{prod.version}, which is in production now.</p> : null}
      {confirm ? (
        <DangerConfirm
          what={`Promote to ${confirm.stage}`}
          name={model.name}
          version={version.version}
          d={confirm.danger}
          onCancel={() => setConfirm(null)}
          onConfirm={() => { const st = confirm.stage; setConfirm(null); void promote(st, true); }}
        />
      ) : null}
    </div>
  );
}

function TagsEditor({ model, onChanged }: { model: ModelDetail; onChanged: () => void }) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (tags: string[]) => {
    setBusy(true);
    try {
      await api.call('registry.update', { name: model.name, tags });
      onChanged();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const raw = draft;
    const words = raw.split(',').map((w) => w.trim()).filter(Boolean);
    if (!words.length) return;
    const parsed: string[] = [];
    for (const w of words) {
      const r = Tag.safeParse(w);
      if (!r.success) {
        setError(`Invalid tag ${q(w)}: ${r.error.issues[0]?.message ?? 'not allowed'}`);
        return;
      }
      parsed.push(r.data);
    }
    setError(null);
    if (await save([...new Set([...model.tags, ...parsed])])) setDraft('');
  };
  return (
    <div className="card">
      <h2>Tags</h2>
      <ul className="tag-list" aria-label="Tags">
        {model.tags.map((t) => (
          <li key={t} className="tag">
            <a href="#/models" title={`Models tagged ${t}`} onClick={() => { const s = useModels.getState(); s.clearFilters(); s.toggleFilter('tag', t); }} className="tag-text">{t}</a>
            <button type="button" className="tag-x" aria-label={`Remove tag ${t}`} disabled={busy} onClick={() => void save(model.tags.filter((x) => x !== t))}>×</button>
          </li>
        ))}
        {!model.tags.length ? <li className="muted">No tags</li> : null}
      </ul>
      <form className="inline-form" onSubmit={(e) => void add(e)}>
        <input
          aria-label="Add tag"
          placeholder="add tag, e.g. vision or team:ml"
          value={draft}
          onChange={(e) => { setDraft(e.target.value); setError(null); }}
          aria-invalid={Boolean(error)}
          aria-describedby={error ? 'tag-error' : undefined}
        />
        <button type="submit" disabled={busy || !draft.trim()}>Add</button>
      </form>
      {error ? <div id="tag-error" className="field-error" role="alert">{error}</div> : null}
    </div>
  );
}

function Description({ model, onChanged }: { model: ModelDetail; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(model.description);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    try {
      await api.call('registry.update', { name: model.name, description: draft });
      setEditing(false);
      setError(null);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="card">
      <div className="card-head">
        <h2>Description</h2>
        {!editing ? <button type="button" className="small" onClick={() => { setDraft(model.description); setEditing(true); }}>Edit</button> : null}
      </div>
      {editing ? (
        <>
          <textarea
            aria-label="Description"
            rows={4}
            value={draft}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') { e.stopPropagation(); setEditing(false); }
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void save();
            }}
          />
          <div className="button-row">
            <button type="button" className="primary" onClick={() => void save()}>Save</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
          {error ? <div className="field-error" role="alert">{error}</div> : null}
        </>
      ) : model.description ? (
        <p className="description">{model.description}</p>
      ) : (
        <p className="muted">No description. <button type="button" className="link" onClick={() => setEditing(true)}>Add one</button></p>
      )}
    </div>
  );
}

function Metrics({ model, version, onChanged }: Props) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const entries = Object.entries(version.metrics).sort(([a], [b]) => a.localeCompare(b));
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    const v = Number(value.trim());
    if (!k) return setError('a metric needs a name, e.g. accuracy');
    if (value.trim() === '' || !Number.isFinite(v)) return setError(`metric value ${q(value)} is not a finite number`);
    try {
      await api.call('registry.annotate', { name: model.name, version: version.version, metrics: { [k]: v } });
      setKey('');
      setValue('');
      setError(null);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="card">
      <h2>Metrics of v{version.version}</h2>
      {entries.length ? (
        <table className="table compact" aria-label={`Metrics of v${version.version}`}>
          <thead><tr><th>Metric</th><th className="num">Value</th></tr></thead>
          <tbody>{entries.map(([k, v]) => <tr key={k}><td>{k}</td><td className="num mono">{fmtNumber(v)}</td></tr>)}</tbody>
        </table>
      ) : <p className="muted">No metrics recorded for this version.</p>}
      <form className="inline-form" onSubmit={(e) => void add(e)} aria-label="Add or update a metric">
        <input aria-label="Metric name" placeholder="metric, e.g. accuracy" value={key} onChange={(e) => { setKey(e.target.value); setError(null); }} />
        <input aria-label="Metric value" placeholder="value" inputMode="decimal" value={value} onChange={(e) => { setValue(e.target.value); setError(null); }} className="narrow" />
        <button type="submit" disabled={!key.trim()}>Set</button>
      </form>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </div>
  );
}

function Versions({ model, version }: { model: ModelDetail; version: VersionDetail }) {
  return (
    <div className="card">
      <h2>Versions and lineage</h2>
      <LineageGraph model={model.name} versions={model.versions} current={version.version} />
      <EmbedLineage versionId={version.id} />
      <ol className="lineage" aria-label="Versions, newest first">
        {model.versions.map((v) => (
          <li key={v.id} className={`lineage-item${v.version === version.version ? ' current' : ''}`}>
            <span className="lineage-dot" aria-hidden="true" />
            <a href={modelHref(model.name, v.version)} className="lineage-v" aria-current={v.version === version.version ? 'true' : undefined}>v{v.version}</a>
            <StageBadge stage={v.stage} />
            <span className="muted">{v.parent === null ? 'first version' : v.parentModel && v.parentModel !== model.name
              ? <>from <a href={modelHref(v.parentModel, v.parent)}>{v.parentModel}@{v.parent}</a></> : `from v${v.parent}`}</span>
            <span className="muted" title={fmtDate(v.createdAt)}>{fmtRelative(v.createdAt)}</span>
            <span className="num">{fmtBytes(v.totalSize)}</span>
            <span className="muted">{v.fileCount} file{v.fileCount === 1 ? '' : 's'}</span>
            <span className="muted">{v.storage === 'in_place' ? 'in place' : 'vault'}</span>
            <span className={`integrity integrity-${v.integrity}`} title={v.verifiedAt ? `checked ${fmtDate(v.verifiedAt)}` : 'never verified'}>{v.integrity}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Details({ model, version, onChanged }: Props) {
  const update = async (patch: Pick<Input<'registry.update'>, 'framework' | 'modelType'>) => {
    try {
      await api.call('registry.update', { name: model.name, ...patch });
      onChanged();
    } catch (e) {
      toastError(`Could not update ${model.name}`, e);
    }
  };
  return (
    <div className="card">
      <h2>Details</h2>
      <dl className="props">
        <dt>Framework</dt>
        <dd>
          <select aria-label="Framework" value={model.framework} onChange={(e) => void update({ framework: Framework.parse(e.target.value) })}>
            {Framework.options.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </dd>
        <dt>Type</dt>
        <dd>
          <select aria-label="Model type" value={model.modelType} onChange={(e) => void update({ modelType: ModelType.parse(e.target.value) })}>
            {ModelType.options.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </dd>
        <dt>Format</dt><dd>{version.format ?? '—'}</dd>
        {version.version === model.latestVersion ? (
          <>
            <dt>Parameters</dt><dd title={model.parameters !== null ? `${fmtInt(model.parameters)} parameters` : 'no tensors counted'}>{fmtParams(model.parameters)}</dd>
            <dt>Scan</dt>
            <dd>{model.scan ? <a className="cell-link" href={modelHref(model.name, version.version, 'security')}><ScanVerdict run={{ status: 'done', verdict: model.scan.verdict, worst: model.scan.worst }} /></a> : <a href={modelHref(model.name, version.version, 'security')}>not scanned</a>}</dd>
            <dt>Audit</dt>
            <dd>{model.audit ? <a className="cell-link" href={modelHref(model.name, version.version, 'audits')}><VerdictBadge verdict={model.audit.verdict} /></a> : <span className="muted">never audited</span>}</dd>
            <dt>Signature</dt><dd><a className="cell-link" href={modelHref(model.name, version.version, 'security')}><SignatureBadge status={model.signature?.status ?? 'unsigned'} /></a></dd>
          </>
        ) : null}
        <dt>Storage</dt><dd>{version.storage === 'in_place' ? 'registered in place' : 'vault copy'}</dd>
        {version.sourcePath ? (<><dt>Source</dt><dd className="mono wrap">{version.sourcePath}</dd></>) : null}
        <dt>Content</dt><dd className="mono" title={version.contentHash}>{shortHash(version.contentHash, 16)}…</dd>
        <dt>Created</dt><dd>{fmtDate(version.createdAt)}</dd>
        <dt>Integrity</dt><dd><span className={`integrity integrity-${version.integrity}`}>{version.integrity}</span>{version.verifiedAt ? <span className="muted"> · {fmtRelative(version.verifiedAt)}</span> : null}</dd>
      </dl>
    </div>
  );
}

function Runs({ model, version }: { model: ModelDetail; version: VersionDetail }) {
  return (
    <div className="card" data-testid="runs-card">
      <h2>Runs</h2>
      <ul className="link-list">
        <li><a href={modelHref(model.name, version.version, 'security')}>Latest scan of v{version.version}</a></li>
        <li><a href={scansHref(model.name, version.version)}>Scans of v{version.version}</a> · <a href={scansHref(model.name)}>all versions</a></li>
        <li><a href={modelHref(model.name, version.version, 'audits')}>Audits of v{version.version}</a></li>
        <li><a href={modelHref(model.name, undefined, 'compare')}>Compare versions</a></li>
      </ul>
    </div>
  );
}

export function OverviewTab(props: Props) {
  return (
    <div className="overview">
      <div className="col-main">
        <Description model={props.model} onChanged={props.onChanged} />
        <Metrics {...props} />
        <Versions model={props.model} version={props.version} />
      </div>
      <div className="col-side">
        <StageActions {...props} />
        <TagsEditor model={props.model} onChanged={props.onChanged} />
        <Runs model={props.model} version={props.version} />
        <Details {...props} />
      </div>
    </div>
  );
}
