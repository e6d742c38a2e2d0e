import type { HallmarkEvent } from '../contract/events';
import type { AppContext } from './AppContext';

type Listener = (e: HallmarkEvent) => void;

/**
 * One event hub per context: job progress and registry changes fan out to IPC and WebSocket clients.
 * `registry.changed` comes from the API handlers that change the registry (api/changed.ts).
 */
class EventHub {
  private listeners = new Set<Listener>();
  constructor(ctx: AppContext) {
    ctx.jobs.on('job', (job) => this.emit({ type: 'job', job }));
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: HallmarkEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken listener (a closed socket) must not stop the others.
      }
    }
  }
}

const hubs = new WeakMap<AppContext, EventHub>();

export function eventsOf(ctx: AppContext): EventHub {
  let h = hubs.get(ctx);
  if (!h) {
    h = new EventHub(ctx);
    hubs.set(ctx, h);
  }
  return h;
}
