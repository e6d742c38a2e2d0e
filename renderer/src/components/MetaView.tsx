import { Fragment, useMemo, useState, type ReactNode } from 'react';
import { fmtInt } from '../lib/format';

// Renders format metadata whatever its shape: scalars as a property list; objects of numbers as a
// histogram; arrays of records as filterable tables (tensors, inputs/outputs); other objects as
// key/value tables (GGUF KV pairs); `issues` as warnings.

type Json = unknown;
const isScalar = (v: Json): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Words that read as acronyms once keys like irVersion or bos_token_id are split. */
const ACRONYMS = /\b(ir|id|kv|gguf|onnx|url|json|rope|bos|eos|pad|unk|hf)\b/g;
const humanize = (k: string): string => {
  const s = k.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(ACRONYMS, (w) => w.toUpperCase());
  return s.charAt(0).toUpperCase() + s.slice(1);
};
const ROW_CAP = 500;

/** One value in a cell: shapes as [a × b], short arrays inline, GGUF array summaries, JSON otherwise. */
export function fmtValue(v: Json, key = ''): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? fmtInt(v) : String(Number(v.toPrecision(8)));
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (/shape|dims/i.test(key) && v.every((x) => isScalar(x))) return `[${v.join(' × ')}]`;
    if (v.length <= 16 && v.every((x) => isScalar(x))) return v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ');
    return `${fmtInt(v.length)} items: ${JSON.stringify(v.slice(0, 8)).slice(0, 160)}…`;
  }
  if (isRecord(v) && 'type' in v && 'count' in v && 'head' in v) {
    return `array of ${fmtInt(Number(v.count))} ${String(v.type)}: ${JSON.stringify(v.head).slice(0, 160)}${Number(v.count) > (Array.isArray(v.head) ? v.head.length : 0) ? '…' : ''}`;
  }
  return JSON.stringify(v).slice(0, 300);
}

function Filterable({ count, children }: { count: number; children: (q: string) => ReactNode }) {
  const [q, setQ] = useState('');
  return (
    <>
      {count > 12 ? <input type="search" className="meta-filter" placeholder={`Filter ${fmtInt(count)} rows…`} aria-label="Filter rows" value={q} onChange={(e) => setQ(e.target.value)} /> : null}
      {children(q.trim().toLowerCase())}
    </>
  );
}

function RecordTable({ title, rows }: { title: string; rows: Array<Record<string, Json>> }) {
  const cols = useMemo(() => [...new Set(rows.slice(0, 200).flatMap((r) => Object.keys(r)))], [rows]);
  const [all, setAll] = useState(false);
  return (
    <Filterable count={rows.length}>
      {(q) => {
        const hits = q ? rows.filter((r) => cols.some((c) => fmtValue(r[c], c).toLowerCase().includes(q))) : rows;
        const shown = all ? hits : hits.slice(0, ROW_CAP);
        return (
          <>
            <div className="table-scroll">
              <table className="table compact" aria-label={title}>
                <thead><tr>{cols.map((c) => <th key={c}>{humanize(c)}</th>)}</tr></thead>
                <tbody>{shown.map((r, i) => <tr key={i}>{cols.map((c) => <td key={c} className={typeof r[c] === 'number' ? 'num mono' : /name|shape|dims|type/i.test(c) ? 'mono' : undefined}>{fmtValue(r[c], c)}</td>)}</tr>)}</tbody>
              </table>
            </div>
            {hits.length > shown.length ? <button type="button" className="link" onClick={() => setAll(true)}>Show all {fmtInt(hits.length)} rows</button> : null}
            {q && !hits.length ? <p className="muted">No rows match {JSON.stringify(q)}.</p> : null}
          </>
        );
      }}
    </Filterable>
  );
}

