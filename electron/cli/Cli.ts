import type { AppContext, AppContextOptions } from '../services/AppContext';
import { HallmarkError } from '../services/errors';

/** Thrown to leave with a given exit code: 0 ok/clean, 1 the check found something, 2 usage or could not run. */
export class CliExit extends Error {
  constructor(readonly code: 0 | 1 | 2, message = '') {
    super(message);
  }
}

/** What every command gets: the lazily opened context and output helpers honouring --json. */
export class Cli {
  private context: AppContext | null = null;
  json = false;
  home: string | undefined;
  /**
   * Opens the registry. Set by commands/index.ts for the command groups that use one, so `hallmark scan`
   * never loads the database layer (a CI gate may call it once per file).
   */
  openContext: ((opts: AppContextOptions) => AppContext) | null = null;

  constructor(readonly stdout: NodeJS.WritableStream = process.stdout, readonly stderr: NodeJS.WritableStream = process.stderr) {}

  ctx(): AppContext {
    if (!this.context) {
      if (!this.openContext) throw new Error('this command group does not open the registry (opensContext in commands/index.ts)');
      this.context = this.openContext(this.home ? { home: this.home } : {});
    }
    return this.context;
  }

  /** Machine-readable on stdout with --json, human text otherwise. */
  out(value: unknown, human: () => string): void {
    this.stdout.write(this.json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
  }

  /** Progress and notes go to stderr so stdout stays parseable. */
  note(text: string): void {
    this.stderr.write(text + '\n');
  }

  fail(message: string, code: 0 | 1 | 2 = 2): never {
    throw new CliExit(code, message);
  }

  async close(): Promise<void> {
    if (this.context) await this.context.dispose();
    this.context = null;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof HallmarkError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A stderr progress line for a job: "42% 512 MB/s ETA 3s". */
export function progressPrinter(cli: Cli, label: string): (done: number, total: number | null) => void {
  let last = 0;
  const isTty = (cli.stderr as NodeJS.WriteStream).isTTY === true;
  const start = Date.now();
  return (done, total) => {
    const t = Date.now();
    if (t - last < 500 && done !== total) return;
    last = t;
    const secs = (t - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const pct = total ? Math.floor((done / total) * 100) : null;
    const eta = total && rate > 0 ? Math.ceil((total - done) / rate) : null;
    const line = `${label} ${pct === null ? '' : pct + '% '}${fmtBytes(done)}${total ? ' / ' + fmtBytes(total) : ''} ${fmtBytes(rate)}/s${eta === null ? '' : ' ETA ' + eta + 's'}`;
    cli.stderr.write(isTty ? `\r${line}\x1b[K` : line + '\n');
  };
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)} ${u[i]}`;
}
