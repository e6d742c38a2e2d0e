import type { HallmarkEvent } from '../contract/events';
import type { JobManager } from './jobs/JobManager';

type Listener = (e: HallmarkEvent) => void;

/**
 * One event hub per context (`ctx.events`): job progress and registry changes fan out to IPC and WebSocket clients.
 * `registry.changed` comes from the API handlers that change the registry (api/changed.ts).
 */
export class EventHub {
  private listeners = new Set<Listener>();
  constructor(jobs: JobManager) {
    jobs.on('job', (job) => this.emit({ type: 'job', job }));
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
