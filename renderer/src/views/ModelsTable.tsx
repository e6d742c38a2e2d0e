import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from 'react';
import type { ModelRow } from '../../../electron/contract/registry';
import { StageBadge } from '../components/StageBadge';
import { fmtBytes, fmtDate, fmtInt, fmtParams, fmtRelative } from '../lib/format';
import { modelHref, navigate } from '../lib/route';
import { useModels, type SortKey } from '../store/modelsStore';
import type { ModelPages } from './useModelPages';
import { PendingImports, usePendingImports } from './PendingImports';
import { ScanVerdict } from './ScanDetail';
import { VerdictBadge } from './AuditPanel';
import { SignatureBadge } from './SignaturePanel';

const ROW_H = 30;
/** How far down a re-sorted list the selected model is looked for. */
const SEEK_LIMIT = 5000;
const HEAD_H = 32;

interface Column {
  id: SortKey;
  label: string;
  align?: 'right';
  /** Header tooltip: what the column means. */
  help?: string;
}

const COLUMNS: Column[] = [
  { id: 'name', label: 'Name' },
  { id: 'version', label: 'Latest', align: 'right', help: 'latest version number' },
  { id: 'stage', label: 'Stage', help: 'stage of the latest version' },
  { id: 'format', label: 'Format', help: 'format detected from the bytes of the latest version' },
  { id: 'size', label: 'Size', align: 'right' },
  { id: 'params', label: 'Params', align: 'right', help: 'parameters counted from the tensors of the latest version' },
  { id: 'scan', label: 'Scan', help: 'verdict of the latest static scan of the latest version' },
  { id: 'signature', label: 'Signature', help: 'OpenSSF model-signing signature of the latest version: valid, invalid, not verified (no key given) or unsigned' },
  { id: 'audit', label: 'Audit', help: 'verdict of the latest fingerprint or link audit of the latest version' },
  { id: 'updated', label: 'Updated' },
];

export interface ModelsTableHandle {
  focus: () => void;
}

function ScanCell({ m }: { m: ModelRow }) {
  if (!m.latestVersion) return <span className="muted">—</span>;
  const s = m.scan;
  if (!s) return <span className="muted verdict-none" title={`v${m.latestVersion} has not been scanned: open it and choose Security → Scan now`}>not scanned</span>;
  return (
    <a className="cell-link" href={modelHref(m.name, undefined, 'security')} onClick={(e) => e.stopPropagation()}
      title={s.verdict === 'findings' ? `${fmtInt(s.findings)} finding${s.findings === 1 ? '' : 's'}, worst ${s.worst ?? 'info'}` : s.verdict === 'clean' ? 'no findings' : 'the scan could not read every file'}>
      <ScanVerdict run={{ status: 'done', verdict: s.verdict, worst: s.worst }} />
    </a>
  );
}

function AuditCell({ m }: { m: ModelRow }) {
  const a = m.audit;
  if (!a) return <span className="muted" title="never audited">—</span>;
  return <a className="cell-link" href={modelHref(m.name, undefined, 'audits')} onClick={(e) => e.stopPropagation()} title={`${a.kind} audit, ${(a.matchRate * 100).toFixed(0)}% match, ${fmtDate(a.finishedAt)}`}><VerdictBadge verdict={a.verdict} /></a>;
}

function SignatureCell({ m }: { m: ModelRow }) {
  if (!m.latestVersion) return <span className="muted">—</span>;
  const s = m.signature;
  if (!s || s.status === 'unsigned') return <span className="muted" title={`v${m.latestVersion} has no signature`}>unsigned</span>;
  return (
    <a className="cell-link" href={modelHref(m.name, undefined, 'security')} onClick={(e) => e.stopPropagation()} title={`${s.reason ?? (s.signer ? `signed by ${s.signer}` : s.status)} · checked ${fmtDate(s.checkedAt)}`}>
      <SignatureBadge status={s.status} short />
    </a>
  );
}

function Cells({ m }: { m: ModelRow }) {
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
      <div role="gridcell" className={`cell num${m.parameters === null ? ' muted' : ''}`} title={m.parameters === null ? 'no tensors counted (not inspected, or a format without tensors)' : `${fmtInt(m.parameters)} parameters`}>{fmtParams(m.parameters)}</div>
      <div role="gridcell" className="cell"><ScanCell m={m} /></div>
      <div role="gridcell" className="cell"><SignatureCell m={m} /></div>
      <div role="gridcell" className="cell"><AuditCell m={m} /></div>
      <div role="gridcell" className="cell muted" title={fmtDate(m.updatedAt)}>{fmtRelative(m.updatedAt, Date.now(), true)}</div>
    </>
  );
}

