// Per-row extras of the Models table (latest scan verdict, latest audit verdict) fetched only for the
// rows that stay on screen, a few at a time, cached per model@version until the registry changes.
import { useEffect, useRef, useState } from 'react';
import type { ModelRow } from '../../../electron/contract/registry';
import { useApp } from '../store/appStore';

export type Lookup<T> = T | 'error';

export function useRowLookups<T>(visible: ModelRow[], enabled: boolean, fetch: (name: string, version: number) => Promise<T>): (m: ModelRow) => Lookup<T> | undefined {
  const gen = useApp((s) => s.registryGen);
  const [cache, setCache] = useState<{ gen: number; map: Record<string, Lookup<T>> }>({ gen, map: {} });
  const inflight = useRef(new Set<string>());
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;
  const keyOf = (m: ModelRow) => `${m.name}@${m.latestVersion ?? 0}`;
  const wanted = visible.filter((m) => m.latestVersion).map(keyOf).join('|');

  if (cache.gen !== gen) setCache({ gen, map: {} });

  useEffect(() => {
    if (!enabled || !wanted) return;
    // Wait for scrolling to settle before asking.
    const t = setTimeout(() => {
      const todo = wanted.split('|').filter((k) => !(k in cache.map) && !inflight.current.has(`${gen}:${k}`));
      let i = 0;
      const worker = async () => {
        while (i < todo.length) {
          const k = todo[i++]!;
          const at = k.lastIndexOf('@');
          inflight.current.add(`${gen}:${k}`);
          let v: Lookup<T>;
          try {
            v = await fetchRef.current(k.slice(0, at), Number(k.slice(at + 1)));
          } catch {
            v = 'error';
          }
          setCache((c) => (c.gen === gen ? { gen, map: { ...c.map, [k]: v } } : c));
        }
      };
      for (let w = 0; w < 4; w++) void worker();
    }, 150);
    return () => clearTimeout(t);
  }, [enabled, wanted, gen, cache.map]);

  return (m) => (enabled ? cache.map[keyOf(m)] : undefined);
}
