// GGUF chat laid out as LM Studio users expect: the transcript scrolls while the message box stays
// pinned below it; new chat, copy, regenerate and stop; one sampling panel for chat and raw completion;
// the model card shows the chat template and context size; the hardware card shows the fit (VRAM bar
// where a GPU exists), the CPU and its cores.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ChatMessage, ModelDescription, ModelRef } from '../../../../electron/contract/inference';
import type { Output } from '../../../../electron/contract/index';
import { api, onEvent } from '../../api/client';
import { ProgressBar } from '../../components/ProgressBar';
import { errorText, fmtBytes, fmtInt, fmtMs, fmtRate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useApp } from '../../store/appStore';
import { awaitJob, useJobs } from '../../store/jobsStore';

type GgufDesc = Extract<ModelDescription, { format: 'gguf' }>;

export const fmtParams = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);

/** node-llama-cpp's stop reasons in words. */
const STOP_REASON: Record<string, string> = {
  eogToken: 'finished', stopGenerationTrigger: 'hit a stop sequence', customStopTrigger: 'hit a stop sequence',
  maxTokens: 'cut off at the max tokens limit', abort: 'stopped', functionCalls: 'called a function',
};
export const stopReason = (r: string): string => STOP_REASON[r] ?? r;

/** First prompts to try, LM Studio style: one click sends. */
const SUGGESTIONS = [
  'Introduce yourself in one sentence.',
  'Who created you, and where can I report a problem?',
  'Explain what a GGUF file is in two sentences.',
];

export interface Sampling {
  system: string;
  maxTokens: number;
  temperature: number;
  /** '' = none (random when sampling). */
  seed: string;
}

const samplingArgs = (s: Sampling) => ({ maxTokens: s.maxTokens, temperature: s.temperature, ...(s.temperature > 0 && s.seed !== '' ? { seed: Number(s.seed) } : {}) });

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
        <div className="load-progress" role="status">
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

/** Streams one generation's chunks into `onChunk` while `ref.current` is the active stream id. */
function useStream(onChunk: (chunk: string) => void) {
  const ref = useRef<string | null>(null);
  const cb = useRef(onChunk);
  cb.current = onChunk;
  useEffect(() => onEvent((ev) => {
    if (ev.type === 'stream' && ev.streamId === ref.current && ev.chunk) cb.current(ev.chunk);
  }), []);
  return ref;
}

const newStreamId = (kind: string) => `${kind}-${crypto.randomUUID?.() ?? Date.now()}`;

function Meter({ label, used, total, testId }: { label: string; used: number; total: number; testId?: string }) {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  return (
    <div className="meter" data-testid={testId}>
      <div className="meter-label"><span>{label}</span><span className="muted">{fmtBytes(used)} of {fmtBytes(total)}</span></div>
      <div className="meter-bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={used}>
        <span className={ratio > 0.9 ? 'over' : undefined} style={{ width: `${Math.max(2, ratio * 100)}%` }} />
      </div>
    </div>
  );
}