/** The virtualized Models grid: fixed-height rows, pages fetched as they scroll into view. */
export const ModelsTable = forwardRef<ModelsTableHandle, { pages: ModelPages; label: string; queryKey: string }>(function ModelsTable({ pages, label, queryKey }, ref) {
  const { sort, dir, active, scrollTop, sortBy, setActive, setScrollTop } = useModels();
  const scrollRef = useRef<HTMLDivElement>(null);
  const total = pages.total ?? 0;
  // Imports on their way in sit between the header and the rows; the rows start below them.
  const pending = usePendingImports();
  const pendingRef = useRef<HTMLDivElement>(null);
  const [pendingH, setPendingH] = useState(0);
  useLayoutEffect(() => {
    const el = pendingRef.current;
    if (!el) {
      setPendingH(0);
      return;
    }
    setPendingH(el.offsetHeight);
    const ro = new ResizeObserver(() => setPendingH(el.offsetHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, [pending.length]);
  const top = HEAD_H + pendingH;

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 12,
    initialOffset: scrollTop,
    // The sticky header (and any import placeholders) sit above the rows inside the same scroller.
    paddingStart: top,
    scrollPaddingStart: top,
  });

  useImperativeHandle(ref, () => ({ focus: () => scrollRef.current?.focus() }), []);

  // A new search or filter starts at the top; a re-sort keeps the selected model selected: it is looked
  // for in the new order (page by page, up to SEEK_LIMIT rows) and scrolled into view.
  const lastQuery = useRef(queryKey);
  const seeking = useRef<string | null>(null);
  useEffect(() => {
    if (lastQuery.current === queryKey) return;
    lastQuery.current = queryKey;
    seeking.current = useModels.getState().activeName;
    if (!seeking.current) scrollRef.current?.scrollTo({ top: 0 });
  });
  useEffect(() => {
    const name = seeking.current;
    if (!name || pages.total === null) return;
    const limit = Math.min(total, SEEK_LIMIT);
    for (let i = 0; i < limit; i++) {
      const m = pages.row(i);
      if (!m) {
        pages.ensure(i, i + 1);
        return; // look again when that page arrives
      }
      if (m.name === name) {
        seeking.current = null;
        setActive(i, name);
        virtualizer.scrollToIndex(i, { align: 'auto' });
        return;
      }
    }
    // Not among the first rows (or gone): start at the top as a new query does.
    seeking.current = null;
    setActive(0, null);
    scrollRef.current?.scrollTo({ top: 0 });
  });

  useEffect(() => {
    if (!useModels.getState().focusOnMount) return;
    useModels.setState({ focusOnMount: false });
    scrollRef.current?.focus({ preventScroll: true });
  }, []);

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (total) pages.ensure(first, last);
  }, [first, last, total, pages]);

  const moveTo = (i: number) => {
    if (!total) return;
    const n = Math.max(0, Math.min(total - 1, i));
    setActive(n, pages.row(n)?.name ?? null);
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
      data-skip-target
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
          const sorted = sort === c.id;
          return (
            <div
              key={c.id}
              role="columnheader"
              className={`cell${c.align ? ' num' : ''}`}
              aria-sort={sorted ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
            >
              <button type="button" className="sort" onClick={() => sortBy(c.id)} title={`Sort by ${c.label.toLowerCase()}${c.help ? ` (${c.help})` : ''}`}>
                {c.label}
                <span className="sort-mark" aria-hidden="true">{sorted ? (dir === 'asc' ? '▲' : '▼') : ''}</span>
              </button>
            </div>
          );
        })}
      </div>
      <PendingImports ref={pendingRef} tasks={pending} />
      <div className="grid-body" style={{ height: Math.max(0, virtualizer.getTotalSize() - top) }}>
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
              style={{ transform: `translateY(${vi.start - top}px)`, height: ROW_H }}
              onMouseDown={() => setActive(vi.index, m?.name ?? null)}
              onClick={() => open(vi.index)}
              data-name={m?.name}
            >
              {m ? <Cells m={m} /> : <div role="gridcell" className="cell skeleton-cell"><span className="skeleton" /></div>}
            </div>
          );
        })}
      </div>
    </div>
  );
});
