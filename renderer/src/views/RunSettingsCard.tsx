import { useEffect, useState } from 'react';
import type { Output } from '../../../electron/contract/index';
import { api } from '../api/client';
import { errorText, fmtGiB } from '../lib/format';
import { useApp } from '../store/appStore';

type Settings = Output<'run.settings.get'>;
type Gpu = Output<'gpu.info'>;

const BACKEND: Record<Gpu['backend'], string> = { cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan', cpu: 'CPU' };

/** What gpu.info detected: the backend in use, each GPU with its memory, RAM, what else is possible. */
function Hardware({ gpu, error, onRefresh, busy }: { gpu: Gpu | null; error: string | null; onRefresh: () => void; busy: boolean }) {
  return (
    <div data-testid="hardware-settings">
      <dl className="props">
        <dt>Backend</dt>
        <dd>{gpu ? <>{BACKEND[gpu.backend]}{gpu.forced_cpu ? ' (GPU turned off below)' : ''} <span className="muted">· available: {gpu.available.map((b) => BACKEND[b]).join(', ')}</span></> : error ? <span className="text-danger">{error}</span> : 'detecting…'}</dd>
        <dt>GPUs</dt>
        <dd>{gpu ? (gpu.devices.length ? gpu.devices.map((d, i) => <div key={i}>{d.name}{d.vendor ? <span className="muted"> ({d.vendor})</span> : null} · {fmtGiB(d.vram_bytes)} VRAM</div>) : <span className="muted">none usable</span>) : '—'}</dd>
        <dt>RAM</dt><dd>{gpu ? fmtGiB(gpu.ram_bytes) : '—'}</dd>
      </dl>
      <div className="button-row"><button type="button" className="small" disabled={busy} onClick={onRefresh}>Detect again</button></div>
    </div>
  );
}

/** Detected hardware, then GPU on/off (force CPU), threads, idle unload and context size. */
export function RunSettingsCard() {
  const [s, setS] = useState<Settings | null>(null);
  const [draft, setDraft] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [gpu, setGpu] = useState<Gpu | null>(null);
  const [gpuError, setGpuError] = useState<string | null>(null);
  const [detecting, setDetecting] = useState(false);
  const detect = (refresh: boolean) => {
    setDetecting(true);
    api.call('gpu.info', { refresh }).then((g) => { setGpu(g); setGpuError(null); if (refresh) useApp.getState().bumpHardware(); }, (e: unknown) => setGpuError(errorText(e))).finally(() => setDetecting(false));
  };
  useEffect(() => {
    api.call('run.settings.get', {}).then((x) => { setS(x); setDraft(x); }, (e: unknown) => setError(errorText(e)));
    detect(false);
  }, []);
  if (error && !s) return <div className="card"><h2>Running models</h2><div className="field-error" role="alert">{error}</div></div>;
  if (!s || !draft) return <div className="card"><h2>Running models</h2><p className="muted">Loading…</p></div>;
  const dirty = JSON.stringify(s) !== JSON.stringify(draft);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const x = await api.call('run.settings.set', draft);
      setS(x);
      setDraft(x);
      // Forcing the CPU changes the backend in use: show it.
      detect(true);
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
      <Hardware gpu={gpu} error={gpuError} onRefresh={() => detect(true)} busy={detecting} />
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
