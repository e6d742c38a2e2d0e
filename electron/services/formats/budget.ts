// Per-file scan budget: a deadline and a memory allowance shared by every reader that works on one
// top-level file (archive members included). A synchronous hot loop blocks the event loop, so a timer
// alone cannot stop it: readers call tick() in their loops and the budget throws once the deadline
// has passed. Not a FormatError on purpose: running out of budget says nothing about the file's
// format, and the scanner turns it into one "unscannable" finding that names the budget.

export class BudgetExceededError extends Error {
  /** Findings made before the budget ran out (attached by the callers the error passes through). */
  readonly partial: unknown[] = [];
  constructor(readonly budget: 'time' | 'memory', message: string) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

export class Budget {
  private n = 0;
  /** Bytes the readers have held in memory for this file (JSON text, HDF5 and protobuf messages…). */
  bytes = 0;
  constructor(readonly maxMs: number, readonly maxBytes: number, readonly started = Date.now()) {}

  get deadline(): number {
    return this.started + this.maxMs;
  }

  get expired(): boolean {
    return Date.now() > this.deadline;
  }

  /** Cheap enough for inner loops: the clock is read once every 1024 calls. */
  tick(): void {
    if ((++this.n & 1023) === 0) this.check();
  }

  check(): void {
    if (Date.now() > this.deadline) throw new BudgetExceededError('time', `not fully scanned: the per-file time budget of ${this.maxMs / 1000} s ran out`);
  }

  /** Accounts for `n` bytes a reader is about to hold; over the allowance is a budget error, not an allocation. */
  charge(n: number, what: string): void {
    this.bytes += n;
    if (this.bytes > this.maxBytes) throw new BudgetExceededError('memory', `not fully scanned: ${what} would take the bytes held for this file past the per-file memory budget of ${this.maxBytes} bytes`);
  }
}

/** For callers without a scan (inspect, tests): generous, never in the way of a normal file. */
export const unbounded = (): Budget => new Budget(10 * 60_000, 8 * 2 ** 30);
