// The tabular model worker (resources/worker, `python -m hallmark_worker`) as a long-lived child process:
// JSON Lines requests on stdin, one reply line per request on stdout (resources/worker/PROTOCOL.md). The
// process starts on demand, is restarted on the next call after it dies (models it held are reloaded
// transparently), and is stopped with SIGTERM, then SIGKILL after a grace period. Lines are parsed with
// the trainer adapter's bounded parser: stray output cannot be mistaken for a reply or exhaust memory.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { JsonLinesParser, stderrReader, type TrainerEvent } from './Trainer';

export class TabularWorkerError extends Error {
  /** `code`: the worker's (PICKLE_NOT_ALLOWED, MODEL_ERROR, BAD_REQUEST…) or ours (NO_PYTHON, WORKER_DIED, PROTOCOL, DISPOSED, TIMEOUT). */
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TabularWorkerError';
  }
}

export interface TabularModelInfo {
  framework: string;
  model_type: string | null;
  class_name: string;
  /** Feature names the model was fitted with (sklearn feature_names_in_, booster feature names), or null. */
  features: string[] | null;
  n_features: number | null;
  classes: Array<string | number> | null;
}

export interface TabularPrediction {
  predictions: Array<string | number | boolean | null>;
  /** One row of class probabilities per input row (classifiers), else null. */
  probabilities: number[][] | null;
}

export interface TabularWorkerOptions {
  python: string;
  /** Folders put on PYTHONPATH (resources/worker). */
  pythonPath: string[];
  env?: NodeJS.ProcessEnv;
  onLog?: (line: string) => void;
  /** SIGTERM → SIGKILL delay (default 3 s). */
  graceMs?: number;
  /** Longest accepted reply line (default 256 MiB: a reply carries a whole chunk's predictions). */
  maxLineBytes?: number;
}

interface Pending { resolve: (v: TrainerEvent) => void; reject: (e: Error) => void }

/** A model loaded through the worker; survives worker restarts (reloaded on next use). */
export interface TabularModel {
  readonly id: number;
  readonly path: string;
  readonly info: TabularModelInfo;
}

interface ModelSpec { path: string; format: string | null; allowPickle: boolean; handle: number; generation: number; info: TabularModelInfo }


class Child {
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: TabularWorkerError | null = null;
  private stderrTail = '';
  private killTimer: NodeJS.Timeout | null = null;

