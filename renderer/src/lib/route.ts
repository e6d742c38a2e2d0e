// Hash routes (work from file:// in Electron and from the bridge alike):
//   #/models                      the Models table
//   #/models/NAME[@V][/TAB]       a model page, optionally at version V and tab TAB
//   #/scans #/audits #/training #/incidents #/evaluate #/settings
//   #/scans?model=NAME[&version=V]  the Scans list filtered to one model (version)
import { useSyncExternalStore } from 'react';

export const SECTIONS = ['models', 'scans', 'audits', 'training', 'incidents', 'evaluate', 'settings'] as const;
export type Section = (typeof SECTIONS)[number];

export const MODEL_TABS = ['overview', 'files', 'inspect', 'security', 'run', 'audits', 'monitoring', 'incidents', 'compare', 'export'] as const;
export type ModelTab = (typeof MODEL_TABS)[number];

export interface Route {
  section: Section;
  model?: string;
  version?: number;
  tab: ModelTab;
  /** `?key=value` after a section (filters of list views). */
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const qAt = raw.indexOf('?');
  const parts = (qAt >= 0 ? raw.slice(0, qAt) : raw).split('/');
  const params = new URLSearchParams(qAt >= 0 ? raw.slice(qAt + 1) : '');
  const section = (SECTIONS as readonly string[]).includes(parts[0] ?? '') ? (parts[0] as Section) : 'models';
  const route: Route = { section, tab: 'overview', params };
  if (section === 'models' && parts[1]) {
    let ref: string;
    try {
      ref = decodeURIComponent(parts[1]);
    } catch {
      ref = parts[1];
    }
    const m = /^(.*)@(\d+)$/.exec(ref);
    route.model = m ? m[1]! : ref;
    if (m) route.version = Number(m[2]);
    if (parts[2] && (MODEL_TABS as readonly string[]).includes(parts[2])) route.tab = parts[2] as ModelTab;
  }
  return route;
}

export function modelHref(name: string, version?: number, tab?: ModelTab): string {
  return `#/models/${encodeURIComponent(version ? `${name}@${version}` : name)}${tab && tab !== 'overview' ? `/${tab}` : ''}`;
}

/** The Scans list filtered to a model (and version). */
export function scansHref(name?: string, version?: number): string {
  if (!name) return '#/scans';
  const p = new URLSearchParams({ model: name });
  if (version) p.set('version', String(version));
  return `#/scans?${p.toString()}`;
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}

const subscribe = (cb: () => void) => {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
};

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  // Parsing is cheap; consumers compare fields, not identity.
  return parseRoute(hash);
}
