// Number options of the commands, checked before anything heavy loads.
import type { Cli } from './Cli';

export function int(cli: Cli, raw: string | undefined, what: string, min = 1): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) return cli.fail(`${what} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function num(cli: Cli, raw: string | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) return cli.fail(`${what} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return n;
}
