import path from 'node:path';
import type { Command } from 'commander';
import type { Cli } from '../Cli';
import { defaultHome } from '../../services/paths';
import { parsePort } from './serve';

/** The database the hub uses: --database-url, else HALLMARK_HUB_DATABASE_URL, DATABASE_URL, else a SQLite file under the home. */
export function hubDatabaseUrl(flag: string | undefined, home: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.HALLMARK_HUB_DATABASE_URL ?? env.DATABASE_URL;
  if (url) return url;
  return `sqlite://${path.join(home ? path.resolve(home) : defaultHome(env), 'hub', 'hub.db')}`;
}

export function registerHubCommand(program: Command, cli: Cli): void {
  program.command('hub')
    .description('run the self-hostable incident hub (ModelSignature SDK compatible API, feedback pages, sync, webhooks) until SIGINT/SIGTERM')
    .option('--port <port>', 'port (0: any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--database-url <url>', 'sqlite:///path/hub.db or postgres://user:pass@host/db (default: $HALLMARK_HUB_DATABASE_URL, $DATABASE_URL, or HOME/hub/hub.db)')
    .option('--public-url <url>', 'base URL written into feedback and verification links (default: http://HOST:PORT)')
    .option('--trust-proxy', 'behind a reverse proxy: take client IPs from X-Forwarded-For (rate limits are per IP)')
    .option('--allow-private-webhooks', 'allow webhook URLs on loopback or private addresses')
    .option('--limit-per-key <n>', 'requests per minute per API key', '6000')
    .option('--limit-per-ip <n>', 'requests per minute per client IP without a valid key', '600')
    .option('--quiet', 'no request log on stderr')
    .action(async (o: { port: string; host: string; databaseUrl?: string; publicUrl?: string; trustProxy?: boolean; allowPrivateWebhooks?: boolean; quiet?: boolean; limitPerKey: string; limitPerIp: string }) => {
      const port = parsePort(o.port);
      if (port === null) cli.fail(`--port must be an integer from 0 to 65535 (0: any free port), got ${JSON.stringify(o.port)}`);
      const perMinute = (flag: string, raw: string): number => {
        if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) cli.fail(`${flag} must be a positive integer (requests per minute), got ${JSON.stringify(raw)}`);
        return Number(raw);
      };
      const limits = { perKey: { max: perMinute('--limit-per-key', o.limitPerKey), windowMs: 60_000 }, perIp: { max: perMinute('--limit-per-ip', o.limitPerIp), windowMs: 60_000 } };
      if (o.publicUrl !== undefined && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(o.publicUrl)) cli.fail(`--public-url must be an http(s) URL without query, got ${JSON.stringify(o.publicUrl)}`);
      const database = hubDatabaseUrl(o.databaseUrl, cli.home);
      // fastify, kysely and pg load only for this command
      const { Hub } = await import('../../../server/Hub');
      let hub;
      try {
        hub = await Hub.start({
          database, host: o.host, port, limits,
          ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
          ...(o.trustProxy ? { trustProxy: true } : {}),
          ...(o.allowPrivateWebhooks ? { webhooks: { allowPrivateTargets: true } } : {}),
          logger: o.quiet ? false : { level: 'info', stream: cli.stderr },
        });
      } catch (e) {
        cli.fail(`could not start the hub on ${o.host}:${port}: ${e instanceof Error ? e.message : String(e)}`);
      }
      cli.out({ url: hub.url, port: hub.port, database: hub.database, listening: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${hub.port}` }, () => `Hallmark hub listening at ${hub.url} (database ${hub.database})`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await hub.close();
    });
}
