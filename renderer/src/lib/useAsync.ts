import { useCallback, useEffect, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `fn` when `key` changes, when `refresh` moves (e.g. the registry generation) and on reload;
 * a refresh or reload keeps the data of the same key visible while it runs.
 */
export function useAsync<T>(fn: () => Promise<T>, key: string, refresh = 0): AsyncState<T> {
  const [n, setN] = useState(0);
  const [state, setState] = useState<{ key: string; data: T | undefined; error: unknown; loading: boolean }>({ key: '', data: undefined, error: null, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => { if (live) setState({ key, data, error: null, loading: false }); },
      (error: unknown) => { if (live) setState((s) => ({ key, data: s.key === key ? s.data : undefined, error, loading: false })); },
    );
    return () => { live = false; };
    // `fn` is recreated every render; `key` says when its inputs changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, n, refresh]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  // Data of another key is never shown as this key's.
  const same = state.key === key;
  return { data: same ? state.data : undefined, error: same ? state.error : null, loading: state.loading || !same, reload };
}
