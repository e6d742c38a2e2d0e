import { useState, type FormEvent } from 'react';
import { FINGERPRINT_LIMITS } from '../../../electron/contract/audit';
import { api, isElectron } from '../api/client';
import { download } from '../lib/download';
import { errorText, fmtRelative } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { toastError, useApp } from '../store/appStore';
import { AuditPanel } from './AuditPanel';

/** The library of encrypted fingerprint sets: generate, list, delete. */
function FingerprintSets() {
  const [n, setN] = useState(0);
  const sets = useAsync(() => api.call('fingerprints.list', {}), 'sets', n);
  const [name, setName] = useState('fingerprints');
  const [count, setCount] = useState(128);
  const [keyLength, setKeyLength] = useState(16);
  const [responseLength, setResponseLength] = useState(8);
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const generate = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('fingerprints.generate', { name, count, keyLength, responseLength, ...(passphrase ? { passphrase } : {}) });
      useApp.getState().toast({ kind: 'success', title: `Generated ${r.count} fingerprints`, detail: `set #${r.id} "${name}"` });
      setN((x) => x + 1);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: number, label: string) => {
    if (!window.confirm(`Delete the fingerprint set ${label}? Audits already run keep their reports.`)) return;
    try {
      await api.call('fingerprints.delete', { id });
      setN((x) => x + 1);
    } catch (err) {
      toastError(`Could not delete ${label}`, err);
    }
  };

  return (
    <div className="card">
      <h3>Fingerprint sets</h3>
      {sets.error ? <div className="field-error" role="alert">{errorText(sets.error)}</div> : null}
      {sets.data?.length ? (
        <table className="table compact" aria-label="Fingerprint sets">
          <thead><tr><th>Name</th><th className="num">Count</th><th className="num">Key / response</th><th>Key</th><th>Created</th><th /></tr></thead>
          <tbody>{sets.data.map((s) => (
            <tr key={s.id}><td>{s.name}</td><td className="num">{s.count}</td><td className="num">{s.key_length} / {s.response_length}</td><td>{s.key_source}</td><td>{fmtRelative(s.created_at)}</td>
              <td><button type="button" className="small" onClick={() => void remove(s.id, `#${s.id} "${s.name}"`)} aria-label={`Delete fingerprint set ${s.name}`}>Delete</button></td></tr>
          ))}</tbody>
        </table>
      ) : sets.data ? <p className="muted">No sets yet.</p> : null}
      <form className="inline-form wrap" onSubmit={(e) => void generate(e)} aria-label="Generate fingerprints">
        <input aria-label="Set name" value={name} onChange={(e) => setName(e.target.value)} />
        <label className="inline-field"><span>count</span><input type="number" className="narrow" min={1} max={FINGERPRINT_LIMITS.count} value={count} onChange={(e) => setCount(Number(e.target.value) || 1)} /></label>
        <label className="inline-field"><span>key</span><input type="number" className="narrow" min={1} max={FINGERPRINT_LIMITS.keyLength} value={keyLength} onChange={(e) => setKeyLength(Number(e.target.value) || 1)} /></label>
        <label className="inline-field"><span>response</span><input type="number" className="narrow" min={1} max={FINGERPRINT_LIMITS.responseLength} value={responseLength} onChange={(e) => setResponseLength(Number(e.target.value) || 1)} /></label>
        <input aria-label="Passphrase for the new set" type="password" placeholder={isElectron() ? 'passphrase (optional)' : 'passphrase'} value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={busy}>{busy ? 'Generating…' : 'Generate'}</button>
      </form>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
      {sets.data?.length ? <ExportForTrainer sets={sets.data} /> : null}
    </div>
  );
}

/** Decrypts a set into the file a trainer fine-tunes on (OML JSON or prompt/completion JSON lines). */
function ExportForTrainer({ sets }: { sets: Array<{ id: number; name: string; key_source: string }> }) {
  const [setId, setSetId] = useState(String(sets[0]!.id));
  const [format, setFormat] = useState<'oml' | 'jsonl'>('oml');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const chosen = sets.find((x) => String(x.id) === setId) ?? sets[0]!;
  const exportSet = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api.call('fingerprints.export', { source: { setId: chosen.id }, format, ...(passphrase ? { passphrase } : {}) });
      const safe = chosen.name.replace(/[^A-Za-z0-9._-]+/g, '_');
      download(`fingerprints-${safe}.${format === 'oml' ? 'json' : 'jsonl'}`, r.content ?? '', format === 'oml' ? 'application/json' : 'application/x-ndjson');
      setPassphrase('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="inline-form wrap" onSubmit={(e) => void exportSet(e)} aria-label="Export fingerprints for training">
      <span className="muted">Export for the trainer (unencrypted: keep it private)</span>
      <select aria-label="Set to export" value={setId} onChange={(e) => setSetId(e.target.value)}>
        {sets.map((x) => <option key={x.id} value={x.id}>#{x.id} {x.name}</option>)}
      </select>
      <select aria-label="Trainer format" value={format} onChange={(e) => setFormat(e.target.value === 'jsonl' ? 'jsonl' : 'oml')}>
        <option value="oml">OML JSON</option><option value="jsonl">prompt/completion JSONL</option>
      </select>
      {chosen.key_source === 'passphrase' ? <input aria-label="Passphrase of the set" type="password" placeholder="passphrase" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" /> : null}
      <button type="submit" disabled={chosen.key_source === 'passphrase' && !passphrase}>Export</button>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}

export function AuditsView() {
  return (
    <section className="view" aria-labelledby="audits-title">
      <header className="view-head"><h1 id="audits-title">Audits</h1><span className="muted">newest first · start an audit from a model’s Audits tab</span></header>
      <div className="view-body padded">
        <AuditPanel />
        <FingerprintSets />
      </div>
    </section>
  );
}
