import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ChatMessage, ModelDescription, ModelRef } from '../../../../electron/contract/inference';
import type { VersionDetail } from '../../../../electron/contract/registry';
import type { Input, Output } from '../../../../electron/contract/index';
import { api, onEvent } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ProgressBar } from '../../components/ProgressBar';
import { errorText, fmtBytes, fmtInt, fmtMs, fmtNumber, fmtRate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { awaitJob, useJobs } from '../../store/jobsStore';

const RUNNABLE = /\.(gguf|onnx)$/i;

type OnnxDesc = Extract<ModelDescription, { format: 'onnx' }>;
type GgufDesc = Extract<ModelDescription, { format: 'gguf' }>;
type Shape = OnnxDesc['inputs'][number]['shape'];

export const fmtParams = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);

const fmtShape = (s: Shape): string => (s.length ? `[${s.join(' × ')}]` : 'scalar');

/** A zero-filled example for an input (dynamic dimensions as 1); null when it would be too big to type. */
function example(shape: Shape, type: string | null): unknown {
  const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  if (dims.reduce((a, b) => a * b, 1) > 64) return null;
  const zero = type === 'string' ? '' : type === 'bool' ? false : 0;
  const build = (i: number): unknown => (i === dims.length ? zero : Array.from({ length: dims[i]! }, () => build(i + 1)));
  return build(0);
}

