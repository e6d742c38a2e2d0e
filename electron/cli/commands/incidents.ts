// `hallmark sync`, `hallmark incidents list|create|status|link|retry`, `hallmark hub-login` and
// `hallmark hub-register NAME@VERSION`: incidents kept locally and synced with a hub (docs/sync.md).
// The hub key never comes from argv (shell history, ps): $HALLMARK_HUB_KEY, or stored sealed with a passphrase.
import type { Command } from 'commander';
import { INCIDENT_CATEGORIES, INCIDENT_SEVERITIES, INCIDENT_STATUSES, type IncidentRecord } from '../../contract/incidents';
import { HallmarkError } from '../../services/errors';
import { HUB_KEY_ENV, HUB_PASSPHRASE_ENV } from '../../services/incidents/HubSettings';
import { incidents } from '../../services/incidents/IncidentService';
import { SyncAborted } from '../../services/incidents/SyncEngine';
import { parseRef } from '../../services/registry/Registry';
import type { Cli } from '../Cli';
import { int } from '../options';

const passphrase = (envName: string | undefined): string | undefined => process.env[envName ?? HUB_PASSPHRASE_ENV] || undefined;

function oneOf<T extends string>(cli: Cli, v: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) return cli.fail(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function versionId(cli: Cli, ref: string): number {
  const r = parseRef(ref);
  try {
    return cli.ctx().registry.version(r.name, r.version).id;
  } catch (e) {
    return cli.fail(e instanceof Error ? e.message : String(e));
  }
}

/** A whole-run problem (no hub, offline, bad key, a hub answering nonsense) is exit 2 with its one-line reason. */
async function couldRun<T>(cli: Cli, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SyncAborted || e instanceof HallmarkError || (e instanceof Error && e.name === 'HubError')) return cli.fail(e.message.split('\n')[0]!);
    throw e;
  }
}

const line = (i: IncidentRecord) =>
  `${i.local_id}  ${i.status.padEnd(13)} ${i.severity.padEnd(8)} ${i.category.padEnd(17)} ${i.sync_state}${i.sync_error ? ` (${i.sync_error})` : ''}  ${i.title}`
  + (i.version_label ? `  [${i.version_label}]` : '') + (i.conflict_note ? `\n    ${i.conflict_note}` : '');

