// Hardware detection: which llama.cpp backend this machine can use (node-llama-cpp's
// getLlamaGpuTypes), which GPUs are present and their memory (systeminformation), and RAM.
import os from 'node:os';
import si from 'systeminformation';
import { getLlamaGpuTypes } from 'node-llama-cpp';

export type GpuBackend = 'cuda' | 'metal' | 'vulkan' | 'cpu';

export interface GpuDevice {
  name: string;
  vendor: string;
  vram_bytes: number;
}

export interface GpuInfo {
  /** The backend inference will use. */
  backend: GpuBackend;
  devices: GpuDevice[];
  ram_bytes: number;
  /** Every backend this machine supports, best first (always ends with "cpu"). */
  available: GpuBackend[];
  /** True when a GPU backend exists but the user forced the CPU. */
  forced_cpu: boolean;
  /** The CPU's model name and logical cores (detect only). */
  cpu?: { model: string; cores: number };
}

export interface GpuDetectOptions {
  /** `false` = the user forced the CPU. */
  gpu?: boolean;
  /**
   * What a started llama.cpp binary reports: the backend it really loaded (it falls back to the CPU
   * when a GPU binary fails to load) and its devices and VRAM (more exact than systeminformation).
   */
  llama?: { gpu?: GpuBackend | false; deviceNames: string[]; vramTotal: number };
}

/** Order node-llama-cpp itself prefers when `gpu: "auto"`. */
const PREFERENCE: GpuBackend[] = ['cuda', 'metal', 'vulkan'];
const MB = 1024 * 1024;

export class Gpu {
  static async detect(opts: GpuDetectOptions = {}): Promise<GpuInfo> {
    const [types, graphics, mem] = await Promise.all([
      getLlamaGpuTypes('supported').catch(() => [false] as const),
      si.graphics().catch(() => ({ controllers: [] as si.Systeminformation.GraphicsControllerData[] })),
      si.mem().catch(() => ({ total: os.totalmem() })),
    ]);
    const cpus = os.cpus();
    return {
      ...Gpu.summarize({ supported: [...types], controllers: graphics.controllers, ramBytes: mem.total || os.totalmem(), ...opts }),
      // The hardware card names the CPU too (LM Studio does): generation speed on CPU depends on it.
      cpu: { model: (cpus[0]?.model ?? '').trim() || 'unknown CPU', cores: os.availableParallelism?.() ?? cpus.length },
    };
  }

  /** The pure part of `detect`, separated so every vendor's case can be checked without that hardware. */
  static summarize(input: {
    supported: Array<string | false>;
    controllers: Array<Pick<si.Systeminformation.GraphicsControllerData, 'vendor' | 'model' | 'vram' | 'vramDynamic'> & { name?: string; memoryTotal?: number }>;
    ramBytes: number;
    gpu?: boolean;
    llama?: { gpu?: GpuBackend | false; deviceNames: string[]; vramTotal: number };
  }): GpuInfo {
    const available = PREFERENCE.filter((b) => input.supported.includes(b));
    const forced = input.gpu === false;
    const loaded = input.llama?.gpu;
    const backend: GpuBackend = forced ? 'cpu' : loaded !== undefined ? loaded || 'cpu' : available[0] ?? 'cpu';
    let devices: GpuDevice[] = input.controllers
      .filter((c) => c.model || c.name)
      // Virtual display adapters (VMs, remote desktops) cannot run compute.
      .filter((c) => !/basic render|vmware|virtualbox|hyper-v|cirrus|llvmpipe|qxl|virtio|bochs/i.test(`${c.vendor} ${c.model}`))
      .map((c) => {
        const mb = c.memoryTotal ?? c.vram ?? 0;
        // Apple silicon shares RAM with the GPU: report the RAM as what the GPU may use.
        const bytes = c.vramDynamic && /apple/i.test(c.vendor) ? input.ramBytes : Math.max(0, mb) * MB;
        return { name: (c.name || c.model).trim(), vendor: c.vendor.trim(), vram_bytes: bytes };
      });
    // When a GPU binary is loaded, its own device list and VRAM total are the truth.
    if (input.llama && input.llama.deviceNames.length && backend !== 'cpu') {
      const per = Math.floor(input.llama.vramTotal / input.llama.deviceNames.length);
      devices = input.llama.deviceNames.map((name) => ({ name, vendor: devices.find((d) => name.includes(d.name))?.vendor ?? '', vram_bytes: per }));
    }
    return { backend, devices, ram_bytes: input.ramBytes, available: [...available, 'cpu'], forced_cpu: forced && available.length > 0 };
  }
}