function OnnxRunner({ desc, model }: { desc: OnnxDesc; model: ModelRef }) {
  // One line per input: {"x": [[0, 0, 0]]}.
  const template = useMemo(() => {
    const lines = desc.inputs.filter((i) => i.type).map((i) => `  ${JSON.stringify(i.name)}: ${JSON.stringify(example(i.shape, i.type) ?? [])}`);
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
            <span className="muted small">{mode === 'json' ? '{"input": nested array | scalar | {dims, data}}' : 'one sample per row for the only input; header optional'}</span>
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

/** Load (a job with progress; refused with the reason when it does not fit) and unload a GGUF model. */
function ModelLoader({ desc, model, loaded, setLoaded }: { desc: GgufDesc; model: ModelRef; loaded: boolean; setLoaded: (v: boolean) => void }) {
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJobs((st) => (jobId ? st.jobs[jobId] : undefined));
  const load = async () => {
    setError(null);
    try {
      const { jobId: id } = await api.call('run.load', { model });
      setJobId(id);
      const j = await awaitJob(id);
      if (j.state === 'done') setLoaded(true);
      else setError(j.error ?? `loading ${j.state}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setJobId(null);
    }
  };
  const unload = async () => {
    setError(null);
    try {
      await api.call('run.unload', { model });
      setLoaded(false);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="model-loader">
      {jobId ? (
        <div className="load-progress" role="status" style={{ minWidth: '12rem' }}>
          <span className="muted small">Loading {desc.label}… {job?.totalBytes ? `${Math.round((job.doneBytes / job.totalBytes) * 100)}%` : ''}</span>
          <ProgressBar done={job?.doneBytes ?? 0} total={job?.totalBytes ?? null} label="Model load progress" state={job?.state} />
        </div>
      ) : loaded ? (
        <span><span className="text-ok">loaded</span> <button type="button" className="small" onClick={() => void unload()}>Unload</button></span>
      ) : (
        <span><span className="muted">not loaded (loads on first use; unloads when idle)</span> <button type="button" className="small" disabled={!desc.fit.fits} onClick={() => void load()}>Load</button></span>
      )}
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </div>
  );
}

/** Streams one generation's chunks into `onChunk` while `id` is the active stream. */
function useStream(onChunk: (chunk: string) => void) {
  const ref = useRef<string | null>(null);
  const cb = useRef(onChunk);
  cb.current = onChunk;
  useEffect(() => onEvent((ev) => {
    if (ev.type === 'stream' && ev.streamId === ref.current && ev.chunk) cb.current(ev.chunk);
  }), []);
  return ref;
}

/** Raw completion (no chat template): greedy by default, or sampled with a seed to reproduce a run. */
function CompletionRunner({ desc, model }: { desc: GgufDesc; model: ModelRef }) {
  const [prompt, setPrompt] = useState('');
  const [maxTokens, setMaxTokens] = useState(64);
  const [temperature, setTemperature] = useState(0);
  const [seed, setSeed] = useState('');
  const [partial, setPartial] = useState('');
  const [streamId, setStreamId] = useState<string | null>(null);
  const [result, setResult] = useState<Output<'run.complete'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const streamRef = useStream((c) => setPartial((p) => p + c));
  const run = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!prompt || streamId) return;
    const id = `complete-${crypto.randomUUID?.() ?? Date.now()}`;
    streamRef.current = id;
    setStreamId(id);
    setPartial('');
    setResult(null);
    setError(null);
    try {
      setResult(await api.call('run.complete', { model, prompt, maxTokens, temperature, ...(temperature > 0 && seed !== '' ? { seed: Number(seed) } : {}), streamId: id }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      streamRef.current = null;
      setStreamId(null);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void run(e)} aria-label="Raw completion">
      <h3>Raw completion</h3>
      <textarea aria-label="Prompt" className="mono code-input" rows={3} value={prompt} spellCheck={false} onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(); }} />
      <div className="button-row">
        <label className="inline-field"><span>Max tokens</span><input aria-label="Completion max tokens" type="number" min={1} max={32768} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Number(e.target.value) || 1))} className="narrow" /></label>
        <label className="inline-field"><span>Temperature</span><input aria-label="Completion temperature" type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Math.max(0, Number(e.target.value) || 0))} className="narrow" /></label>
        <label className="inline-field"><span>Seed</span><input aria-label="Completion seed" type="number" min={0} max={4294967295} placeholder={temperature > 0 ? 'random' : 'greedy'} disabled={temperature === 0} value={seed} onChange={(e) => setSeed(e.target.value.replace(/\D/g, ''))} className="narrow" /></label>
        {streamId ? <button type="button" onClick={() => { api.call('run.cancel', { streamId }).catch(() => undefined); }}>Stop</button>
          : <button type="submit" className="primary" disabled={!prompt || !desc.fit.fits}>Complete</button>}
      </div>
      <span className="muted small">{temperature === 0 ? 'greedy: always the most likely token, so the same prompt gives the same text' : seed !== '' ? `sampled with seed ${seed}: reproducible` : 'sampled without a seed: differs run to run'}</span>
      {streamId || result ? (
        <pre className="tensor-data" data-testid="completion-output"><span className="muted">{prompt}</span>{streamId ? partial : result?.text}</pre>
      ) : null}
      {result ? <div className="muted small">{result.tokens} tokens · {fmtRate(result.tokens_per_sec)} tok/s · {fmtMs(result.latency_ms)} · {result.stop_reason}</div> : null}
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}

interface Turn extends ChatMessage {
  stats?: string;
  error?: string;
}

function ChatRunner({ desc, model }: { desc: GgufDesc; model: ModelRef }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [system, setSystem] = useState('');
  const [draft, setDraft] = useState('');
  const [maxTokens, setMaxTokens] = useState(256);
  const [temperature, setTemperature] = useState(0);
  const [streamId, setStreamId] = useState<string | null>(null);
  const [seed, setSeed] = useState('');
  const [partial, setPartial] = useState('');
  const [loaded, setLoaded] = useState(desc.loaded);
  const streamRef = useStream((c) => setPartial((p) => p + c));
  const logRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [turns, partial]);

  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const text = draft.trim();
    if (!text || streamId) return;
    const history: ChatMessage[] = [...turns.filter((t) => !t.error).map(({ role, content }) => ({ role, content })), { role: 'user', content: text }];
    const id = `chat-${crypto.randomUUID?.() ?? Date.now()}`;
    streamRef.current = id;
    setStreamId(id);
    setPartial('');
    setDraft('');
    setTurns((t) => [...t, { role: 'user', content: text }]);
    try {
      const r = await api.call('run.chat', {
        model,
        messages: system.trim() ? [{ role: 'system', content: system.trim() }, ...history] : history,
        maxTokens,
        temperature,
        ...(temperature > 0 && seed !== '' ? { seed: Number(seed) } : {}),
        streamId: id,
      });
      setLoaded(true);
      setTurns((t) => [...t, { role: 'assistant', content: r.text, stats: `${r.tokens} tokens · ${fmtRate(r.tokens_per_sec)} tok/s · ${fmtMs(r.latency_ms)} · ${r.stop_reason}` }]);
    } catch (err) {
      setTurns((t) => [...t, { role: 'assistant', content: '', error: errorText(err) }]);
    } finally {
      streamRef.current = null;
      setStreamId(null);
      setPartial('');
    }
  };
  const stop = () => {
    if (streamId) api.call('run.cancel', { streamId }).catch(() => undefined);
  };
  const fit = desc.fit;

  return (
    <div className="run-chat">
      <div className="card model-facts">
        <span><strong>{desc.name ?? desc.label}</strong> <span className="muted">{desc.architecture}</span></span>
        <span>{fmtParams(desc.parameters)} params</span>
        <span>{desc.layers} layers</span>
        <span>context {desc.train_context_size ? fmtInt(desc.train_context_size) : '—'}</span>
        <span>{fmtBytes(desc.size_bytes)}</span>
        <span className={fit.fits ? 'text-ok' : 'text-danger'} title={fit.reason ?? undefined}>
          {fit.fits ? `fits: ${fit.gpu ? `${fit.gpu_layers}/${fit.total_layers} layers on ${fit.gpu}` : 'CPU'} · ${fmtBytes(fit.ram_bytes)} RAM${fit.vram_bytes ? ` · ${fmtBytes(fit.vram_bytes)} VRAM` : ''}` : 'does not fit'}
        </span>
        <ModelLoader desc={desc} model={model} loaded={loaded} setLoaded={setLoaded} />
      </div>
      {!fit.fits ? <div className="banner error" role="alert"><div><strong>This model does not fit in memory</strong><div className="banner-detail">{fit.reason}</div></div></div> : null}
      <details className="card">
        <summary>System prompt and sampling</summary>
        <label className="field"><span>System prompt</span><textarea rows={2} value={system} onChange={(e) => setSystem(e.target.value)} aria-label="System prompt" /></label>
        <div className="button-row">
          <label className="inline-field"><span>Max tokens</span><input type="number" min={1} max={32768} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Number(e.target.value) || 1))} className="narrow" /></label>
          <label className="inline-field"><span>Temperature</span><input type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Math.max(0, Number(e.target.value) || 0))} className="narrow" /></label>
          <label className="inline-field"><span>Seed</span><input aria-label="Chat seed" type="number" min={0} max={4294967295} placeholder={temperature > 0 ? 'random' : 'greedy'} disabled={temperature === 0} value={seed} onChange={(e) => setSeed(e.target.value.replace(/\D/g, ''))} className="narrow" /></label>
        </div>
      </details>
      <div className="chat-log" ref={logRef} aria-live="polite" aria-label="Conversation">
        {!turns.length && !streamId ? <p className="muted">Send a message to start. Replies stream as they are generated; greedy decoding unless you raise the temperature.</p> : null}
        {turns.map((t, i) => (
          <div key={i} className={`bubble bubble-${t.role}${t.error ? ' bubble-error' : ''}`}>
            {t.error ? <span role="alert">{t.error}</span> : t.content || <span className="muted">(empty reply)</span>}
            {t.stats ? <div className="bubble-stats">{t.stats}</div> : null}
          </div>
        ))}
        {streamId ? <div className="bubble bubble-assistant streaming">{partial || <span className="muted">thinking…</span>}</div> : null}
      </div>
      <form className="composer" onSubmit={(e) => void send(e)}>
        <textarea
          aria-label="Message"
          rows={2}
          placeholder="Message (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); void send(); } }}
        />
        {streamId ? <button type="button" onClick={stop}>Stop</button> : <button type="submit" className="primary" disabled={!draft.trim() || !fit.fits}>Send</button>}
      </form>
      <CompletionRunner desc={desc} model={model} />
    </div>
  );
}

/** Run: chat for GGUF (streamed), a predict form for ONNX. */
export function RunTab({ version }: { version: VersionDetail }) {
  const runnable = version.files.filter((f) => RUNNABLE.test(f.path));
  const [file, setFile] = useState<string | undefined>(runnable[0]?.path);
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
            <select aria-label="Model file" value={file} onChange={(e) => setFile(e.target.value)}>{runnable.map((f) => <option key={f.path} value={f.path}>{f.path}</option>)}</select>
          </label>
        </div>
      ) : null}
      {desc.error ? <ErrorBanner title={`Cannot run ${version.model}@${version.version}`} error={desc.error} onRetry={desc.reload} /> : null}
      {desc.loading && !desc.data ? <div className="loading-line" role="status">Reading the model…</div> : null}
      {desc.data?.format === 'onnx' ? <OnnxRunner key={desc.data.path} desc={desc.data} model={model} /> : null}
      {desc.data?.format === 'gguf' ? <ChatRunner key={desc.data.path} desc={desc.data} model={model} /> : null}
    </div>
  );
}