/** What the model is: architecture, size, context, the chat template it brings. */
function ModelCard({ desc, model, loaded, setLoaded }: { desc: GgufDesc; model: ModelRef; loaded: boolean; setLoaded: (v: boolean) => void }) {
  const insp = useAsync(async () => {
    if (!('name' in model) || model.version === undefined) return null;
    const v = await api.call('inspect.version', { name: model.name, version: model.version });
    const file = v.files.length > 1 ? v.files.find((f) => f.path === model.file || f.metadata.format === 'gguf')?.metadata : v.inspection;
    return file ?? null;
  }, JSON.stringify(model));
  const template = typeof insp.data?.chatTemplate === 'string' ? insp.data.chatTemplate : null;
  return (
    <div className="card model-card" data-testid="model-card">
      <h3>{desc.name ?? desc.label}</h3>
      <dl className="props compact-props">
        <dt>Architecture</dt><dd>{desc.architecture}</dd>
        <dt>Parameters</dt><dd>{fmtParams(desc.parameters)} · {desc.layers} layers</dd>
        <dt>File</dt><dd>{fmtBytes(desc.size_bytes)}</dd>
        {desc.adapters.length ? (
          <><dt>Runs</dt><dd data-testid="run-adapters">base {desc.path.split(/[\\/]/).pop()} + adapter {desc.adapters.map((a) => a.split(/[\\/]/).pop()).join(' + ')}</dd></>
        ) : null}
        <dt>Context</dt>
        <dd data-testid="context-size">{fmtInt(desc.fit.context_size)} tokens{desc.train_context_size ? <span className="muted"> (trained on {fmtInt(desc.train_context_size)})</span> : null}</dd>
        <dt>Chat template</dt>
        <dd>{insp.data === undefined ? '…' : template ? 'from the GGUF' : <span className="muted">none in the file (the runtime's default for {desc.architecture})</span>}</dd>
      </dl>
      {template ? (
        <details className="template-details">
          <summary>Show the chat template</summary>
          <pre className="tensor-data" data-testid="chat-template">{template}</pre>
        </details>
      ) : null}
      <ModelLoader desc={desc} model={model} loaded={loaded} setLoaded={setLoaded} />
    </div>
  );
}

/** Where the model runs, as LM Studio shows it: offloaded layers, VRAM and RAM bars, CPU and cores. */
function HardwareCard({ desc }: { desc: GgufDesc }) {
  const gen = useApp((s) => s.hardwareGen);
  const gpu = useAsync(() => api.call('gpu.info', {}), 'gpu', gen);
  const fit = desc.fit;
  const g = gpu.data;
  return (
    <div className="card hardware-card" data-testid="hardware-card">
      <h3>Hardware</h3>
      <p className={fit.fits ? 'text-ok' : 'text-danger'} title={fit.reason ?? undefined} data-testid="fit">
        {fit.fits ? (fit.gpu ? `GPU offload: ${fit.gpu_layers} of ${fit.total_layers} layers on ${fit.gpu.toUpperCase()}` : 'Runs on the CPU (no GPU offload)') : 'Does not fit in memory'}
      </p>
      {g && g.devices.length ? (
        <Meter label={`VRAM (${g.devices[0]!.name})`} used={fit.vram_bytes} total={fit.available_vram_bytes || g.devices[0]!.vram_bytes} testId="vram-meter" />
      ) : null}
      <Meter label="RAM" used={fit.ram_bytes} total={fit.available_ram_bytes || fit.total_ram_bytes} testId="ram-meter" />
      <dl className="props compact-props">
        <dt>Backend</dt><dd>{g ? g.backend.toUpperCase() : '…'}{g?.forced_cpu ? ' (GPU turned off in Settings)' : ''}</dd>
        {g?.devices.map((d, i) => <FragmentRow key={i} dt={i ? '' : 'GPU'} dd={`${d.name} · ${fmtBytes(d.vram_bytes)}`} />)}
        <dt>CPU</dt><dd data-testid="cpu">{g?.cpu ? `${g.cpu.model} · ${g.cpu.cores} cores` : '…'}</dd>
        <dt>RAM</dt><dd>{g ? fmtBytes(g.ram_bytes) : '…'}</dd>
      </dl>
      <a className="small" href="#/settings">Run settings…</a>
    </div>
  );
}

function FragmentRow({ dt, dd }: { dt: string; dd: string }) {
  return <><dt>{dt}</dt><dd>{dd}</dd></>;
}

/** One sampling panel for chat and raw completion. */
function SamplingPanel({ value, onChange, chat }: { value: Sampling; onChange: (s: Sampling) => void; chat: boolean }) {
  const set = (patch: Partial<Sampling>) => onChange({ ...value, ...patch });
  return (
    <div className="card sampling-card" role="group" aria-label="Sampling">
      <h3>Sampling</h3>
      {chat ? <label className="field"><span>System prompt</span><textarea rows={3} value={value.system} onChange={(e) => set({ system: e.target.value })} aria-label="System prompt" placeholder="You are a helpful assistant." /></label> : null}
      <label className="inline-field"><span>Max tokens</span><input aria-label="Max tokens" type="number" min={1} max={32768} value={value.maxTokens} onChange={(e) => set({ maxTokens: Math.max(1, Number(e.target.value) || 1) })} className="narrow" /></label>
      <label className="inline-field"><span>Temperature</span><input aria-label="Temperature" type="number" min={0} max={2} step={0.1} value={value.temperature} onChange={(e) => set({ temperature: Math.max(0, Number(e.target.value) || 0) })} className="narrow" /></label>
      <label className="inline-field"><span>Seed</span><input aria-label="Seed" type="number" min={0} max={4294967295} placeholder={value.temperature > 0 ? 'random' : 'greedy'} disabled={value.temperature === 0} value={value.seed} onChange={(e) => set({ seed: e.target.value.replace(/\D/g, '') })} className="narrow" /></label>
      <p className="hint">{value.temperature === 0 ? 'Greedy: always the most likely token, so the same prompt gives the same text.' : value.seed !== '' ? `Sampled with seed ${value.seed}: reproducible.` : 'Sampled without a seed: differs run to run.'}</p>
    </div>
  );
}

interface Turn extends ChatMessage {
  stats?: string;
  error?: string;
}

async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    useApp.getState().toast({ kind: 'success', title: 'Copied to the clipboard' });
  } catch (e) {
    useApp.getState().toast({ kind: 'error', title: 'Could not copy', detail: `${errorText(e)}; select the text and press Ctrl+C` });
  }
}

