import { useEffect, useRef } from 'react';
import { onConnection, onEvent } from './api/client';
import { CommandPalette } from './components/CommandPalette';
import { DropOverlay } from './components/DropOverlay';
import { ImportInput } from './components/ImportInput';
import { JobsDrawer } from './components/JobsDrawer';
import { Sidebar } from './components/Sidebar';
import { ModeBanner } from './components/ModeSegment';
import { StatusBar } from './components/StatusBar';
import { Toasts } from './components/Toasts';
import { TopBar } from './components/TopBar';
import { navigate, useRoute } from './lib/route';
import { useApp } from './store/appStore';
import { useJobs } from './store/jobsStore';
import { useModels } from './store/modelsStore';
import { ModelPage } from './views/ModelPage';
import { FILTER_INPUT_ID, ModelsView } from './views/ModelsView';
import { AuditsView } from './views/AuditsView';
import { IncidentsView } from './views/IncidentsView';
import { ScansView } from './views/ScansView';
import { EvaluateView } from './views/EvaluateView';
import { SectionView } from './views/SectionView';
import { TrainingView } from './views/TrainingView';
import { SettingsView } from './views/SettingsView';

const isTyping = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/** Live updates: job progress into the jobs store, registry changes into a refetch. */
function useServiceEvents(): void {
  useEffect(() => {
    const { upsert, load } = useJobs.getState();
    const { bumpRegistry, setConnection } = useApp.getState();
    void load();
    const offEvents = onEvent((ev) => {
      if (ev.type === 'job') upsert(ev.job);
      else if (ev.type === 'registry.changed') bumpRegistry();
    });
    let wasDown = false;
    const offConn = onConnection((c) => {
      setConnection(c);
      if (c === 'closed') wasDown = true;
      if (c === 'open' && wasDown) {
        // Events were missed while disconnected: catch up.
        wasDown = false;
        void load();
        bumpRegistry();
      }
    });
    return () => {
      offEvents();
      offConn();
    };
  }, []);
}

function useGlobalKeys(inModel: boolean): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.metaKey || e.ctrlKey;
      const k = e.key.toLowerCase();
      const app = useApp.getState();
      if (mod && !e.shiftKey && !e.altKey && k === 'k') {
        e.preventDefault();
        app.setPalette(!app.paletteOpen);
      } else if (mod && !e.shiftKey && !e.altKey && k === 'o') {
        e.preventDefault();
        app.requestImport();
      } else if (mod && !e.shiftKey && !e.altKey && k === 'f') {
        e.preventDefault();
        // The current list's own filter (Scans…), else the Models filter.
        const here = document.querySelector<HTMLInputElement>('main input[data-list-filter]');
        if (!here) navigate('#/models');
        requestAnimationFrame(() => {
          const el = here ?? (document.getElementById(FILTER_INPUT_ID) as HTMLInputElement | null);
          el?.focus();
          el?.select();
        });
      } else if (e.key === 'Escape') {
        // After every other handler has run: a pane that closed on this Esc marks it handled.
        setTimeout(() => {
          if (e.defaultPrevented) return;
          if (app.paletteOpen) app.setPalette(false);
          else if (useJobs.getState().drawerOpen) useJobs.getState().setDrawer(false);
          else if (isTyping(e.target)) (e.target as HTMLElement).blur();
          else if (inModel && !document.querySelector('[aria-modal="true"]')) {
            useModels.setState({ focusOnMount: true });
            navigate('#/models');
          }
        }, 0);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [inModel]);
}

/** The page's main target: the view's marked control (the Models grid), else its heading. */
function mainTarget(): HTMLElement | null {
  const marked = document.querySelector<HTMLElement>('main [data-skip-target]');
  if (marked) return marked;
  const h = document.querySelector<HTMLElement>('main h1');
  if (h && !h.hasAttribute('tabindex')) h.tabIndex = -1;
  return h;
}

/** First in the tab order: one Tab and Enter reach the page's content (the Models table). */
function SkipLink() {
  return (
    <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainTarget()?.focus(); }}>
      Skip to content
    </a>
  );
}

/**
 * After navigating to another section or model, focus lands on the new page's heading (screen readers
 * announce it, Tab continues from there), unless the view already focused something of its own.
 */
function useFocusOnNavigate(key: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    let tries = 0;
    let raf = 0;
    const tryFocus = () => {
      const main = document.getElementById('main');
      if (!main || main.contains(document.activeElement) || document.querySelector('[aria-modal="true"]') || useApp.getState().paletteOpen) return;
      const h = main.querySelector<HTMLElement>('h1');
      if (h) {
        if (!h.hasAttribute('tabindex')) h.tabIndex = -1;
        h.focus({ preventScroll: true });
      } else if (tries++ < 60) raf = requestAnimationFrame(tryFocus);
    };
    raf = requestAnimationFrame(tryFocus);
    return () => cancelAnimationFrame(raf);
  }, [key]);
}

export function App() {
  const route = useRoute();
  useServiceEvents();
  useGlobalKeys(Boolean(route.model));
  useFocusOnNavigate(`${route.section}/${route.model ?? ''}`);

  let view;
  if (route.section === 'models') view = route.model ? <ModelPage key={route.model} route={route} /> : <ModelsView />;
  else if (route.section === 'settings') view = <SettingsView />;
  else if (route.section === 'audits') view = <AuditsView />;
  else if (route.section === 'scans') view = <ScansView />;
  else if (route.section === 'incidents') view = <IncidentsView />;
  else if (route.section === 'training') view = <TrainingView />;
  else if (route.section === 'evaluate') view = <EvaluateView />;
  else view = <SectionView section={route.section} />;

  return (
    <div className="app">
      <SkipLink />
      {/* The page's content comes first in the tab order (skip link → the view's search → its list); the
          grid areas keep the sidebar and the top bar where they are on screen. */}
      <main className="main" id="main"><ModeBanner />{view}</main>
      <Sidebar current={route.section} />
      <TopBar />
      <StatusBar />
      <JobsDrawer />
      <CommandPalette />
      <DropOverlay />
      <Toasts />
      <ImportInput />
    </div>
  );
}
