import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { getLlamaGpuTypes } from 'node-llama-cpp';
import { Gpu } from '../../native/Gpu';
import { LlamaRuntime } from '../../native/LlamaRuntime';

describe('Gpu.detect on this machine', () => {
  it('reports RAM and a backend node-llama-cpp supports here', async () => {
    const info = await Gpu.detect();
    const supported = await getLlamaGpuTypes('supported');
    expect(info.ram_bytes).toBe(os.totalmem());
    expect(info.available.at(-1)).toBe('cpu');
    expect(info.backend === 'cpu' || supported.includes(info.backend)).toBe(true);
    for (const d of info.devices) expect(d.vram_bytes).toBeGreaterThanOrEqual(0);
  });

  // The truth is what llama.cpp really loads here: detection must name that backend and, when only
  // the CPU runs, list no device that could take layers (a CPU-only VM shows virtual adapters).
  it('names the backend the real llama.cpp binary loads on this machine', async () => {
    const runtime = await LlamaRuntime.create();
    try {
      const info = await Gpu.detect();
      expect(info.backend).toBe(runtime.gpu === false ? 'cpu' : runtime.gpu);
      const loaded = await Gpu.detect({ llama: { gpu: runtime.gpu, deviceNames: await runtime.gpuDeviceNames(), vramTotal: (await runtime.vramState()).total } });
      expect(loaded.backend).toBe(runtime.gpu === false ? 'cpu' : runtime.gpu);
    } finally {
      await runtime.dispose();
    }
  });

  it('honours a forced CPU', async () => {
    const info = await Gpu.detect({ gpu: false });
    expect(info.backend).toBe('cpu');
    expect(info.forced_cpu).toBe(info.available.length > 1);
  });
});

describe('Gpu.summarize', () => {
  const nvidia = { vendor: 'NVIDIA Corporation', model: 'NVIDIA GeForce RTX 4090', vram: 24564, vramDynamic: false, memoryTotal: 24564 };
  const vm = { vendor: 'VMware', model: 'SVGA II Adapter', vram: 16, vramDynamic: false };

  it('prefers CUDA, lists real GPUs with VRAM in bytes and drops virtual adapters', () => {
    const info = Gpu.summarize({ supported: ['vulkan', 'cuda', false], controllers: [nvidia, vm], ramBytes: 64e9 });
    expect(info).toEqual({
      backend: 'cuda', devices: [{ name: 'NVIDIA GeForce RTX 4090', vendor: 'NVIDIA Corporation', vram_bytes: 24564 * 1024 * 1024 }],
      ram_bytes: 64e9, available: ['cuda', 'vulkan', 'cpu'], forced_cpu: false,
    });
  });

  it('reports Apple unified memory as the GPU memory on Metal', () => {
    const info = Gpu.summarize({ supported: ['metal'], controllers: [{ vendor: 'Apple', model: 'Apple M2', vram: null, vramDynamic: true }], ramBytes: 16e9 });
    expect(info.backend).toBe('metal');
    expect(info.devices[0]!.vram_bytes).toBe(16e9);
  });

  it('falls back to the CPU, and marks a forced CPU only when a GPU was possible', () => {
    expect(Gpu.summarize({ supported: [false], controllers: [], ramBytes: 8e9 })).toMatchObject({ backend: 'cpu', available: ['cpu'], forced_cpu: false });
    expect(Gpu.summarize({ supported: ['cuda'], controllers: [nvidia], ramBytes: 8e9, gpu: false })).toMatchObject({ backend: 'cpu', forced_cpu: true });
  });

  it('trusts the loaded llama.cpp binary for device names and VRAM', () => {
    const info = Gpu.summarize({ supported: ['cuda'], controllers: [nvidia], ramBytes: 8e9, llama: { deviceNames: ['NVIDIA GeForce RTX 4090'], vramTotal: 25e9 } });
    expect(info.devices).toEqual([{ name: 'NVIDIA GeForce RTX 4090', vendor: 'NVIDIA Corporation', vram_bytes: 25e9 }]);
    expect(info.backend).toBe('cuda');
  });

  it('reports the CPU when the started llama.cpp fell back from the GPU binary', () => {
    const info = Gpu.summarize({ supported: ['cuda', 'vulkan'], controllers: [nvidia], ramBytes: 8e9, llama: { gpu: false, deviceNames: [], vramTotal: 0 } });
    expect(info).toMatchObject({ backend: 'cpu', available: ['cuda', 'vulkan', 'cpu'], forced_cpu: false });
    expect(info.devices.map((d) => d.name)).toEqual([nvidia.model]);
  });
});
