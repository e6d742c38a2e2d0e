import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { ModelRow } from '../../../electron/contract/registry';
import type { ScanRun } from '../../../electron/contract/scan';
import { ApiError } from '../api/client';
import { callRun, callScan, hasRun, hasScan, type RunOutput } from '../api/features';
import { StageBadge } from '../components/StageBadge';
import { fmtBytes, fmtDate, fmtRelative } from '../lib/format';
import { modelHref, navigate } from '../lib/route';
import { useModels, type SortKey } from '../store/modelsStore';
import type { ModelPages } from './useModelPages';
import { ScanVerdict } from './ScanDetail';
import { VerdictBadge } from './AuditPanel';
import { useRowLookups, type Lookup } from './useRowLookups';

const ROW_H = 30;
const HEAD_H = 32;

interface Column {
  id: string;
  label: string;
  sort?: SortKey;
  align?: 'right';
  /** Shown as "—" until the feature that fills it exists. */
  pending?: string;
}

const COLUMNS: Column[] = [
  { id: 'name', label: 'Name', sort: 'name' },
  { id: 'version', label: 'Latest', sort: 'version', align: 'right' },
  { id: 'stage', label: 'Stage', sort: 'stage' },
  { id: 'format', label: 'Format', sort: 'format' },
  { id: 'size', label: 'Size', sort: 'size', align: 'right' },
  { id: 'params', label: 'Params', align: 'right', pending: 'parameter counts come from format inspection, not available yet' },
  { id: 'scan', label: 'Scan' },
  { id: 'signature', label: 'Signature', pending: 'signature checks are not available yet' },
  { id: 'audit', label: 'Audit' },
  { id: 'updated', label: 'Updated', sort: 'updated' },
];

export interface ModelsTableHandle {
  focus: () => void;
}

type ScanCellValue = Lookup<ScanRun | null> | undefined;
type AuditCellValue = Lookup<RunOutput<'audit.list'>[number] | null> | undefined;

function ScanCell({ v }: { v: ScanCellValue }) {
  if (v === undefined) return <span className="muted" title={hasScan('scan.latest') ? 'checking…' : 'scan verdicts are not available in this build yet'}>—</span>;
  if (v === 'error') return <span className="muted" title="could not read the last scan">?</span>;
  if (v === null) return <span className="muted" title="this version has not been scanned">not scanned</span>;
  return <ScanVerdict run={v} />;
}

function AuditCell({ v }: { v: AuditCellValue }) {
  if (v === undefined) return <span className="muted" title={hasRun('audit.list') ? 'checking…' : 'audit verdicts are not available in this build yet'}>—</span>;
  if (v === 'error') return <span className="muted" title="could not read the audits">?</span>;
  if (v === null) return <span className="muted" title="never audited">—</span>;
  return <span title={`${v.kind} audit, ${(v.match_rate * 100).toFixed(0)}% match`}><VerdictBadge verdict={v.verdict} /></span>;
}

function Cells({ m, scan, audit }: { m: ModelRow; scan: ScanCellValue; audit: AuditCellValue }) {
  return (
    <>
      <div role="gridcell" className="cell cell-name">
        <span className="model-name">{m.name}</span>
        <span className="model-sub">{m.framework}{m.modelType !== 'other' ? ` · ${m.modelType}` : ''}</span>
      </div>
      <div role="gridcell" className="cell num">{m.latestVersion ? `v${m.latestVersion}` : '—'}</div>
      <div role="gridcell" className="cell">
        {m.stage && m.stage !== 'none' ? <StageBadge stage={m.stage} /> : <span className="muted" title="no stage">—</span>}
        {m.productionVersion && m.productionVersion !== m.latestVersion ? <span className="prod-hint" title={`v${m.productionVersion} is in production`}>prod v{m.productionVersion}</span> : null}
      </div>
      <div role="gridcell" className="cell">{m.format ?? <span className="muted">—</span>}</div>
      <div role="gridcell" className="cell num">{fmtBytes(m.totalSize)}</div>
      <div role="gridcell" className="cell muted num" title={COLUMNS.find((c) => c.id === 'params')!.pending}>—</div>
      <div role="gridcell" className="cell"><ScanCell v={scan} /></div>
      <div role="gridcell" className="cell muted" title={COLUMNS.find((c) => c.id === 'signature')!.pending}>—</div>
      <div role="gridcell" className="cell"><AuditCell v={audit} /></div>
      <div role="gridcell" className="cell muted" title={fmtDate(m.updatedAt)}>{fmtRelative(m.updatedAt, Date.now(), true)}</div>
    </>
  );
}

