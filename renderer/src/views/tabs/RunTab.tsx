import { useMemo, useState, type FormEvent } from 'react';
import type { ModelDescription, ModelRef } from '../../../../electron/contract/inference';
import type { VersionDetail } from '../../../../electron/contract/registry';
import type { Input, Output } from '../../../../electron/contract/index';
import { api } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ChatRunner } from './ChatRunner';
import { errorText, fmtBytes, fmtInt, fmtMs, fmtNumber } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

const RUNNABLE = /\.(gguf|onnx)$/i;

type OnnxDesc = Extract<ModelDescription, { format: 'onnx' }>;
type Shape = OnnxDesc['inputs'][number]['shape'];


const fmtShape = (s: Shape): string => (s.length ? `[${s.join(' × ')}]` : 'scalar');

/**
 * A zero tensor of the input's declared shape (dynamic dimensions as 1), so the pre-filled example runs
 * on the first click, recurrent state inputs included: nested arrays when small enough to edit,
 * {dims, fill} otherwise.
 */
export function example(shape: Shape, type: string | null): unknown {
  const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const zero = type === 'string' ? '' : type === 'bool' ? false : 0;
  if (dims.reduce((a, b) => a * b, 1) > 64) return { dims, fill: zero };
  const build = (i: number): unknown => (i === dims.length ? zero : Array.from({ length: dims[i]! }, () => build(i + 1)));
  return build(0);
}