export function registerIncidentCommands(program: Command, cli: Cli): void {
  program.command('sync')
    .description('push local incident changes to the hub, then pull the hub\'s; exit 1 when an item failed, 2 when it could not run')
    .option('--hub <url>', 'the hub URL (saved as the configured hub)')
    .option('--passphrase-env <var>', `environment variable holding the passphrase the stored key is sealed with (default ${HUB_PASSPHRASE_ENV})`)
    .action(async (o: { hub?: string; passphraseEnv?: string }) => {
      const svc = incidents(cli.ctx());
      const r = await couldRun(cli, async () => {
        if (o.hub) await svc.configure({ url: o.hub });
        return svc.syncNow({ passphrase: passphrase(o.passphraseEnv) });
      });
      cli.out({ pushed: r.pushed, pulled: r.pulled, failed: r.failed, conflicts: r.conflicts, pending: r.pending },
        () => `pushed ${r.pushed}, pulled ${r.pulled}, failed ${r.failed}${r.conflicts ? `, ${r.conflicts} conflict(s) (the hub's value kept: see hallmark incidents list)` : ''}${r.pending ? `, ${r.pending} still pending` : ''}`);
      if (r.failed > 0) cli.fail(`${r.failed} incident(s) failed to sync: see the reasons with hallmark incidents list --sync-state failed`, 1);
    });

  program.command('hub-login')
    .description(`save the hub URL and its API key (read from $${HUB_KEY_ENV}), sealed with a passphrase ($${HUB_PASSPHRASE_ENV}); checks the connection first`)
    .requiredOption('--hub <url>', 'the hub URL, e.g. http://127.0.0.1:8080')
    .option('--key-env <var>', `environment variable holding the API key (default ${HUB_KEY_ENV})`)
    .option('--passphrase-env <var>', `environment variable holding the passphrase (default ${HUB_PASSPHRASE_ENV})`)
    .option('--interval <seconds>', 'periodic sync in the app and `hallmark serve` (0: off)')
    .action(async (o: { hub: string; keyEnv?: string; passphraseEnv?: string; interval?: string }) => {
      const key = process.env[o.keyEnv ?? HUB_KEY_ENV];
      if (!key) cli.fail(`put the hub API key in $${o.keyEnv ?? HUB_KEY_ENV} (never on the command line)`);
      const pw = passphrase(o.passphraseEnv);
      if (!pw) cli.fail(`the key is stored encrypted: put a passphrase in $${o.passphraseEnv ?? HUB_PASSPHRASE_ENV}`);
      const interval = int(cli, o.interval, '--interval', 0);
      const svc = incidents(cli.ctx());
      const t = await svc.test({ url: o.hub, apiKey: key });
      if (!t.ok) cli.fail(t.message);
      const s = await couldRun(cli, () => svc.configure({ url: o.hub, apiKey: key, passphrase: pw, ...(interval !== undefined ? { intervalS: interval } : {}) }));
      cli.out(s, () => `hub ${s.url}: ${t.message}; key stored (sealed with your passphrase)`);
    });

  program.command('hub-register')
    .description('register a local version with the hub; prints the hub model id and the feedback URL to embed (hallmark embed --link)')
    .argument('<ref>', 'NAME@VERSION')
    .option('--passphrase-env <var>', `environment variable holding the passphrase the stored key is sealed with (default ${HUB_PASSPHRASE_ENV})`)
    .action(async (ref: string, o: { passphraseEnv?: string }) => {
      const id = versionId(cli, ref);
      const l = await couldRun(cli, () => incidents(cli.ctx()).register(id, { passphrase: passphrase(o.passphraseEnv) }));
      cli.out(l, () => `${ref} is ${l.hub_model_id} on ${l.hub_url}\nfeedback URL: ${l.feedback_url}`);
    });

  const inc = program.command('incidents').description('incidents about your models, kept locally and synced with the hub (hallmark sync)');
  inc.command('list')
    .description('newest first')
    .option('--status <s>', INCIDENT_STATUSES.join('|'))
    .option('--severity <s>', INCIDENT_SEVERITIES.join('|'))
    .option('--category <c>', INCIDENT_CATEGORIES.join('|'))
    .option('--model <m>', 'a local model name or a hub model id')
    .option('--sync-state <s>', 'pending|synced|failed')
    .option('--limit <n>', 'at most this many', '500')
    .action((o: { status?: string; severity?: string; category?: string; model?: string; syncState?: string; limit: string }) => {
      const list = incidents(cli.ctx()).store.list({
        status: oneOf(cli, o.status, INCIDENT_STATUSES, '--status'), severity: oneOf(cli, o.severity, INCIDENT_SEVERITIES, '--severity'),
        category: oneOf(cli, o.category, INCIDENT_CATEGORIES, '--category'), model: o.model,
        syncState: oneOf(cli, o.syncState, ['pending', 'synced', 'failed'] as const, '--sync-state'), limit: int(cli, o.limit, '--limit'),
      });
      cli.out(list, () => (list.length ? list.map(line).join('\n') : 'no incidents (hallmark incidents create …, or hallmark sync to fetch the hub\'s)'));
    });
  inc.command('create')
    .description('record an incident (works offline; hallmark sync sends it)')
    .requiredOption('--title <t>')
    .requiredOption('--description <d>')
    .requiredOption('--category <c>', INCIDENT_CATEGORIES.join('|'))
    .option('--severity <s>', INCIDENT_SEVERITIES.join('|'), 'medium')
    .option('--model <ref>', 'the local NAME@VERSION it is about (registered with hallmark hub-register)')
    .option('--model-id <id>', 'or the hub model id')
    .action((o: { title: string; description: string; category: string; severity: string; model?: string; modelId?: string }) => {
      if (!o.model && !o.modelId) cli.fail('give --model NAME@VERSION or --model-id MODEL_ID');
      const category = oneOf(cli, o.category, INCIDENT_CATEGORIES, '--category')!;
      const severity = oneOf(cli, o.severity, INCIDENT_SEVERITIES, '--severity')!;
      if (!o.title.trim() || o.title.length > 200) cli.fail('--title must be 1 to 200 characters');
      if (!o.description.trim() || o.description.length > 10_000) cli.fail('--description must be 1 to 10,000 characters');
      const r = incidents(cli.ctx()).store.create({
        category, severity, title: o.title, description: o.description,
        ...(o.model ? { versionId: versionId(cli, o.model) } : {}), ...(o.modelId ? { modelId: o.modelId } : {}),
      });
      cli.out(r, () => `recorded ${r.local_id} (pending: hallmark sync sends it)`);
    });
  inc.command('status')
    .description('change an incident\'s status (and optionally severity)')
    .argument('<id>', 'the local id (loc_…) or the hub id (inc_…)')
    .argument('<status>', INCIDENT_STATUSES.join('|'))
    .option('--severity <s>', INCIDENT_SEVERITIES.join('|'))
    .option('--notes <text>')
    .action((id: string, status: string, o: { severity?: string; notes?: string }) => {
      const svc = incidents(cli.ctx());
      const localId = svc.store.list({ limit: 10_000 }).find((i) => i.local_id === id || i.remote_id === id)?.local_id ?? cli.fail(`no incident ${JSON.stringify(id)} (hallmark incidents list)`);
      const r = svc.store.update(localId, {
        status: oneOf(cli, status, INCIDENT_STATUSES, 'status'), ...(o.severity ? { severity: oneOf(cli, o.severity, INCIDENT_SEVERITIES, '--severity') } : {}),
        ...(o.notes !== undefined ? { notes: o.notes } : {}),
      });
      cli.out(r, () => `${r.local_id} is ${r.status} (${r.sync_state})`);
    });
  inc.command('retry')
    .description('queue failed incidents again (after fixing what the reason said)')
    .argument('[id]', 'one local id; all when omitted')
    .action((id: string | undefined) => {
      const n = incidents(cli.ctx()).store.retry(id);
      cli.out({ requeued: n }, () => `${n} change(s) queued again`);
    });
}
