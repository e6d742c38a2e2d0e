import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImportOptions, ImportResult } from '../../electron/contract/registry';
import { AppContext, type AppContextOptions } from '../../electron/services/AppContext';
import { importPath } from '../../electron/services/registry/Importer';
import { inspectAndScan } from '../../electron/services/scan/plugin';
import { checkSignatureOnImport } from '../../electron/services/signing/plugin';

/** A context as the app, the CLI and the bridge open it: imports are inspected and scanned. */
export function openContext(opts: AppContextOptions = {}): AppContext {
  return AppContext.open({ versionHooks: [inspectAndScan, checkSignatureOnImport], ...opts });
}

/** A throwaway HALLMARK_HOME with an open context; `cleanup` disposes and deletes it. */
export function tempHome(prefix = 'hallmark-test-'): { home: string; ctx: AppContext; dir: string; cleanup: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(dir, 'home');
  const ctx = openContext({ home });
  return {
    home, ctx, dir,
    cleanup: async () => {
      await ctx.dispose().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift), so fixtures differ but tests are reproducible. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Imports through the real importer inside a job, as the CLI and the UI do. */
export function importInto(ctx: AppContext, o: ImportOptions): Promise<ImportResult> {
  return ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, o, job));
}

/** Writes `data` at `dir/name`, creating folders; returns the path. */
export function writeAt(dir: string, name: string, data: Buffer | string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}