function OnnxRunner({ desc, model }: { desc: OnnxDesc; model: ModelRef }) {
  // One line per input: {"x": [[0, 0, 0]]}.
  const template = useMemo(() => {
    const lines = desc.inputs.filter((i) => i.type).map((i) => `  ${JSON.stringify(i.name)}: ${JSON.stringify(example(i.shape, i.type))}`);
    return `{\n${lines.join(',\n')}\n}`;
  }, [desc.inputs]);
  const [mode, setMode] = useState<'json' | 'csv'>('json');
  const [json, setJson] = useState(template);
  const [csv, setCsv] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Output<'run.onnx'> | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    let input: Input<'run.onnx'>;
    if (mode === 'json') {
      try {
        input = { model, inputs: JSON.parse(json) as unknown };
      } catch (err) {
        setError(`the inputs are not valid JSON: ${errorText(err)}`);
        return;
      }
    } else {
      if (!csv.trim()) return setError('paste CSV rows (one sample per row) to run a batch');
      input = { model, csv };
    }
    setBusy(true);
    try {
      setResult(await api.call('run.onnx', input));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="run-onnx">
      <div className="run-cols">
        <div className="card">
          <h3>Inputs</h3>
          <table className="table compact" aria-label="Model inputs">
            <thead><tr><th>Name</th><th>Type</th><th>Shape</th></tr></thead>
            <tbody>{desc.inputs.map((i) => <tr key={i.name}><td className="mono">{i.name}</td><td>{i.type ?? <span className="muted">not a tensor</span>}</td><td className="mono">{fmtShape(i.shape)}</td></tr>)}</tbody>
          </table>
          <h3 className="spaced">Outputs</h3>
          <table className="table compact" aria-label="Model outputs">
            <thead><tr><th>Name</th><th>Type</th><th>Shape</th></tr></thead>
            <tbody>{desc.outputs.map((o) => <tr key={o.name}><td className="mono">{o.name}</td><td>{o.type ?? '—'}</td><td className="mono">{fmtShape(o.shape)}</td></tr>)}</tbody>
          </table>
          <p className="hint">Runs on {desc.execution_provider} · {fmtBytes(desc.size_bytes)}</p>
        </div>
        <form className="card" onSubmit={(e) => void run(e)} aria-label="Predict">
          <div className="card-head">
            <h3>Predict</h3>
            <div className="segmented" role="radiogroup" aria-label="Input format">
              <button type="button" role="radio" aria-checked={mode === 'json'} className={mode === 'json' ? 'on' : undefined} onClick={() => setMode('json')}>JSON</button>
              <button type="button" role="radio" aria-checked={mode === 'csv'} className={mode === 'csv' ? 'on' : undefined} onClick={() => setMode('csv')}>CSV batch</button>
            </div>
          </div>
          {mode === 'json' ? (
            <textarea aria-label="Inputs as JSON" className="mono code-input" rows={8} value={json} spellCheck={false} onChange={(e) => setJson(e.target.value)}
              onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(); }} />
          ) : (
            <textarea aria-label="Inputs as CSV" className="mono code-input" rows={8} value={csv} spellCheck={false} placeholder={'f1,f2,f3\n0.1,0.2,0.3'} onChange={(e) => setCsv(e.target.value)}
              onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(); }} />
          )}
          <div className="button-row">
            <button type="submit" className="primary" disabled={busy}>{busy ? 'Running…' : 'Run'}</button>
            <span className="muted small">{mode === 'json' ? '{"input": nested array | scalar | {dims, data} | {dims, fill}}' : 'one sample per row for the only input; header optional'}</span>
          </div>
          {error ? <div className="field-error" role="alert">{error}</div> : null}
        </form>
      </div>
      {result ? (
        <div className="card" data-testid="onnx-result">
          <h3>Result <span className="muted small">· {fmtMs(result.latency_ms)} · batch {result.batch_size} · prediction #{result.prediction_id}</span></h3>
          {result.outputs.map((o) => (
            <div key={o.name} className="tensor">
              <div><span className="mono strong">{o.name}</span> <span className="muted">{o.type} [{o.dims.join(' × ')}]</span></div>
              <pre className="tensor-data">{o.data.slice(0, 200).map((v) => (typeof v === 'number' ? fmtNumber(v) : String(v))).join(', ')}{o.data.length > 200 ? ` … (${fmtInt(o.data.length - 200)} more)` : ''}</pre>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** Run: chat for GGUF (streamed), a predict form for ONNX. */
export function RunTab({ version }: { version: VersionDetail }) {
  const runnable = version.files.filter((f) => RUNNABLE.test(f.path));
  // An adapter-mode embed version names its base GGUF and LoRA adapter (its training card): by default it
  // runs as base + adapter, which the service resolves when no file is named.
  const card = version.config as { kind?: unknown; mode?: unknown; adapter?: unknown; base_gguf?: unknown };
  const adapterPair = card.kind === 'hallmark.embed' && card.mode === 'adapter' && typeof card.adapter === 'string' && typeof card.base_gguf === 'string'
    ? { adapter: card.adapter, base: card.base_gguf } : null;
  const [file, setFile] = useState<string | undefined>(adapterPair ? '' : runnable[0]?.path);
  const model: ModelRef = { name: version.model, version: version.version, ...(runnable.length > 1 && file ? { file } : {}) };
  const desc = useAsync(() => api.call('run.describe', { model }), JSON.stringify(model));

  if (!runnable.length) {
    return <div className="empty"><div className="empty-title">Nothing to run in {version.model}@{version.version}</div><p>Only .gguf and .onnx files can be run; this version has {version.files.map((f) => f.path).join(', ')}.</p></div>;
  }
  return (
    <div className="run-tab">
      {runnable.length > 1 ? (
        <div className="toolbar">
          <label className="inline-field"><span>Model file</span>
            <select aria-label="Model file" value={file} onChange={(e) => setFile(e.target.value)}>
              {adapterPair ? <option value="">{adapterPair.base} + adapter {adapterPair.adapter}</option> : null}
              {runnable.map((f) => <option key={f.path} value={f.path}>{f.path}{adapterPair?.adapter === f.path ? ' (adapter alone: not runnable)' : ''}</option>)}
            </select>
          </label>
        </div>
      ) : null}
      {desc.error ? <ErrorBanner title={`Cannot run ${version.model}@${version.version}`} error={desc.error} onRetry={desc.reload} /> : null}
      {desc.loading && !desc.data ? <div className="loading-line" role="status">Reading the model…</div> : null}
      {desc.data?.format === 'onnx' ? <OnnxRunner key={desc.data.path} desc={desc.data} model={model} /> : null}
      {desc.data?.format === 'gguf' ? <ChatRunner key={`${desc.data.path}+${desc.data.adapters.join('+')}`} desc={desc.data} model={model} /> : null}
    </div>
  );
}
