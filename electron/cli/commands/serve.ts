import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Cli } from '../Cli';
import { incidents } from '../../services/incidents/IncidentService';

/** The built renderer: next to the bundled CLI in out/, or HALLMARK_RENDERER_DIR. */
export function rendererDir(): string | undefined {
  if (process.env.HALLMARK_RENDERER_DIR) return process.env.HALLMARK_RENDERER_DIR;
  // This file runs from out/cli/chunks/ when bundled and from electron/cli/commands/ in
  // development: the package root holding out/renderer is a few folders up either way. (Never the
  // source renderer/ folder: its index.html needs Vite.)
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, dir = path.dirname(dir)) {
    const c = path.join(dir, 'out', 'renderer');
    if (fs.existsSync(path.join(c, 'index.html'))) return c;
  }
  return undefined;
}

/** A TCP port as typed: digits only, 0 (any free port) to 65535; null otherwise (Number() would take "", "0x50", "1e3"). */
export function parsePort(raw: string): number | null {
  if (!/^\d{1,5}$/.test(raw)) return null;
  const n = Number(raw);
  return n <= 65535 ? n : null;
}

export function registerServeCommand(program: Command, cli: Cli): void {
  program.command('serve')
    .description('local HTTP + WebSocket bridge for the renderer in a browser (127.0.0.1 only)')
    .option('--port <port>', 'port (default: random free port)', '0')
    .option('--token <token>', 'use this token instead of a random one (tests)')
    .action(async (o: { port: string; token?: string }) => {
      // A typo must not silently become a random port: scripts and bookmarks rely on the one asked for.
      const port = parsePort(o.port);
      if (port === null) cli.fail(`--port must be an integer from 0 to 65535 (0: any free port), got ${JSON.stringify(o.port)}`);
      const ctx = cli.ctx();
      ctx.resumePostImport(); // a long-lived process: finish scans a killed import left undone
      incidents(ctx).schedule(); // periodic hub sync once a key was given in this session (or HALLMARK_HUB_KEY)
      const staticDir = rendererDir();
      // fastify and the whole API load here, not for `hallmark --help`
      const { Bridge } = await import('../../bridge/Bridge');
      const bridge = new Bridge(ctx, { port, ...(staticDir ? { staticDir } : {}), ...(o.token ? { token: o.token } : {}) });
      const url = await bridge.start();
      cli.out({ url, port: bridge.port, token: bridge.token }, () => `Hallmark is running in browser mode at:\n  ${url}${staticDir ? '' : '\n(renderer not built: run `npm run build` for the UI; the API works)'}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await bridge.close();
    });
}