  constructor(readonly proc: ChildProcessWithoutNullStreams, private readonly opts: TabularWorkerOptions) {
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => undefined);
    const parser = new JsonLinesParser((e) => {
      if (e.event === 'ready') return readyResolve();
      const id = typeof e.id === 'number' ? e.id : -1;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (this.pending.size === 0) this.unref();
      p.resolve(e);
    }, (why, sample) => {
      this.fail(new TabularWorkerError('PROTOCOL', `the tabular worker broke its protocol (${why}: ${JSON.stringify(sample)})`));
      this.kill();
    }, opts.maxLineBytes ?? 256 * 1024 * 1024);
    proc.stdout.on('data', (c: Buffer) => parser.push(c));
    proc.stderr.on('data', stderrReader(opts.onLog, (t) => { this.stderrTail = t; }));
    proc.stdin.on('error', () => undefined);
    let spawnError: Error | null = null;
    proc.on('error', (e) => {
      spawnError = e;
    });
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        parser.end();
        let err: TabularWorkerError;
        if (spawnError) {
          const enoent = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
          err = new TabularWorkerError(enoent ? 'NO_PYTHON' : 'SPAWN_FAILED', enoent
            ? `cannot start the tabular worker: no Python at ${JSON.stringify(opts.python)} (run \`hallmark trainer setup --profile tabular\`)`
            : `cannot start the tabular worker: ${spawnError.message}`);
        } else {
          const tail = this.stderrTail.trim().split('\n').filter(Boolean).pop()?.slice(0, 300) ?? '';
          err = new TabularWorkerError('WORKER_DIED', `the tabular worker ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`);
        }
        this.fail(err);
        readyReject(err);
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.dead === null;
  }

  private fail(err: TabularWorkerError): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  private unref(): void {
    // An idle worker must not keep the CLI's event loop alive; a request in flight does.
    (this.proc as unknown as { unref(): void }).unref();
    (this.proc.stdout as unknown as { unref?: () => void }).unref?.();
    (this.proc.stderr as unknown as { unref?: () => void }).unref?.();
    (this.proc.stdin as unknown as { unref?: () => void }).unref?.();
  }

  private ref(): void {
    (this.proc as unknown as { ref(): void }).ref();
    (this.proc.stdout as unknown as { ref?: () => void }).ref?.();
  }

  async call(op: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<TrainerEvent> {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    if (this.pending.size === 0) this.ref();
    const reply = new Promise<TrainerEvent>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.proc.stdin.write(JSON.stringify({ ...payload, id, op }) + '\n');
    let timer: NodeJS.Timeout | null = null;
    const r = await (timeoutMs
      ? Promise.race([reply, new Promise<never>((_, rej) => {
        timer = setTimeout(() => {
          // A hung worker is killed: its next use starts a fresh one.
          this.kill();
          rej(new TabularWorkerError('TIMEOUT', `the tabular worker did not answer ${op} within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      })])
      : reply).finally(() => timer && clearTimeout(timer));
    if (r.event === 'error') throw new TabularWorkerError(typeof r.code === 'string' ? r.code : 'INTERNAL', typeof r.message === 'string' ? r.message : 'the tabular worker failed');
    return r;
  }

  kill(): void {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    try {
      this.proc.kill('SIGTERM');
    } catch {
      // already gone
    }
    this.killTimer ??= setTimeout(() => this.proc.kill('SIGKILL'), this.opts.graceMs ?? 3000);
  }
}

export class TabularWorker {
  private child: Child | null = null;
  private generation = 0;
  private disposed = false;
  private nextModel = 1;
  private readonly models = new Map<number, ModelSpec>();
  /** How many times a worker process was started (1 + restarts). */
  starts = 0;

  private constructor(private readonly opts: TabularWorkerOptions) {}

  /** Starts the worker and waits for its ready line (fails with NO_PYTHON / WORKER_DIED when it cannot start). */
  static async create(opts: TabularWorkerOptions): Promise<TabularWorker> {
    const w = new TabularWorker(opts);
    await w.ensure();
    return w;
  }

  /** The running process's id (null when none is running). */
  get pid(): number | null {
    return this.child?.alive ? this.child.proc.pid ?? null : null;
  }

  private async ensure(): Promise<Child> {
    if (this.disposed) throw new TabularWorkerError('DISPOSED', 'the tabular worker was disposed');
    if (this.child?.alive) {
      await this.child.ready;
      return this.child;
    }
    const env: NodeJS.ProcessEnv = {
      ...(this.opts.env ?? process.env),
      PYTHONPATH: this.opts.pythonPath.join(process.platform === 'win32' ? ';' : ':'),
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
      // One worker per app: numeric libraries must not each grab every core.
      OMP_NUM_THREADS: this.opts.env?.OMP_NUM_THREADS ?? process.env.OMP_NUM_THREADS ?? '1',
    };
    const proc = spawn(this.opts.python, ['-m', 'hallmark_worker'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const c = new Child(proc, this.opts);
    this.child = c;
    this.generation++;
    this.starts++;
    await c.ready;
    return c;
  }

  async ping(): Promise<{ versions: Record<string, string | null> }> {
    const r = await (await this.ensure()).call('ping', {}, 60_000);
    return { versions: r.versions as Record<string, string | null> };
  }

  /**
   * Loads a model. `allowPickle` must only be true after the app's scan passed and the user confirmed:
   * unpickling runs code from the file (in the worker, never in the app).
   */
  async load(path: string, opts: { format?: string | null; allowPickle?: boolean } = {}): Promise<TabularModel> {
    const c = await this.ensure();
    const r = await c.call('load', { path, format: opts.format ?? null, allow_pickle: Boolean(opts.allowPickle) }, 300_000);
    const info: TabularModelInfo = {
      framework: String(r.framework), model_type: (r.model_type as string | null) ?? null, class_name: String(r.class_name),
      features: (r.features as string[] | null) ?? null, n_features: (r.n_features as number | null) ?? null, classes: (r.classes as TabularModelInfo['classes']) ?? null,
    };
    const id = this.nextModel++;
    this.models.set(id, { path, format: opts.format ?? null, allowPickle: Boolean(opts.allowPickle), handle: r.handle as number, generation: this.generation, info });
    return { id, path, info };
  }

  /** Predicts rows (each a list of feature values in the model's order). A dead worker is restarted and the model reloaded first. */
  async predict(model: TabularModel, rows: Array<Array<number | null>>, timeoutMs = 600_000): Promise<TabularPrediction> {
    const spec = this.models.get(model.id);
    if (!spec) throw new TabularWorkerError('NO_MODEL', `the model ${model.path} was unloaded`);
    const c = await this.ensure();
    if (spec.generation !== this.generation) {
      const r = await c.call('load', { path: spec.path, format: spec.format, allow_pickle: spec.allowPickle }, 300_000);
      spec.handle = r.handle as number;
      spec.generation = this.generation;
    }
    const r = await c.call('predict', { handle: spec.handle, rows }, timeoutMs);
    return { predictions: r.predictions as TabularPrediction['predictions'], probabilities: (r.probabilities as number[][] | null) ?? null };
  }

  async unload(model: TabularModel): Promise<void> {
    const spec = this.models.get(model.id);
    this.models.delete(model.id);
    if (spec && this.child?.alive && spec.generation === this.generation) await this.child.call('unload', { handle: spec.handle }).catch(() => undefined);
  }

  /** Stops the process (exit request, then SIGTERM/SIGKILL) and waits for it to be gone. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const c = this.child;
    this.child = null;
    if (!c) return;
    if (c.alive) {
      const bye = c.call('exit', {}, 2000).catch(() => undefined);
      await Promise.race([bye, new Promise((r) => setTimeout(r, 2000))]);
      c.kill();
    }
    await c.exited;
  }
}
