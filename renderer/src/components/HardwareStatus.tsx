import { useEffect, useState } from 'react';
import type { Output } from '../../../electron/contract/index';
import { api } from '../api/client';
import { useApp } from '../store/appStore';
import { errorText, fmtGiB } from '../lib/format';

type Gpu = Output<'gpu.info'>;

/** The status bar's hardware segment: backend, device and VRAM, RAM (from gpu.info when it exists). */
export function HardwareStatus() {
  const [gpu, setGpu] = useState<Gpu | null>(null);
  const [error, setError] = useState<string | null>(null);
  const hardwareGen = useApp((s) => s.hardwareGen);

  useEffect(() => {
    let live = true;
    api.call('gpu.info', {}).then((g) => { if (live) { setGpu(g); setError(null); } }, (e: unknown) => { if (live) setError(errorText(e)); });
    return () => { live = false; };
  }, [hardwareGen]);

  if (error) return <span className="seg text-danger" title={error}><span className="dot dot-danger" aria-hidden="true" /> hardware unknown</span>;
  if (!gpu) return <span className="seg muted"><span className="dot dot-muted" aria-hidden="true" /> detecting hardware…</span>;
  const dev = gpu.devices[0];
  const vram = gpu.devices.reduce((s, d) => s + d.vram_bytes, 0);
  const label = gpu.backend === 'cpu' ? 'CPU' : gpu.backend === 'cuda' ? 'CUDA' : gpu.backend === 'metal' ? 'Metal' : 'Vulkan';
  const title = [
    ...gpu.devices.map((d) => `${d.name} (${d.vendor}) ${fmtGiB(d.vram_bytes)} VRAM`),
    `${fmtGiB(gpu.ram_bytes)} RAM`,
    `available: ${gpu.available.join(', ')}`,
    gpu.forced_cpu ? 'GPU turned off in Settings' : '',
  ].filter(Boolean).join('\n');
  return (
    <span className="seg" title={title} data-testid="hardware">
      <span className={`dot ${gpu.backend === 'cpu' ? 'dot-muted' : 'dot-ok'}`} aria-hidden="true" />
      {label}{gpu.forced_cpu ? ' (GPU off)' : ''}
      {gpu.backend !== 'cpu' && dev ? ` · ${fmtGiB(vram)} VRAM` : ''} · {fmtGiB(gpu.ram_bytes)} RAM
    </span>
  );
}
