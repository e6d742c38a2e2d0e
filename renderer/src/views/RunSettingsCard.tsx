import { useEffect, useState } from 'react';
import { callRun, type RunOutput } from '../api/features';
import { errorText } from '../lib/format';
import { useApp } from '../store/appStore';

type Settings = RunOutput<'run.settings.get'>;

/** GPU on/off, threads, idle unload and context size for running models. */
export function RunSettingsCard() {
  const [s, setS] = useState<Settings | null>(null);
  const [draft, setDraft] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    callRun('run.settings.get', {}).then((x) => { setS(x); setDraft(x); }, (e: unknown) => setError(errorText(e)));
  }, []);
  if (error && !s) return <div className="card"><h2>Running models</h2><div className="field-error" role="alert">{error}</div></div>;
  if (!s || !draft) return <div className="card"><h2>Running models</h2><p className="muted">Loading…</p></div>;
  const dirty = JSON.stringify(s) !== JSON.stringify(draft);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const x = await callRun('run.settings.set', draft);
      setS(x);
      setDraft(x);
      useApp.getState().toast({ kind: 'success', title: 'Run settings saved', detail: 'loaded models were unloaded and load again on next use' });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card">
      <h2>Running models</h2>
      <dl className="props">
        <dt>GPU</dt><dd><label><input type="checkbox" checked={draft.gpu} onChange={(e) => setDraft({ ...draft, gpu: e.target.checked })} /> use the GPU when there is one</label></dd>
        <dt>Threads</dt><dd><input type="number" className="narrow" min={1} max={256} placeholder="auto" aria-label="Threads" value={draft.threads ?? ''} onChange={(e) => setDraft({ ...draft, threads: e.target.value ? Number(e.target.value) : null })} /> <span className="muted">empty = all cores but one</span></dd>
        <dt>Unload after</dt><dd><input type="number" className="narrow" min={0} max={86400} aria-label="Idle unload seconds" value={draft.idleUnloadSec} onChange={(e) => setDraft({ ...draft, idleUnloadSec: Number(e.target.value) || 0 })} /> <span className="muted">seconds idle (0 = keep loaded)</span></dd>
        <dt>Context</dt><dd><input type="number" className="narrow" min={64} max={1048576} aria-label="Context size" value={draft.contextSize} onChange={(e) => setDraft({ ...draft, contextSize: Number(e.target.value) || 64 })} /> <span className="muted">tokens</span></dd>
      </dl>
      <div className="button-row"><button type="button" className="primary" disabled={!dirty || busy} onClick={() => void save()}>Save</button>{dirty ? <button type="button" onClick={() => setDraft(s)}>Revert</button> : null}</div>
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </div>
  );
}