function KvTable({ title, obj }: { title: string; obj: Record<string, Json> }) {
  const entries = Object.entries(obj);
  return (
    <Filterable count={entries.length}>
      {(q) => {
        const hits = q ? entries.filter(([k, v]) => k.toLowerCase().includes(q) || fmtValue(v, k).toLowerCase().includes(q)) : entries;
        return (
          <div className="table-scroll">
            <table className="table compact kv-table" aria-label={title}>
              <tbody>{hits.slice(0, 2000).map(([k, v]) => <tr key={k}><td className="mono kv-key">{k}</td><td className="mono kv-value">{fmtValue(v, k)}</td></tr>)}</tbody>
            </table>
          </div>
        );
      }}
    </Filterable>
  );
}

function Histogram({ title, counts }: { title: string; counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return (
    <ul className="histogram" aria-label={title}>
      {entries.map(([k, n]) => (
        <li key={k}><span className="mono hist-key">{k}</span><span className="hist-bar"><span style={{ width: `${(n / max) * 100}%` }} /></span><span className="num">{fmtInt(n)}</span></li>
      ))}
    </ul>
  );
}

export function MetaView({ data, skip = [] }: { data: Record<string, Json>; skip?: string[] }) {
  const entries = Object.entries(data).filter(([k]) => !skip.includes(k));
  const scalars = entries.filter(([, v]) => isScalar(v) && !(typeof v === 'string' && (v.length > 160 || v.includes('\n'))));
  const longText = entries.filter(([, v]) => typeof v === 'string' && (v.length > 160 || v.includes('\n')));
  const rest = entries.filter(([, v]) => !isScalar(v) && v !== undefined);
  const issues = rest.find(([k]) => k === 'issues')?.[1];
  return (
    <div className="meta-view">
      {Array.isArray(issues) && issues.length ? (
        <div className="banner warn" role="status">
          <div><strong>{issues.length} issue{issues.length === 1 ? '' : 's'} reading the file</strong>
            <ul className="issue-list">{issues.slice(0, 50).map((i, n) => <li key={n}>{isRecord(i) ? `${'offset' in i ? `@${fmtValue(i.offset)}: ` : ''}${typeof i.message === 'string' ? i.message : JSON.stringify(i)}` : fmtValue(i)}</li>)}</ul>
          </div>
        </div>
      ) : null}
      {scalars.length ? (
        <dl className="props meta-props">
          {scalars.map(([k, v]) => <Fragment key={k}><dt>{humanize(k)}</dt><dd className={typeof v === 'number' ? 'mono' : undefined}>{fmtValue(v, k)}</dd></Fragment>)}
        </dl>
      ) : null}
      {rest.filter(([k]) => k !== 'issues').map(([k, v]) => {
        const title = humanize(k);
        let body: ReactNode = null;
        let count: number | null = null;
        if (Array.isArray(v)) {
          count = v.length;
          if (!v.length) body = <p className="muted">none</p>;
          else if (v.every(isRecord)) body = <RecordTable title={title} rows={v} />;
          else body = <p className="mono wrap">{v.map((x) => fmtValue(x)).join(', ')}</p>;
        } else if (isRecord(v)) {
          const vals = Object.values(v);
          count = vals.length;
          if (!vals.length) body = <p className="muted">none</p>;
          else if (vals.every((x) => typeof x === 'number') && /histogram|count/i.test(k)) body = <Histogram title={title} counts={v as Record<string, number>} />;
          else if (vals.every((x) => typeof x === 'string' && x.length > 160)) body = <>{Object.entries(v).map(([kk, vv]) => <details key={kk}><summary className="mono">{kk}</summary><pre className="long-text">{String(vv)}</pre></details>)}</>;
          else body = <KvTable title={title} obj={v} />;
        }
        return (
          <section key={k} className="card meta-section" aria-label={title}>
            <h3>{title}{count !== null ? <span className="count">{fmtInt(count)}</span> : null}</h3>
            {body}
          </section>
        );
      })}
      {longText.map(([k, v]) => (
        <details key={k} className="card">
          <summary>{humanize(k)}</summary>
          <pre className="long-text">{String(v)}</pre>
        </details>
      ))}
    </div>
  );
}
