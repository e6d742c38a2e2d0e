import { Fragment, useMemo, useState } from 'react';
import type { Finding, RuleInfo, ScanRun, Severity } from '../../../electron/contract/scan';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { download } from '../lib/download';
import { fmtBytes, fmtDate, fmtInt, fmtMs } from '../lib/format';
import { modelHref } from '../lib/route';
import { useAsync } from '../lib/useAsync';
import { toastError } from '../store/appStore';

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function ScanVerdict({ run }: { run: Pick<ScanRun, 'verdict' | 'status' | 'worst'> }) {
  if (run.status === 'running') return <span className="badge job-state-running">scanning</span>;
  if (run.status === 'failed' || run.verdict === 'error') return <span className="badge sev-high">error</span>;
  if (run.verdict === 'clean') return <span className="badge verdict-clean">clean</span>;
  return <span className={`badge sev-${run.worst ?? 'info'}`}>findings{run.worst ? ` · ${run.worst}` : ''}</span>;
}

export function SeverityCounts({ counts }: { counts: ScanRun['counts'] }) {
  const nonzero = SEVERITIES.filter((s) => counts[s] > 0);
  if (!nonzero.length) return <span className="muted">no findings</span>;
  return <span className="sev-counts">{nonzero.map((s) => <span key={s} className={`sev-count sev-${s}`} title={s}>{counts[s]} {s}</span>)}</span>;
}

/**
 * A finding's detail, split as the scanners write it: "os.system comes from os, runs shell commands [GLOBAL;
 * called 1× (first REDUCE at byte 35 with ("echo pwned",))]" → summary, callable, arguments, opcode detail.
 */
export function splitDetail(detail: string): { summary: string; callable: string | null; args: string | null; opcodes: string | null } {
  const m = /^(.*?) \[(.*)\]$/s.exec(detail);
  const summary = m ? m[1]! : detail;
  const opcodes = m ? m[2]! : null;
  const callable = /^([\w.]+\.[\w.]+) (comes from|executes|runs|reaches|deserialises|opens|builds|installs|reads|downloads|is a|walks)/.exec(summary)?.[1] ?? null;
  const args = opcodes ? (/ with (.*)\)$/s.exec(opcodes)?.[1] ?? null) : null;
  return { summary, callable, args, opcodes };
}

/** The expanded finding, as GitHub code scanning shows an alert: what happens, the call, how to fix, rule help. */
function FindingHelp({ finding, info, parts }: { finding: Finding; info: RuleInfo | undefined; parts: ReturnType<typeof splitDetail> }) {
  return (
    <div className="rule-help finding-help">
      <h4>{info?.title ?? finding.rule}</h4>
      {info?.impact ? <><h5>What happens if this file is loaded</h5><p>{info.impact}</p></> : null}
      {parts.callable || parts.args ? (
        <dl className="props finding-call">
          {parts.callable ? <><dt>Callable</dt><dd className="mono">{parts.callable}</dd></> : null}
          {parts.args ? <><dt>Arguments</dt><dd className="mono wrap">{parts.args}</dd></> : null}
        </dl>
      ) : null}
      {info?.fix ? <><h5>How to fix</h5><p>{info.fix}</p></> : null}
      <h5>Rule <code>{finding.rule}</code></h5>
      <p>{info?.help ?? 'No help for this rule.'}</p>
      {parts.opcodes ? (
        <details>
          <summary>Opcode detail</summary>
          <p className="mono wrap">{parts.opcodes} · {finding.location} in {finding.file}</p>
        </details>
      ) : null}
    </div>
  );
}