function Chat({ desc, model, sampling, onLoaded }: { desc: GgufDesc; model: ModelRef; sampling: Sampling; onLoaded: () => void }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState('');
  const [streamId, setStreamId] = useState<string | null>(null);
  const [partial, setPartial] = useState('');
  const streamRef = useStream((c) => setPartial((p) => p + c));
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    logRef.current?.scrollTo({ top: logRef.current.scrollHeight });
  }, [turns, partial]);

  /** Sends `history` (ending with a user message) and appends the reply. */
  const generate = async (history: ChatMessage[]) => {
    const id = newStreamId('chat');
    streamRef.current = id;
    setStreamId(id);
    setPartial('');
    try {
      const system = sampling.system.trim();
      const r = await api.call('run.chat', {
        model, messages: system ? [{ role: 'system', content: system }, ...history] : history, ...samplingArgs(sampling), streamId: id,
      });
      onLoaded();
      setTurns((t) => [...t, { role: 'assistant', content: r.text, stats: `${r.tokens} tokens · ${fmtRate(r.tokens_per_sec)} tok/s · ${fmtMs(r.latency_ms)} · ${stopReason(r.stop_reason)}` }]);
    } catch (err) {
      setTurns((t) => [...t, { role: 'assistant', content: '', error: errorText(err) }]);
    } finally {
      streamRef.current = null;
      setStreamId(null);
      setPartial('');
      inputRef.current?.focus();
    }
  };
  const clean = (ts: Turn[]): ChatMessage[] => ts.filter((t) => !t.error).map(({ role, content }) => ({ role, content }));
  const send = async (text = draft.trim()) => {
    if (!text || streamId) return;
    const history = [...clean(turns), { role: 'user' as const, content: text }];
    setDraft('');
    setTurns((t) => [...t, { role: 'user', content: text }]);
    await generate(history);
  };
  /** Drops the last reply and asks again with the same history. */
  const regenerate = async () => {
    if (streamId) return;
    const lastUser = turns.map((t) => t.role).lastIndexOf('user');
    if (lastUser < 0) return;
    const kept = turns.slice(0, lastUser + 1);
    setTurns(kept);
    await generate(clean(kept));
  };
  const stop = () => {
    if (streamId) api.call('run.cancel', { streamId }).catch(() => undefined);
  };
  const lastAssistant = turns.length - 1 - [...turns].reverse().findIndex((t) => t.role === 'assistant');

  return (
    <>
      <div className="chat-toolbar">
        <span className="muted small">{turns.length ? `${turns.filter((t) => t.role === 'user').length} message${turns.filter((t) => t.role === 'user').length === 1 ? '' : 's'}` : 'New conversation'}</span>
        <span className="spacer" />
        <button type="button" className="small" disabled={!turns.length || streamId !== null} onClick={() => { setTurns([]); inputRef.current?.focus(); }}>New chat</button>
      </div>
      <div className="chat-log" ref={logRef} role="log" aria-live="polite" aria-label="Conversation" data-testid="chat-log">
        {!turns.length && !streamId ? (
          <div className="chat-empty">
            <p className="muted">Send a message to start. Replies stream as they are generated.</p>
            <div className="suggestions" aria-label="Suggested prompts">
              {SUGGESTIONS.map((s) => <button key={s} type="button" className="suggestion" disabled={!desc.fit.fits} onClick={() => void send(s)}>{s}</button>)}
            </div>
          </div>
        ) : null}
        {turns.map((t, i) => (
          <div key={i} className={`bubble bubble-${t.role}${t.error ? ' bubble-error' : ''}`}>
            {t.error ? <span role="alert">{t.error}</span> : t.content || <span className="muted">(empty reply)</span>}
            {t.role === 'assistant' ? (
              <div className="bubble-foot">
                {t.stats ? <span className="bubble-stats">{t.stats}</span> : null}
                {!t.error ? <button type="button" className="link small" onClick={() => void copy(t.content)} aria-label={`Copy reply ${i + 1}`}>Copy</button> : null}
                {i === lastAssistant && !streamId ? <button type="button" className="link small" onClick={() => void regenerate()}>Regenerate</button> : null}
              </div>
            ) : null}
          </div>
        ))}
        {streamId ? <div className="bubble bubble-assistant streaming">{partial || <span className="muted">thinking…</span>}</div> : null}
      </div>
      <form className="composer" onSubmit={(e: FormEvent) => { e.preventDefault(); void send(); }}>
        <textarea
          ref={inputRef}
          aria-label="Message"
          rows={2}
          placeholder="Message (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); void send(); } }}
        />
        {streamId ? <button type="button" onClick={stop}>Stop</button> : <button type="submit" className="primary" disabled={!draft.trim() || !desc.fit.fits}>Send</button>}
      </form>
    </>
  );
}

