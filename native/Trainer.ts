// The Python trainer (resources/trainer, `python -m hallmark_trainer`) as a child process: one JSON spec
// on stdin, JSON Lines events on stdout, human logs on stderr (resources/trainer/PROTOCOL.md). This
// adapter only speaks the protocol: it parses lines defensively (a trainer is a big dependency stack
// whose stray prints must not be mistaken for results), maps exit codes and signals to one error, and
// cancels with SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** One protocol event: every line is an object with `event` and `t`; the rest is per event. */
export interface TrainerEvent {
  event: string;
  t?: number;
  [k: string]: unknown;
}

export interface TrainerDone extends TrainerEvent {
  event: 'done';
}

/** Why a run did not end with a `done` event. `code` is the trainer's error code, or ours for process failures. */
export class TrainerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail: { exitCode: number | null; signal: string | null; stderrTail: string; event?: TrainerEvent } = { exitCode: null, signal: null, stderrTail: '' },
  ) {
    super(message);
    this.name = 'TrainerError';
  }
}

export interface TrainerOptions {
  python: string;
  /** Folders put on PYTHONPATH (resources/trainer and llama.cpp's gguf-py). */
  pythonPath: string[];
  /** The spec object; written to stdin and never to disk (it may hold fingerprint pairs). */
  spec: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  onEvent?: (e: TrainerEvent) => void;
  /** Human log lines from stderr. */
  onLog?: (line: string) => void;
  /** SIGTERM → SIGKILL delay (default 10 s: the trainer removes its partial output on SIGTERM). */
  graceMs?: number;
  /** Longest accepted event line (default 4 MiB: a done event carries held-out prompts and answers). */
  maxLineBytes?: number;
}

/**
 * Splits a byte stream into lines, never holding more than `max` bytes of one line: an over-long line is
 * dropped whole and reported, so a runaway writer cannot exhaust memory.
 */
export class JsonLinesParser {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly onValue: (v: TrainerEvent) => void,
    private readonly onBad: (why: string, sample: string) => void,
    private readonly max = 4 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.take(chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
  }

  /** End of stream: a last line without a newline still counts (a killed writer may leave one). */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.size) this.line(Buffer.concat(this.parts));
    this.parts = [];
    this.size = 0;
  }

  private take(piece: Buffer, complete: boolean): void {
    if (this.skipping) {
      if (complete) this.skipping = false;
      return;
    }
    if (this.size + piece.length > this.max) {
      this.onBad(`an output line is longer than ${this.max} bytes`, Buffer.concat([...this.parts, piece]).subarray(0, 80).toString('utf8'));
      this.parts = [];
      this.size = 0;
      this.skipping = !complete;
      return;
    }
    this.parts.push(Buffer.from(piece));
    this.size += piece.length;
    if (!complete) return;
    const line = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.line(line);
  }

  private line(buf: Buffer): void {
    const text = buf.toString('utf8').trim();
    if (!text) return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.onBad('a line is not JSON', text.slice(0, 80));
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as { event?: unknown }).event !== 'string') {
      this.onBad('a line is not an event object', text.slice(0, 80));
      return;
    }
    this.onValue(v as TrainerEvent);
  }
}

const STDERR_TAIL = 8 * 1024;

/**
 * A child's stderr as log lines for `onLog`, and the tail kept for error reports. A line still open is
 * capped like the tail, so a child printing without newlines cannot grow it without bound.
 */
export function stderrReader(onLog: ((line: string) => void) | undefined, keepTail: (tail: string) => void): (c: Buffer) => void {
  let tail = '';
  let open = '';
  return (c) => {
    const s = c.toString('utf8');
    tail = (tail + s).slice(-STDERR_TAIL);
    keepTail(tail);
    if (!onLog) return;
    open += s;
    const lines = open.split(/\r?\n|\r/);
    open = lines.pop() ?? '';
    if (open.length > STDERR_TAIL) open = open.slice(-STDERR_TAIL);
    for (const l of lines) if (l.trim()) onLog(l);
  };
}

