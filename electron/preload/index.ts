// The only bridge into the page: one typed `hallmark` object, channels checked against the contract.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { isMethod, type CallResult } from '../contract/index';
import type { HallmarkEvent } from '../contract/events';

const api = {
  call(method: string, input: unknown): Promise<CallResult> {
    if (typeof method !== 'string' || !isMethod(method)) return Promise.resolve({ ok: false, error: { code: 'unknown_method', message: `unknown method ${JSON.stringify(method)}` } });
    return ipcRenderer.invoke('hallmark:call', method, input) as Promise<CallResult>;
  },
  onEvent(cb: (e: HallmarkEvent) => void): () => void {
    const listener = (_e: unknown, ev: HallmarkEvent) => cb(ev);
    ipcRenderer.on('hallmark:event', listener);
    return () => ipcRenderer.removeListener('hallmark:event', listener);
  },
  /** The real path of a dropped file (Electron ≥ 32 removed File.path). */
  pathForFile(file: File): string | null {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
  platform: process.platform,
};

export type PreloadApi = typeof api;
contextBridge.exposeInMainWorld('hallmark', api);