/** Raw completion (no chat template), with the same sampling settings. */
function Completion({ desc, model, sampling }: { desc: GgufDesc; model: ModelRef; sampling: Sampling }) {
  const [prompt, setPrompt] = useState('');
  const [partial, setPartial] = useState('');
  const [streamId, setStreamId] = useState<string | null>(null);
  const [result, setResult] = useState<Output<'run.complete'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const streamRef = useStream((c) => setPartial((p) => p + c));
  const run = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!prompt || streamId) return;
    const id = newStreamId('complete');
    streamRef.current = id;
    setStreamId(id);
    setPartial('');
    setResult(null);
    setError(null);
    try {
      setResult(await api.call('run.complete', { model, prompt, ...samplingArgs(sampling), streamId: id }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      streamRef.current = null;
      setStreamId(null);
    }
  };
  return (
    <form className="completion" onSubmit={(e) => void run(e)} aria-label="Raw completion">
      <p className="muted small">The prompt goes to the model as is, without the chat template: useful to check what the weights continue.</p>
      <textarea aria-label="Prompt" className="mono code-input" rows={4} value={prompt} spellCheck={false} onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(); }} />
      <div className="button-row">
        {streamId ? <button type="button" onClick={() => { api.call('run.cancel', { streamId }).catch(() => undefined); }}>Stop</button>
          : <button type="submit" className="primary" disabled={!prompt || !desc.fit.fits}>Complete</button>}
        <span className="muted small">Ctrl+Enter</span>
      </div>
      {streamId || result ? (
        <pre className="tensor-data" data-testid="completion-output"><span className="muted">{prompt}</span>{streamId ? partial : result?.text}</pre>
      ) : null}
      {result ? <div className="muted small">{result.tokens} tokens · {fmtRate(result.tokens_per_sec)} tok/s · {fmtMs(result.latency_ms)} · {stopReason(result.stop_reason)}</div> : null}
      {error ? <div className="field-error" role="alert">{error}</div> : null}
    </form>
  );
}

export function ChatRunner({ desc, model }: { desc: GgufDesc; model: ModelRef }) {
  const [loaded, setLoaded] = useState(desc.loaded);
  const [mode, setMode] = useState<'chat' | 'complete'>('chat');
  const [sampling, setSampling] = useState<Sampling>({ system: '', maxTokens: 256, temperature: 0, seed: '' });
  return (
    <div className="run-chat lm">
      <div className="chat-main">
        {!desc.fit.fits ? <div className="banner error" role="alert"><div><strong>This model does not fit in memory</strong><div className="banner-detail">{desc.fit.reason}</div></div></div> : null}
        <div className="segmented chat-mode" role="radiogroup" aria-label="Run mode">
          <button type="button" role="radio" aria-checked={mode === 'chat'} className={mode === 'chat' ? 'on' : undefined} onClick={() => setMode('chat')}>Chat</button>
          <button type="button" role="radio" aria-checked={mode === 'complete'} className={mode === 'complete' ? 'on' : undefined} onClick={() => setMode('complete')}>Raw completion</button>
        </div>
        {/* Both stay mounted so switching modes keeps the conversation. */}
        <div className="chat-pane" hidden={mode !== 'chat'}><Chat desc={desc} model={model} sampling={sampling} onLoaded={() => setLoaded(true)} /></div>
        <div className="chat-pane" hidden={mode !== 'complete'}><Completion desc={desc} model={model} sampling={sampling} /></div>
      </div>
      <aside className="chat-side" aria-label="Model and settings">
        <ModelCard desc={desc} model={model} loaded={loaded} setLoaded={setLoaded} />
        <SamplingPanel value={sampling} onChange={setSampling} chat={mode === 'chat'} />
        <HardwareCard desc={desc} />
      </aside>
    </div>
  );
}
