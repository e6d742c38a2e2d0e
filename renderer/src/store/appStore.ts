// App-wide UI state: toasts, the palette, the registry "generation" that views refetch on, settings.
import { create } from 'zustand';
import type { ConnectionState } from '../api/client';

export type ImportMode = 'vault' | 'in_place';

export interface Toast {
  id: number;
  /** danger: the operation worked but found something dangerous (an import with critical findings); stays until dismissed. */
  kind: 'info' | 'success' | 'error' | 'danger';
  title: string;
  detail?: string;
  action?: { label: string; href: string };
}

const IMPORT_MODE_KEY = 'hallmark.importMode';

function storedImportMode(): ImportMode {
  try {
    return localStorage.getItem(IMPORT_MODE_KEY) === 'in_place' ? 'in_place' : 'vault';
  } catch {
    return 'vault';
  }
}

interface AppState {
  /** Bumped whenever the registry may have changed; data views refetch when it moves. */
  registryGen: number;
  /** Bumped when the hardware in use may have changed (GPU re-detected, CPU forced): the status bar refetches. */
  hardwareGen: number;
  toasts: Toast[];
  paletteOpen: boolean;
  connection: ConnectionState;
  importMode: ImportMode;
  /** Incremented to ask the import input to open (⌘O, buttons, palette). */
  importRequest: number;
  bumpRegistry: () => void;
  bumpHardware: () => void;
  toast: (t: Omit<Toast, 'id'>) => number;
  dismiss: (id: number) => void;
  setPalette: (open: boolean) => void;
  setConnection: (c: ConnectionState) => void;
  setImportMode: (m: ImportMode) => void;
  requestImport: () => void;
}

let toastId = 0;

export const useApp = create<AppState>((set, get) => ({
  registryGen: 0,
  hardwareGen: 0,
  toasts: [],
  paletteOpen: false,
  connection: 'connecting',
  importMode: storedImportMode(),
  importRequest: 0,
  bumpRegistry: () => set((s) => ({ registryGen: s.registryGen + 1 })),
  bumpHardware: () => set((s) => ({ hardwareGen: s.hardwareGen + 1 })),
  toast: (t) => {
    const id = ++toastId;
    set((s) => ({ toasts: [...s.toasts.slice(-5), { ...t, id }] }));
    // Errors stay until dismissed: nothing fails silently or flashes past.
    if (t.kind !== 'error' && t.kind !== 'danger') setTimeout(() => get().dismiss(id), 6000);
    return id;
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  setPalette: (open) => set({ paletteOpen: open }),
  setConnection: (c) => set({ connection: c }),
  setImportMode: (m) => {
    try {
      localStorage.setItem(IMPORT_MODE_KEY, m);
    } catch {
      // private mode: remembered for this session only
    }
    set({ importMode: m });
  },
  requestImport: () => set((s) => ({ importRequest: s.importRequest + 1 })),
}));

export const toastError = (title: string, e: unknown): number =>
  useApp.getState().toast({ kind: 'error', title, detail: e instanceof Error ? e.message : String(e) });
