// Pages of registry.models fetched on demand as the table scrolls: the list never loads everything,
// so 100,000 models cost what one screenful costs.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ListQuery, ModelRow } from '../../../electron/contract/registry';
import { api } from '../api/client';

export const PAGE_SIZE = 200;

interface PagesState {
  key: string;
  total: number | null;
  pages: Record<number, ModelRow[]>;
  /** Rows of the previous generation of the same query, shown while a refresh is in flight. */
  stale: Record<number, ModelRow[]>;
  error: unknown;
}

export interface ModelPages {
  total: number | null;
  error: unknown;
  loading: boolean;
  row: (index: number) => ModelRow | undefined;
  /** Makes sure the rows first..last are loaded (or loading). */
  ensure: (first: number, last: number) => void;
  retry: () => void;
}

export function useModelPages(query: Omit<ListQuery, 'limit' | 'offset'>, generation: number): ModelPages {
  const paramsKey = JSON.stringify(query);
  const key = `${paramsKey}#${generation}`;
  const [retryN, setRetryN] = useState(0);
  const fullKey = `${key}#${retryN}`;
  const [state, setState] = useState<PagesState>({ key: fullKey, total: null, pages: {}, stale: {}, error: null });
  const inflight = useRef(new Set<string>());
  const queryRef = useRef(query);
  queryRef.current = query;

  // A new query starts empty; a refresh of the same query keeps old rows visible until new ones arrive.
  if (state.key !== fullKey) {
    const sameQuery = state.key.startsWith(`${paramsKey}#`);
    setState({ key: fullKey, total: sameQuery ? state.total : null, pages: {}, stale: sameQuery ? { ...state.stale, ...state.pages } : {}, error: null });
  }

  const fetchPage = useCallback((page: number, k: string) => {
    const id = `${k}:${page}`;
    if (inflight.current.has(id)) return;
    inflight.current.add(id);
    api.call('registry.models', { ...queryRef.current, limit: PAGE_SIZE, offset: page * PAGE_SIZE }).then(
      (r) => setState((s) => (s.key === k ? { ...s, total: r.total, pages: { ...s.pages, [page]: r.rows }, error: null } : s)),
      (e: unknown) => {
        inflight.current.delete(id);
        setState((s) => (s.key === k ? { ...s, error: e } : s));
      },
    );
  }, []);

  useEffect(() => {
    inflight.current.clear();
    fetchPage(0, fullKey);
  }, [fullKey, fetchPage]);

  const ensure = useCallback((first: number, last: number) => {
    if (state.error) return;
    const a = Math.floor(Math.max(0, first) / PAGE_SIZE);
    const b = Math.floor(Math.max(0, last) / PAGE_SIZE);
    for (let p = a; p <= b; p++) if (!state.pages[p]) fetchPage(p, state.key);
  }, [state.pages, state.key, state.error, fetchPage]);

  const row = useCallback((i: number) => {
    const p = Math.floor(i / PAGE_SIZE);
    return (state.pages[p] ?? state.stale[p])?.[i % PAGE_SIZE];
  }, [state.pages, state.stale]);

  return {
    total: state.total,
    error: state.error,
    loading: state.total === null || !state.pages[0],
    row,
    ensure,
    retry: () => setRetryN((n) => n + 1),
  };
}
