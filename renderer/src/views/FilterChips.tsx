import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Output } from '../../../electron/contract/index';
import { api } from '../api/client';
import { errorText, fmtInt } from '../lib/format';
import { useApp } from '../store/appStore';
import { useModels, type FilterKey } from '../store/modelsStore';

type Facets = Output<'registry.facets'>;

const STAGE_ORDER = ['production', 'staging', 'none', 'archived'];
const VERDICT_ORDER = ['findings', 'error', 'clean', 'not_scanned'];
const VERDICT_LABEL: Record<string, string> = { not_scanned: 'not scanned' };
const SIG_ORDER = ['invalid', 'unverified', 'valid', 'unsigned'];
const SIG_LABEL: Record<string, string> = { unverified: 'not verified' };
const MAX_TAG_CHIPS = 12;

function Group({ label, k, values, current, unit, labels }: { label: string; k: FilterKey; values: Array<{ value: string; count: number }>; current?: string; unit: string; labels?: Record<string, string> }) {
  const toggle = useModels((s) => s.toggleFilter);
  if (!values.length) return null;
  const shown = values.slice(0, MAX_TAG_CHIPS);
  const more = values.slice(MAX_TAG_CHIPS);
  if (current && !shown.some((v) => v.value === current)) {
    const cur = values.find((v) => v.value === current);
    shown.push(cur ?? { value: current, count: 0 });
  }
  return (
    <div className="chip-group" role="group" aria-label={`${label} filter`}>
      <span className="chip-label">{label}</span>
      {shown.map((v) => (
        <button
          key={v.value}
          type="button"
          className={`chip${current === v.value ? ' on' : ''}${k === 'stage' ? ` chip-stage-${v.value}` : ''}${k === 'scanVerdict' ? ` chip-verdict-${v.value}` : ''}${k === 'signature' ? ` chip-sig-${v.value}` : ''}`}
          aria-pressed={current === v.value}
          title={`${fmtInt(v.count)} ${unit}`}
          onClick={() => toggle(k, v.value)}
        >
          {labels?.[v.value] ?? v.value}<span className="chip-count">{fmtInt(v.count)}</span>
        </button>
      ))}
      {more.length ? (
        <select aria-label={`More ${label.toLowerCase()} values`} className="chip-more" value="" onChange={(e) => e.target.value && toggle(k, e.target.value)}>
          <option value="">+{more.length} more…</option>
          {more.map((v) => <option key={v.value} value={v.value}>{v.value} ({fmtInt(v.count)})</option>)}
        </select>
      ) : null}
    </div>
  );
}

/** Filter chips from registry.facets: stage, scan verdict, signature, framework, type, tag. */
export function FilterChips() {
  const gen = useApp((s) => s.registryGen);
  const { framework, modelType, tag, stage, scanVerdict, signature, text, clearFilters } = useModels();
  const [facets, setFacets] = useState<Facets | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.call('registry.facets', {}).then((f) => { if (live) { setFacets(f); setError(null); } }, (e: unknown) => { if (live) setError(errorText(e)); });
    return () => { live = false; };
  }, [gen]);

  // The chips are one tab stop (the pressed chip, else the first); arrows move between them.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chips = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button.chip') ?? [])];
    const stop = chips.find((c) => c.getAttribute('aria-pressed') === 'true') ?? chips[0];
    for (const c of chips) c.tabIndex = c === stop ? 0 : -1;
  });
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const chips = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button.chip')];
    const i = chips.indexOf(document.activeElement as HTMLButtonElement);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? chips.length - 1 : null;
    if (next === null || i < 0) return;
    e.preventDefault();
    chips[(next + chips.length) % chips.length]?.focus();
  };

  if (error) return <div className="chips muted" role="alert">Filters unavailable: {error}</div>;
  if (!facets || facets.models === 0) return null;
  const stages = [...facets.stages].sort((a, b) => STAGE_ORDER.indexOf(a.value) - STAGE_ORDER.indexOf(b.value));
  const verdicts = [...facets.scanVerdicts].sort((a, b) => VERDICT_ORDER.indexOf(a.value) - VERDICT_ORDER.indexOf(b.value));
  const signatures = [...(facets.signatures ?? [])].sort((a, b) => SIG_ORDER.indexOf(a.value) - SIG_ORDER.indexOf(b.value));
  const any = framework || modelType || tag || stage || scanVerdict || signature || text;
  return (
    <div className="chips" aria-label="Filters (arrow keys move between chips)" ref={ref} onKeyDown={onKey}>
      <Group label="Stage" k="stage" values={stages} current={stage} unit="versions" />
      <Group label="Scan" k="scanVerdict" values={verdicts} current={scanVerdict} unit="models (latest version)" labels={VERDICT_LABEL} />
      <Group label="Signature" k="signature" values={signatures} current={signature} unit="models (latest version)" labels={SIG_LABEL} />
      <Group label="Framework" k="framework" values={facets.frameworks} current={framework} unit="models" />
      <Group label="Type" k="modelType" values={facets.modelTypes} current={modelType} unit="models" />
      <Group label="Tag" k="tag" values={facets.tags} current={tag} unit="models" />
      {any ? <button type="button" className="link" onClick={clearFilters}>Clear filters</button> : null}
    </div>
  );
}