/** The virtualized Models grid: fixed-height rows, pages fetched as they scroll into view. */
export const ModelsTable = forwardRef<ModelsTableHandle, { pages: ModelPages; label: string; queryKey: string }>(function ModelsTable({ pages, label, queryKey }, ref) {
  const { sort, dir, active, scrollTop, sortBy, setActive, setScrollTop } = useModels();
  const scrollRef = useRef<HTMLDivElement>(null);
  const total = pages.total ?? 0;

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 12,
    initialOffset: scrollTop,
    // The sticky header sits above the rows inside the same scroller.
    paddingStart: HEAD_H,
    scrollPaddingStart: HEAD_H,
  });

  useImperativeHandle(ref, () => ({ focus: () => scrollRef.current?.focus() }), []);

  // A new search, filter or sort starts at the top.
  const lastQuery = useRef(queryKey);
  useEffect(() => {
    if (lastQuery.current === queryKey) return;
    lastQuery.current = queryKey;
    scrollRef.current?.scrollTo({ top: 0 });
  }, [queryKey]);

  useEffect(() => {
    if (!useModels.getState().focusOnMount) return;
    useModels.setState({ focusOnMount: false });
    scrollRef.current?.focus({ preventScroll: true });
  }, []);

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const onScreen = items.map((vi) => pages.row(vi.index)).filter((m): m is ModelRow => Boolean(m));
  const scanOf = useRowLookups(onScreen, hasScan('scan.latest'), (name, version) => callScan('scan.latest', { name, version }));
  // Only runnable versions (.gguf/.onnx) can be audited; for the others the call says so: no audit.
  const auditOf = useRowLookups(onScreen, hasRun('audit.list'), (name, version) => callRun('audit.list', { model: { name, version }, limit: 1 }).then(
    (r) => r[0] ?? null,
    (e: unknown) => { if (e instanceof ApiError && e.code === 'unsupported_format') return null; throw e; },
  ));
  useEffect(() => {
    if (total) pages.ensure(first, last);
  }, [first, last, total, pages]);

  const moveTo = (i: number) => {
    if (!total) return;
    const n = Math.max(0, Math.min(total - 1, i));
    setActive(n);
    virtualizer.scrollToIndex(n, { align: 'auto' });
  };
  const open = (i: number) => {
    const m = pages.row(i);
    if (m) navigate(modelHref(m.name));
  };
  const pageRows = () => Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 300) - HEAD_H) / ROW_H) - 1);

  const activeRow = Math.min(active, Math.max(0, total - 1));
  return (
    <div
      className="grid"
      role="grid"
      aria-label={label}
      aria-rowcount={total + 1}
      aria-colcount={COLUMNS.length}
      aria-activedescendant={total ? `model-row-${activeRow}` : undefined}
      tabIndex={0}
      ref={scrollRef}
      data-testid="models-grid"
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={(e) => {
        const k = e.key;
        if (k === 'ArrowDown') moveTo(activeRow + 1);
        else if (k === 'ArrowUp') moveTo(activeRow - 1);
        else if (k === 'PageDown') moveTo(activeRow + pageRows());
        else if (k === 'PageUp') moveTo(activeRow - pageRows());
        else if (k === 'Home') moveTo(0);
        else if (k === 'End') moveTo(total - 1);
        else if (k === 'Enter') open(activeRow);
        else return;
        e.preventDefault();
      }}
    >
      <div className="grid-head" role="row" aria-rowindex={1} style={{ height: HEAD_H }}>
        {COLUMNS.map((c) => {
          const sorted = c.sort && sort === c.sort;
          return (
            <div
              key={c.id}
              role="columnheader"
              className={`cell${c.align ? ' num' : ''}`}
              aria-sort={sorted ? (dir === 'asc' ? 'ascending' : 'descending') : c.sort ? 'none' : undefined}
            >
              {c.sort ? (
                <button type="button" className="sort" onClick={() => sortBy(c.sort!)} title={`Sort by ${c.label.toLowerCase()}`}>
                  {c.label}
                  <span className="sort-mark" aria-hidden="true">{sorted ? (dir === 'asc' ? '▲' : '▼') : ''}</span>
                </button>
              ) : (
                <span title={c.pending}>{c.label}</span>
              )}
            </div>
          );
        })}
      </div>
      <div className="grid-body" style={{ height: Math.max(0, virtualizer.getTotalSize() - HEAD_H) }}>
        {items.map((vi) => {
          const m = pages.row(vi.index);
          const isActive = vi.index === activeRow;
          return (
            <div
              key={vi.key}
              id={`model-row-${vi.index}`}
              role="row"
              aria-rowindex={vi.index + 2}
              aria-selected={isActive}
              className={`grid-row${isActive ? ' active' : ''}${m ? '' : ' loading'}`}
              style={{ transform: `translateY(${vi.start - HEAD_H}px)`, height: ROW_H }}
              onMouseDown={() => setActive(vi.index)}
              onClick={() => open(vi.index)}
              data-name={m?.name}
            >
              {m ? <Cells m={m} scan={scanOf(m)} audit={auditOf(m)} /> : <div role="gridcell" className="cell skeleton-cell"><span className="skeleton" /></div>}
            </div>
          );
        })}
      </div>
    </div>
  );
});