/** A running trainer. `result` settles once: with the done event, or a TrainerError. */
export class Trainer {
  readonly result: Promise<TrainerDone>;
  private stderrTail = '';
  private lastError: TrainerEvent | null = null;
  private protocolError: string | null = null;
  private cancelled = false;
  private killTimer: NodeJS.Timeout | null = null;
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly opts: TrainerOptions) {
    let done: TrainerDone | null = null;
    const parser = new JsonLinesParser((e) => {
      if (e.event === 'done') done = e as TrainerDone;
      if (e.event === 'error') this.lastError = e;
      try {
        opts.onEvent?.(e);
      } catch {
        // a listener's bug must not wedge the process plumbing
      }
    }, (why, sample) => {
      // The protocol owns stdout: anything else there means the run cannot be trusted.
      if (this.protocolError) return;
      this.protocolError = `the trainer broke its protocol (${why}: ${JSON.stringify(sample)})`;
      this.terminate();
    }, opts.maxLineBytes);
    child.stdout.on('data', (c: Buffer) => parser.push(c));
    child.stderr.on('data', stderrReader(opts.onLog, (t) => { this.stderrTail = t; }));
    // A dead child closes stdin under us: EPIPE is then reported through the exit, not thrown.
    child.stdin.on('error', () => undefined);
    this.result = new Promise<TrainerDone>((resolve, reject) => {
      let spawnError: Error | null = null;
      child.on('error', (e) => {
        spawnError = e;
      });
      child.on('close', (code, signal) => {
        this.exited = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        parser.end();
        const detail = { exitCode: code, signal, stderrTail: this.stderrTail.trim() };
        if (spawnError) {
          const enoent = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
          reject(new TrainerError(enoent ? 'NO_PYTHON' : 'SPAWN_FAILED', enoent
            ? `cannot start the trainer: no Python at ${JSON.stringify(opts.python)} (run \`hallmark trainer setup\`)`
            : `cannot start the trainer: ${spawnError.message}`, detail));
          return;
        }
        if (this.protocolError) return reject(new TrainerError('PROTOCOL', this.protocolError, detail));
        if (done && code === 0) return resolve(done);
        const err = this.lastError;
        if (err) {
          const c = typeof err.code === 'string' ? err.code : 'INTERNAL';
          const msg = typeof err.message === 'string' ? err.message : 'the trainer failed';
          return reject(new TrainerError(c, msg, { ...detail, event: err }));
        }
        if (this.cancelled) return reject(new TrainerError('CANCELLED', 'training was cancelled', detail));
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = lastLine(this.stderrTail);
        reject(new TrainerError(signal === 'SIGKILL' ? 'KILLED' : 'CRASHED',
          `the trainer ${how} before finishing${done ? ' (after its done event)' : ''}${tail ? `: ${tail}` : ''}`, detail));
      });
    });
    this.result.catch(() => undefined);
  }

  static create(opts: TrainerOptions): Trainer {
    const env: NodeJS.ProcessEnv = {
      ...(opts.env ?? process.env),
      PYTHONPATH: opts.pythonPath.join(process.platform === 'win32' ? ';' : ':'),
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
      // Its own process group is not needed: SIGTERM reaches the trainer, which stops its converters.
    };
    const child = spawn(opts.python, ['-m', 'hallmark_trainer'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const t = new Trainer(child, opts);
    child.stdin.end(JSON.stringify(opts.spec) + '\n');
    return t;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the trainer to stop (it cleans its partial output); kills it if it has not exited after the grace period. */
  cancel(): void {
    this.cancelled = true;
    this.terminate();
  }

  private terminate(): void {
    if (this.exited) return;
    try {
      this.child.kill('SIGTERM');
    } catch {
      // already gone
    }
    this.killTimer ??= setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, this.opts.graceMs ?? 10_000);
  }

  /** Cancels a run still going and waits for the process to be gone. */
  async dispose(): Promise<void> {
    if (!this.exited) this.cancel();
    await this.result.catch(() => undefined);
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n').filter((l) => l.trim());
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
