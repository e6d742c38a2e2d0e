import { Fragment, useMemo, useState, type KeyboardEvent } from 'react';
import type { FileEntry, VerifyResult, VersionDetail } from '../../../../electron/contract/registry';
import { api } from '../../api/client';
import { ProgressBar } from '../../components/ProgressBar';
import { errorText, fmtBytes, fmtEta, fmtRelative, fmtSpeed } from '../../lib/format';
import { useApp } from '../../store/appStore';
import { awaitJob, jobResult, useJobs } from '../../store/jobsStore';

interface Node {
  name: string;
  path: string;
  size: number;
  count: number;
  file?: FileEntry;
  children: Node[];
}

function buildTree(files: FileEntry[]): Node {
  const root: Node = { name: '', path: '', size: 0, count: 0, children: [] };
  for (const f of files) {
    const parts = f.path.split('/');
    let cur = root;
    cur.size += f.size;
    cur.count++;
    parts.forEach((p, i) => {
      const path = parts.slice(0, i + 1).join('/');
      if (i === parts.length - 1) {
        cur.children.push({ name: p, path, size: f.size, count: 1, file: f, children: [] });
        return;
      }
      let next = cur.children.find((c) => !c.file && c.name === p);
      if (!next) {
        next = { name: p, path, size: 0, count: 0, children: [] };
        cur.children.push(next);
      }
      next.size += f.size;
      next.count++;
      cur = next;
    });
  }
  const sort = (n: Node) => {
    n.children.sort((a, b) => Number(Boolean(a.file)) - Number(Boolean(b.file)) || a.name.localeCompare(b.name));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

function copy(text: string) {
  navigator.clipboard?.writeText(text).then(
    () => useApp.getState().toast({ kind: 'info', title: 'Copied SHA-256', detail: text }),
    () => useApp.getState().toast({ kind: 'error', title: 'Could not copy to the clipboard', detail: text }),
  );
}

function Rows({ node, depth, collapsed, toggle, bad }: { node: Node; depth: number; collapsed: Set<string>; toggle: (p: string) => void; bad: Map<string, VerifyResult['mismatches'][number]> }) {
  return (
    <>
      {node.children.map((c) => {
        const isDir = !c.file;
        const closed = collapsed.has(c.path);
        const mismatch = bad.get(c.path);
        return (
          <Fragment key={c.path}>
            <tr className={mismatch ? 'row-bad' : undefined} aria-level={depth + 1} data-path={c.path} data-dir={isDir ? (closed ? 'closed' : 'open') : undefined}
              aria-expanded={isDir ? !closed : undefined} tabIndex={-1}>
              <td style={{ paddingLeft: `${0.5 + depth * 1.1}rem` }}>
                {isDir ? (
                  <button type="button" className="tree-toggle" aria-expanded={!closed} onClick={() => toggle(c.path)}>
                    <span aria-hidden="true">{closed ? '▸' : '▾'}</span> {c.name}/ <span className="muted">({c.count})</span>
                  </button>
                ) : (
                  <span className="file-name">{c.name}</span>
                )}
                {mismatch ? <span className="badge bad">{mismatch.actual === 'missing' ? 'missing' : 'changed'}</span> : null}
              </td>
              <td className="num">{fmtBytes(c.size)}</td>
              <td className="mono hash">
                {c.file ? (
                  <>
                    <span className="sha" title={c.file.sha256}>{c.file.sha256}</span>
                    <button type="button" className="icon small" aria-label={`Copy SHA-256 of ${c.path}`} title="Copy SHA-256" onClick={() => copy(c.file!.sha256)}>
                      <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true"><path fill="currentColor" d="M5 1h8a2 2 0 012 2v8h-2V3H5zM3 5h7a2 2 0 012 2v7a2 2 0 01-2 2H3a2 2 0 01-2-2V7a2 2 0 012-2zm0 2v7h7V7z" /></svg>
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
            {isDir && !closed ? <Rows node={c} depth={depth + 1} collapsed={collapsed} toggle={toggle} bad={bad} /> : null}
          </Fragment>
        );
      })}
    </>
  );
}

/** Files of a version as a tree with sizes and hashes, and the Verify job with its mismatch list. */
export function FilesTab({ version, onChanged }: { version: VersionDetail; onChanged: () => void }) {
  const tree = useMemo(() => buildTree(version.files), [version.files]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [jobId, setJobId] = useState<string | null>(null);
  const [result, setResult] = useState<{ key: string; r: VerifyResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));
  const key = `${version.model}@${version.version}`;
  const shown = result?.key === key ? result.r : null;
  const bad = useMemo(() => new Map((shown?.mismatches ?? []).map((m) => [m.path, m])), [shown]);

  const verify = async () => {
    setError(null);
    setResult(null);
    try {
      const { jobId: id } = await api.call('registry.verify', { name: version.model, version: version.version });
      setJobId(id);
      const r = jobResult<VerifyResult>(await awaitJob(id));
      setResult({ key, r });
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setJobId(null);
    }
  };
  const toggle = (p: string) => setCollapsed((s) => {
    const n = new Set(s);
    if (n.has(p)) n.delete(p);
    else n.add(p);
    return n;
  });
  const running = jobId !== null;
  // Arrows move between rows, Right/Left open and close folders, Enter toggles a folder or copies a hash.
  const onTreeKey = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    const rows = Array.from(e.currentTarget.querySelectorAll<HTMLTableRowElement>('tr'));
    const tr = (e.target as HTMLElement).closest('tr');
    const i = tr ? rows.indexOf(tr) : -1;
    const dir = tr?.dataset.dir;
    const path = tr?.dataset.path;
    if (e.key === 'ArrowDown') rows[Math.min(rows.length - 1, i + 1)]?.focus();
    else if (e.key === 'ArrowUp') rows[Math.max(0, i - 1)]?.focus();
    else if (e.key === 'Home') rows[0]?.focus();
    else if (e.key === 'End') rows[rows.length - 1]?.focus();
    else if (path && dir && ((e.key === 'ArrowRight' && dir === 'closed') || (e.key === 'ArrowLeft' && dir === 'open') || e.key === 'Enter')) toggle(path);
    else if (path && !dir && e.key === 'Enter') {
      const f = version.files.find((x) => x.path === path);
      if (f) copy(f.sha256);
    } else return;
    e.preventDefault();
  };

  return (
    <div className="files-tab">
      <div className="toolbar">
        <span><strong>{version.files.length}</strong> file{version.files.length === 1 ? '' : 's'} · {fmtBytes(version.totalSize)} · {version.storage === 'in_place' ? <>registered in place at <span className="mono">{version.sourcePath}</span></> : 'vault copy'}</span>
        <span className="spacer" />
        <span className={`integrity integrity-${version.integrity}`} title="Result of the last verification">{version.integrity}{version.verifiedAt ? ` · ${fmtRelative(version.verifiedAt)}` : ''}</span>
        <button type="button" className="primary" onClick={() => void verify()} disabled={running}>{running ? 'Verifying…' : 'Verify'}</button>
      </div>
      {running ? (
        <div className="verify-progress" role="status">
          <ProgressBar done={job?.doneBytes ?? 0} total={job?.totalBytes ?? null} label="Verification progress" state={job?.state} />
          <span className="muted">{job ? `${fmtBytes(job.doneBytes)}${job.totalBytes ? ` of ${fmtBytes(job.totalBytes)}` : ''} ${fmtSpeed(job.bytesPerSec)} ${job.etaSec ? `ETA ${fmtEta(job.etaSec)}` : ''}` : 'starting…'}</span>
        </div>
      ) : null}
      {error ? <div className="banner error" role="alert"><div><strong>Verification of {key} failed</strong><div className="banner-detail">{error}</div></div></div> : null}
      {shown?.ok ? (
        <div className="banner ok" role="status" data-testid="verify-ok">All {version.files.length} file{version.files.length === 1 ? '' : 's'} match their recorded SHA-256.</div>
      ) : null}
      {shown && !shown.ok ? (
        <div className="banner error" role="alert" data-testid="verify-mismatch">
          <div>
            <strong>{shown.mismatches.length} file{shown.mismatches.length === 1 ? '' : 's'} no longer match{shown.mismatches.length === 1 ? 'es' : ''} {key}</strong>
            <table className="table compact mismatch-table" aria-label="Mismatches">
              <thead><tr><th>File</th><th>Expected SHA-256</th><th>Actual</th></tr></thead>
              <tbody>
                {shown.mismatches.map((m) => (
                  <tr key={m.path}><td>{m.path}</td><td className="mono hash">{m.expected}</td><td className="mono hash">{m.actual}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
      <table className="table files-table" role="treegrid" aria-label={`Files of ${key}`}>
        <thead><tr><th>Name</th><th className="num">Size</th><th>SHA-256</th></tr></thead>
        <tbody onKeyDown={onTreeKey} onFocus={(e) => { if (e.target === e.currentTarget) (e.currentTarget.querySelector('tr') as HTMLElement | null)?.focus(); }} tabIndex={0} aria-label="Files, use arrow keys">
          <Rows node={tree} depth={0} collapsed={collapsed} toggle={toggle} bad={bad} />
        </tbody>
      </table>
    </div>
  );
}