/** One scan run: summary, findings (filterable by severity) with each rule's explanation, exports. */
export function ScanDetail({ run, showTarget = false }: { run: ScanRun; showTarget?: boolean }) {
  const [minSeverity, setMin] = useState<Severity>('info');
  const detail = useAsync(() => api.call('scan.get', { id: run.id, minSeverity }), `${run.id}:${minSeverity}:${run.finishedAt ?? ''}`);
  const rules = useAsync(() => api.call('scan.rules', {}), 'rules');
  const [open, setOpen] = useState<number | null>(null);
  const ruleInfo = useMemo(() => new Map((rules.data ?? []).map((r) => [r.id, r])), [rules.data]);
  const findings = useMemo(() => (detail.data?.files ?? []).flatMap((f) => f.findings.map((x) => ({ ...x, scannedAs: f.format }))).sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)), [detail.data]);
  const errors = (detail.data?.files ?? []).filter((f) => f.error);

  const exportAs = async (format: 'json' | 'sarif') => {
    try {
      const r = await api.call('scan.export', { id: run.id, format });
      download(r.filename, r.content, r.mimeType);
    } catch (e) {
      toastError(`Could not export the scan as ${format.toUpperCase()}`, e);
    }
  };

  return (
    <div className="scan-detail" data-testid="scan-detail">
      <div className="toolbar">
        <ScanVerdict run={run} />
        <SeverityCounts counts={run.counts} />
        <span className="muted small">{fmtInt(run.fileCount)} file{run.fileCount === 1 ? '' : 's'} · {fmtBytes(run.bytes)} · {run.durationMs !== null ? fmtMs(run.durationMs) : '…'} · scanner {run.scannerVersion} · {fmtDate(run.finishedAt ?? run.startedAt)}</span>
        <span className="spacer" />
        <button type="button" className="small" onClick={() => void exportAs('json')}>Export JSON</button>
        <button type="button" className="small" onClick={() => void exportAs('sarif')}>Export SARIF</button>
      </div>
      {showTarget ? (
        <p>Target: {run.model && run.version ? <a href={modelHref(run.model, run.version, 'security')}>{run.model}@{run.version}</a> : <span className="mono">{run.target}</span>}</p>
      ) : null}
      {run.error ? <ErrorBanner title="The scan failed" error={run.error} /> : null}
      {detail.error ? <ErrorBanner title="Could not load the findings" error={detail.error} onRetry={detail.reload} /> : null}
      {errors.length ? (
        <div className="banner warn" role="status"><div><strong>{errors.length} file{errors.length === 1 ? '' : 's'} could not be fully scanned</strong>
          <ul className="issue-list">{errors.map((f) => <li key={f.path}><span className="mono">{f.path}</span>: {f.error}</li>)}</ul></div></div>
      ) : null}
      <div className="toolbar">
        <label className="inline-field"><span>Show</span>
          <select aria-label="Minimum severity" value={minSeverity} onChange={(e) => setMin(e.target.value as Severity)}>
            {SEVERITIES.map((s) => <option key={s} value={s}>{s === 'info' ? 'all findings' : `${s} and worse`}</option>)}
          </select>
        </label>
      </div>
      {detail.data && !findings.length ? <p className="muted">{run.verdict === 'clean' ? 'No findings: nothing in these files can run code or escape on load, as far as the rules see.' : 'No findings at this severity.'}</p> : null}
      {findings.length ? (
        <table className="table compact findings" aria-label="Findings">
          <thead><tr><th>Severity</th><th>Finding</th><th>File</th><th>What it does</th></tr></thead>
          <tbody>
            {findings.map((f, i) => {
              const info = ruleInfo.get(f.rule);
              const parts = splitDetail(f.detail);
              return (
                <Fragment key={i}>
                  <tr className="finding" onClick={() => setOpen(open === i ? null : i)} tabIndex={0} aria-expanded={open === i}
                    onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setOpen(open === i ? null : i); } }}>
                    <td><SeverityBadge severity={f.severity} /></td>
                    <td><span className="finding-title">{info?.title ?? f.rule}</span><div className="mono muted small">{f.rule}</div></td>
                    <td className="mono wrap">{f.file}<div className="muted small">{f.location}</div></td>
                    <td>{parts.summary}<span className="finding-more" aria-hidden="true">{open === i ? '▾' : '▸'}</span></td>
                  </tr>
                  {open === i ? (
                    <tr className="finding-open">
                      <td colSpan={4}>
                        <FindingHelp finding={f} info={info} parts={parts} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
