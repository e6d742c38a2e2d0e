// Calls that change what the registry views show (models, versions, stages, integrity, the latest scan or
// audit) say so with one `registry.changed` event: pages refetch on it and never bump by hand. Emitted here,
// in the handlers, so the CLI (which has no pages) pays nothing and Registry stays free of events.
import type { AppContext } from '../AppContext';

const emit = (ctx: AppContext) => ctx.events.emit({ type: 'registry.changed' });

/** After a call that changed the registry; passes its result through. */
export function changed<T>(ctx: AppContext, result: T): T {
  emit(ctx);
  return result;
}

/**
 * For a call that starts a job: the change is announced when the job ends, however it ends (a failed
 * import may have stored its version before the post-import scan failed; a failed scan stores its run).
 */
export function changedWhenDone(ctx: AppContext, jobId: string, promise: Promise<unknown>): { jobId: string } {
  void promise.then(() => emit(ctx), () => emit(ctx));
  return { jobId };
}
