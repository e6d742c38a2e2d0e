// Hardware and run settings. Results use the snake_case names `hallmark gpu --json` prints, so a screen
// and a script read the same names (see inference.ts).
import { z } from 'zod';
import { call } from './define';

export const GpuBackend = z.enum(['cuda', 'metal', 'vulkan', 'cpu']);
export type GpuBackend = z.infer<typeof GpuBackend>;

export const GpuInfo = z.object({
  /** The backend inference will use. */
  backend: GpuBackend,
  devices: z.array(z.object({ name: z.string(), vendor: z.string(), vram_bytes: z.number() })),
  ram_bytes: z.number(),
  /** Backends this machine supports, best first, always ending with "cpu". */
  available: z.array(GpuBackend),
  /** True when a GPU backend exists but the user forced the CPU. */
  forced_cpu: z.boolean(),
  /** CPU model and logical cores. */
  cpu: z.object({ model: z.string(), cores: z.number() }).optional(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

/** User-facing run settings, persisted in the `settings` table. */
export const RunSettings = z.object({
  /** false forces the CPU for GGUF and ONNX. */
  gpu: z.boolean(),
  /** Math threads; null = all cores but one. */
  threads: z.number().int().min(1).max(256).nullable(),
  /** Unload an idle GGUF model after this many seconds; 0 keeps it loaded. */
  idleUnloadSec: z.number().int().min(0).max(86_400),
  /** Default GGUF context size (capped at the model's training context). */
  contextSize: z.number().int().min(64).max(1_048_576),
});
export type RunSettings = z.infer<typeof RunSettings>;

export const hardwareCalls = {
  'gpu.info': call(z.object({ refresh: z.boolean().default(false) }).default({ refresh: false }), GpuInfo, { readonly: true }),
  'run.settings.get': call(z.object({}).default({}), RunSettings, { readonly: true }),
  /** Changing gpu/threads/idle/context restarts the runtimes (loaded models are unloaded). */
  'run.settings.set': call(RunSettings.partial(), RunSettings),
};
