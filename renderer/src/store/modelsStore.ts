// The Models table's query and cursor: kept across navigation so going back restores the list.
import { create } from 'zustand';
import type { ListQuery, Stage } from '../../../electron/contract/registry';

export type SortKey = NonNullable<ListQuery['sort']>;
export type FilterKey = 'framework' | 'modelType' | 'tag' | 'stage' | 'scanVerdict' | 'signature';
export type ScanVerdictFilter = NonNullable<ListQuery['scanVerdict']>;
export type SignatureFilter = NonNullable<ListQuery['signature']>;

export interface ModelsQuery {
  text: string;
  framework?: string;
  modelType?: string;
  tag?: string;
  stage?: Stage;
  scanVerdict?: ScanVerdictFilter;
  signature?: SignatureFilter;
  sort: SortKey;
  dir: 'asc' | 'desc';
}

interface ModelsState extends ModelsQuery {
  active: number;
  /** The selected model by name: a re-sort finds it again at its new place. */
  activeName: string | null;
  scrollTop: number;
  /** Set before navigating back to the list so the grid takes focus when it mounts. */
  focusOnMount: boolean;
  /** Counts clearFilters calls, so the search box drops a draft that has not been applied yet. */
  resets: number;
  setText: (t: string) => void;
  toggleFilter: (k: FilterKey, v: string) => void;
  clearFilters: () => void;
  sortBy: (k: SortKey) => void;
  setActive: (i: number, name?: string | null) => void;
  setScrollTop: (y: number) => void;
}

/** Text-like columns start ascending; numbers and dates start with the biggest/newest. */
const FIRST_DIR: Record<SortKey, 'asc' | 'desc'> = {
  name: 'asc', format: 'asc', stage: 'asc', version: 'desc', size: 'desc', updated: 'desc', params: 'desc',
  // Riskiest first: findings, then errors, clean, not scanned; fingerprint present first.
  scan: 'desc', audit: 'desc', signature: 'desc',
};

export const useModels = create<ModelsState>((set) => ({
  text: '',
  sort: 'updated',
  dir: 'desc',
  active: 0,
  activeName: null,
  scrollTop: 0,
  focusOnMount: false,
  resets: 0,
  setText: (text) => set({ text, active: 0, activeName: null, scrollTop: 0 }),
  toggleFilter: (k, v) => set((s) => ({ [k]: s[k] === v ? undefined : v, active: 0, activeName: null, scrollTop: 0 })),
  clearFilters: () => set((s) => ({ text: '', framework: undefined, modelType: undefined, tag: undefined, stage: undefined, scanVerdict: undefined, signature: undefined, active: 0, activeName: null, scrollTop: 0, resets: s.resets + 1 })),
  // The same rows in another order: the selected model stays selected (the table finds its new index).
  sortBy: (k) => set((s) => ({ sort: k, dir: s.sort === k ? (s.dir === 'asc' ? 'desc' : 'asc') : FIRST_DIR[k], ...(s.activeName ? {} : { active: 0, scrollTop: 0 }) })),
  setActive: (active, name) => set(name === undefined ? { active } : { active, activeName: name }),
  setScrollTop: (scrollTop) => set({ scrollTop }),
}));
