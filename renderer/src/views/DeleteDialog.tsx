import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ModelDetail } from '../../../electron/contract/registry';
import { api } from '../api/client';
import { errorText, fmtBytes } from '../lib/format';
import { useApp } from '../store/appStore';

/** Deleting needs the exact name typed: `name@V` for one version, `name` for the whole model. */
export function DeleteDialog({ model, version, onClose, onDeleted }: { model: ModelDetail; version: number | undefined; onClose: () => void; onDeleted: (whole: boolean) => void }) {
  const [scope, setScope] = useState<'version' | 'model'>(version !== undefined && model.versions.length > 1 ? 'version' : 'model');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const expected = scope === 'version' ? `${model.name}@${version}` : model.name;
  const size = scope === 'version' ? (model.versions.find((v) => v.version === version)?.totalSize ?? 0) : model.versions.reduce((s, v) => s + v.totalSize, 0);

  useEffect(() => inputRef.current?.focus(), [scope]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (typed !== expected) {
      setError(`type ${JSON.stringify(expected)} exactly to confirm (got ${JSON.stringify(typed)})`);
      return;
    }
    setBusy(true);
    try {
      const r = await api.call('registry.delete', { name: model.name, version: scope === 'version' ? version : undefined, confirm: typed });
      useApp.getState().toast({ kind: 'success', title: `Deleted ${expected}`, detail: `${r.deletedVersions} version(s), ${fmtBytes(r.freedBytes)} freed from the vault` });
      onDeleted(scope === 'model');
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <form
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="delete-title"
        aria-describedby="delete-desc"
        onSubmit={(e) => void submit(e)}
        onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose(); } }}
      >
        <h2 id="delete-title">Delete {expected}?</h2>
        {version !== undefined && model.versions.length > 1 ? (
          <fieldset className="radio-row">
            <legend className="sr-only">What to delete</legend>
            <label><input type="radio" name="scope" checked={scope === 'version'} onChange={() => { setScope('version'); setTyped(''); setError(null); }} /> Only v{version}</label>
            <label><input type="radio" name="scope" checked={scope === 'model'} onChange={() => { setScope('model'); setTyped(''); setError(null); }} /> The whole model ({model.versions.length} versions)</label>
          </fieldset>
        ) : null}
        <p id="delete-desc">
          This removes {scope === 'version' ? `version ${version}` : `every version of ${model.name}`} from the registry ({fmtBytes(size)}).
          Vault files no other version uses are deleted; files registered in place stay on disk. This cannot be undone.
        </p>
        <label className="field">
          <span>Type <code>{expected}</code> to confirm</span>
          <input ref={inputRef} value={typed} onChange={(e) => { setTyped(e.target.value); setError(null); }} aria-label={`Type ${expected} to confirm`} autoComplete="off" spellCheck={false} />
        </label>
        {error ? <div className="field-error" role="alert">{error}</div> : null}
        <div className="button-row end">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="danger" disabled={busy || typed !== expected}>{busy ? 'Deleting…' : `Delete ${scope === 'version' ? `v${version}` : 'model'}`}</button>
        </div>
      </form>
    </div>
  );
}
