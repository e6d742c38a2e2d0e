import { Gpu } from '../../../native/Gpu';
import { LlamaRuntime } from '../../../native/LlamaRuntime';
import { OnnxRuntime } from '../../../native/OnnxRuntime';
import type { GpuInfo, RunSettings } from '../../contract/hardware';
import type { AppContext } from '../AppContext';
import { HallmarkError } from '../errors';

export const DEFAULT_RUN_SETTINGS: RunSettings = { gpu: true, threads: null, idleUnloadSec: 300, contextSize: 2048 };
const SETTINGS_KEY = 'run.settings';

/**
 * The native runtimes of one context, created on first use and disposed with the context. Changing
 * the GPU or thread settings drops them so the next call starts with the new settings.
 */
export class RunServices {
  private llamaP: Promise<LlamaRuntime> | null = null;
  private onnxRt: OnnxRuntime | null = null;
  private gpuP: Promise<GpuInfo> | null = null;
  private overrides: Partial<RunSettings> = {};
  /** In-flight generations by stream id, so the UI can stop one. */
  readonly streams = new Map<string, AbortController>();

  constructor(private readonly ctx: AppContext) {}

  settings(): RunSettings {
    const row = this.ctx.db.prepare(`SELECT value FROM settings WHERE key = ?`).get(SETTINGS_KEY) as { value: string } | undefined;
    let stored: Partial<RunSettings> = {};
    try {
      stored = row ? (JSON.parse(row.value) as Partial<RunSettings>) : {};
    } catch {
      // A hand-edited, broken value falls back to the defaults rather than blocking every run.
    }
    return { ...DEFAULT_RUN_SETTINGS, ...stored, ...this.overrides };
  }

  async setSettings(patch: Partial<RunSettings>): Promise<RunSettings> {
    const before = this.settings();
    const { gpu, threads, idleUnloadSec, contextSize } = { ...before, ...patch };
    const next: RunSettings = { gpu, threads, idleUnloadSec, contextSize };
    this.ctx.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(SETTINGS_KEY, JSON.stringify(next));
    if (next.gpu !== before.gpu || next.threads !== before.threads || next.idleUnloadSec !== before.idleUnloadSec || next.contextSize !== before.contextSize) await this.reset();
    return this.settings();
  }

  /** Process-only overrides (the CLI's --cpu), never persisted. */
  override(patch: Partial<RunSettings>): void {
    this.overrides = { ...this.overrides, ...patch };
  }

  llama(): Promise<LlamaRuntime> {
    if (!this.llamaP) {
      const s = this.settings();
      this.llamaP = LlamaRuntime.create({
        gpu: s.gpu, idleUnloadMs: s.idleUnloadSec * 1000, contextSize: s.contextSize, ...(s.threads ? { threads: s.threads } : {}),
      }).catch((e: unknown) => {
        this.llamaP = null;
        throw new HallmarkError('runtime_unavailable', `could not start llama.cpp: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    return this.llamaP;
  }

  onnx(): OnnxRuntime {
    if (!this.onnxRt) {
      const s = this.settings();
      this.onnxRt = new OnnxRuntime({ gpu: s.gpu, ...(s.threads ? { threads: s.threads } : {}) });
    }
    return this.onnxRt;
  }

  /** Hardware summary (native/Gpu's report is the contract's shape as is); cached because systeminformation shells out (lspci, nvidia-smi). */
  async gpu(refresh = false): Promise<GpuInfo> {
    if (refresh || !this.gpuP) {
      const gpu = this.settings().gpu;
      this.gpuP = (async () => {
        // A llama runtime that is already up knows the exact devices and VRAM; never start one just for this.
        const rt = this.llamaP ? await this.llamaP.catch(() => null) : null;
        const llama = rt ? { gpu: rt.gpu, deviceNames: await rt.gpuDeviceNames(), vramTotal: rt.gpu === false ? 0 : (await rt.vramState()).total } : undefined;
        return Gpu.detect({ gpu, ...(llama ? { llama } : {}) });
      })();
      this.gpuP.catch(() => (this.gpuP = null));
    }
    return this.gpuP;
  }

  async reset(): Promise<void> {
    const llama = this.llamaP;
    const onnx = this.onnxRt;
    this.llamaP = null;
    this.onnxRt = null;
    this.gpuP = null;
    await (await llama?.catch(() => null))?.dispose();
    await onnx?.dispose();
  }

  async dispose(): Promise<void> {
    for (const c of this.streams.values()) c.abort();
    await this.reset();
  }
}

/** The run services of a context (`ctx.runs`), created on first use and disposed with it. */
export function runServices(ctx: AppContext): RunServices {
  if (!ctx.runs) {
    const created = new RunServices(ctx);
    ctx.runs = created;
    ctx.onDispose(() => created.dispose());
  }
  return ctx.runs;
}
