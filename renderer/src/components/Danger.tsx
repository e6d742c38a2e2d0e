// Danger impossible to miss: a version whose latest scan found high or critical problems gets a red
// banner on the pages that lead to loading or shipping it, and promoting or exporting it asks first,
// naming the findings.
import { useEffect, useRef } from 'react';
import type { DangerousFindings } from '../../../electron/contract/registry';
import { describeDanger } from '../../../electron/contract/registry';
import { api } from '../api/client';
import { modelHref } from '../lib/route';
import { useAsync } from '../lib/useAsync';
import { useApp } from '../store/appStore';

export function useDanger(name: string, version: number): DangerousFindings | null | undefined {
  const gen = useApp((s) => s.registryGen);
  return useAsync(() => api.call('registry.danger', { name, version }), `${name}@${version}`, gen).data;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export function dangerTitle(d: DangerousFindings): string {
  return [d.critical ? plural(d.critical, 'critical finding') : '', d.high ? plural(d.high, 'high finding') : ''].filter(Boolean).join(' and ');
}

function RuleList({ d }: { d: DangerousFindings }) {
  return (
    <ul className="danger-rules">
      {d.rules.slice(0, 4).map((r) => (
        <li key={`${r.severity}-${r.rule}`}>
          <span className={`sev sev-${r.severity}`}>{r.severity}</span> <code>{r.rule}</code>{r.count > 1 ? ` ×${r.count}` : ''} in <span className="mono">{r.file}</span>
          <div className="danger-detail">{r.detail}</div>
        </li>
      ))}
      {d.rules.length > 4 ? <li className="muted">…and {plural(d.rules.length - 4, 'more rule')}</li> : null}
    </ul>
  );
}

/** The red banner: what was found, what loading it can do, where to look. */
export function DangerBanner({ name, version }: { name: string; version: number }) {
  const d = useDanger(name, version);
  if (!d) return null;
  return (
    <div className="banner danger-banner" role="alert" data-testid="danger-banner">
      <span className="danger-icon" aria-hidden="true">⚠</span>
      <div>
        <strong>Do not load {name}@{version}: its latest scan found {dangerTitle(d)}</strong>
        <div className="banner-detail">
          Loading this file in Python (pickle, torch.load, joblib) can run code on this machine. Get it from a trusted source
          or convert it to safetensors before you use or ship it.
        </div>
        <RuleList d={d} />
      </div>
      <a className="button small" href={modelHref(name, version, 'security')}>Review findings</a>
    </div>
  );
}

/** "Promote anyway?": explicit confirmation that names the findings; Cancel is the default button. */
export function DangerConfirm({ what, name, version, d, onConfirm, onCancel }: {
  what: string; name: string; version: number; d: DangerousFindings; onConfirm: () => void; onCancel: () => void;
}) {
  const target = `${name}@${version}`;
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onCancel(); }}>
      <div
        className="dialog danger-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="danger-title"
        aria-describedby="danger-desc"
        onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onCancel(); } }}
      >
        <h2 id="danger-title"><span className="danger-icon" aria-hidden="true">⚠</span> {what} {target} with {dangerTitle(d)}?</h2>
        <p id="danger-desc">
          The latest scan of {target} found {describeDanger(d)}. Anyone who loads it may run the code it carries.
          Review the findings first; go ahead only if you trust where this file came from.
        </p>
        <RuleList d={d} />
        <div className="button-row end">
          <button type="button" ref={cancelRef} onClick={onCancel}>Cancel</button>
          <a className="button" href={modelHref(name, version, 'security')} onClick={onCancel}>Review findings</a>
          <button type="button" className="danger" onClick={onConfirm}>{what} anyway</button>
        </div>
      </div>
    </div>
  );
}
