import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../electron/services/AppContext';
import { incidents } from '../../../electron/services/incidents/IncidentService';
import { SyncAborted } from '../../../electron/services/incidents/SyncEngine';
import { FaultProxy } from '../../helpers/faultProxy';
import { call, seedProvider } from '../../helpers/hub';
import { spawnHub, tempHubDb, type HubProcess } from '../../helpers/hubProcess';
import { openContext, tempHome } from '../../helpers/tempHome';

// Sync against the real hub (its own process, `hallmark hub`), through a fault proxy: whatever breaks,
// afterwards every incident exists exactly once on both sides.
describe('incident sync against the real hub', () => {
  let db: ReturnType<typeof tempHubDb>;
  let hub: HubProcess;
  let proxy: FaultProxy;
  let acct: { providerId: string; key: string; modelId: string };
  const homes: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = tempHubDb();
    hub = await spawnHub(db.file);
    proxy = await FaultProxy.start(hub.port);
    acct = await seedProvider(hub.url, 'Syncco');
  }, 90_000);
  afterAll(async () => {
    for (const c of homes) await c();
    await proxy?.close();
    await hub?.kill();
    db?.cleanup();
  });

  async function client(): Promise<{ ctx: AppContext; home: string }> {
    const t = tempHome('hallmark-sync-');
    homes.push(t.cleanup);
    await setup(t.ctx);
    return { ctx: t.ctx, home: t.home };
  }
  async function setup(ctx: AppContext): Promise<void> {
    const s = incidents(ctx);
    s.syncOptions = { baseDelayMs: 20, maxDelayMs: 200, maxRetries: 4 };
    s.clientOptions = { timeoutMs: 5000 };
    await s.configure({ url: proxy.url, apiKey: acct.key, passphrase: 'pw-test', intervalS: 0 });
  }
  const create = (ctx: AppContext, title: string) =>
    incidents(ctx).store.create({ modelId: acct.modelId, category: 'technical_error', severity: 'high', title, description: `${title} description` });

  async function hubIncidents(): Promise<Array<Record<string, any>>> {
    const r = await call(hub.url, 'GET', '/api/v1/providers/me/incidents?limit=1000', { key: acct.key });
    expect(r.status).toBe(200);
    return r.json.incidents;
  }
  /** Every local incident is synced and on the hub exactly once (by client_ref), with the same fields. */
  async function expectConverged(ctx: AppContext): Promise<void> {
    const local = incidents(ctx).store.list({ limit: 10_000 });
    const remote = await hubIncidents();
    for (const l of local.filter((i) => i.source === 'desktop')) {
      expect(l.sync_state, `${l.title}: ${l.sync_error}`).toBe('synced');
      const matches = remote.filter((r) => r.client_ref === l.local_id);
      expect(matches, l.title).toHaveLength(1);
      expect(matches[0]!.id).toBe(l.remote_id);
      expect(matches[0]!.status).toBe(l.status);
    }
    const ids = local.map((l) => l.remote_id);
    expect(new Set(ids).size).toBe(ids.length);
  }

  it('offline create, then push, pull of SDK reports, status change both ways', async () => {
    const { ctx } = await client();
    const a = create(ctx, 'first');
    expect(a.sync_state).toBe('pending');
    const r1 = await incidents(ctx).syncNow();
    expect(r1).toMatchObject({ pushed: 1, failed: 0 });
    await expectConverged(ctx);
    // A report from the SDK (feedback from a user) arrives by pull.
    const sdk = await call(hub.url, 'POST', '/api/v1/incidents/report', { body: { model_id: acct.modelId, category: 'bias', title: '<b>x</b>\'; DROP TABLE incidents;--', description: 'from a user' } });
    expect(sdk.status).toBe(201);
    await incidents(ctx).syncNow();
    const pulled = incidents(ctx).store.list({}).find((i) => i.remote_id === sdk.json.id);
    expect(pulled?.title).toBe('<b>x</b>\'; DROP TABLE incidents;--');
    expect(pulled?.sync_state).toBe('synced');
    // Local status change goes up; a hub change comes down.
    incidents(ctx).store.update(a.local_id, { status: 'investigating' });
    expect((await incidents(ctx).syncNow()).pushed).toBe(1);
    const onHub = (await hubIncidents()).find((i) => i.client_ref === a.local_id)!;
    expect(onHub.status).toBe('investigating');
    expect((await call(hub.url, 'PATCH', `/api/v1/incidents/${onHub.id}`, { key: acct.key, body: { severity: 'critical' } })).status).toBe(200);
    await incidents(ctx).syncNow();
    expect(incidents(ctx).store.get(a.local_id).severity).toBe('critical');
    await expectConverged(ctx);
    expect(incidents(ctx).status()).toMatchObject({ state: 'synced', pending: 0, failed: 0 });
  }, 60_000);

  it('conflict: the hub wins for a field it changed, the user sees "changed on hub", other fields still go up', async () => {
    const { ctx } = await client();
    const a = create(ctx, 'conflicted');
    await incidents(ctx).syncNow();
    const remoteId = incidents(ctx).store.get(a.local_id).remote_id!;
    expect((await call(hub.url, 'PATCH', `/api/v1/incidents/${remoteId}`, { key: acct.key, body: { status: 'resolved' } })).status).toBe(200);
    incidents(ctx).store.update(a.local_id, { status: 'dismissed', severity: 'low' });
    const r = await incidents(ctx).syncNow();
    expect(r.conflicts).toBe(1);
    const after = incidents(ctx).store.get(a.local_id);
    expect(after.status).toBe('resolved');
    expect(after.severity).toBe('low');
    expect(after.conflict_note).toMatch(/changed on hub: status is "resolved" on the hub \(your "dismissed" was not applied\)/);
    const onHub = (await hubIncidents()).find((i) => i.id === remoteId)!;
    expect(onHub).toMatchObject({ status: 'resolved', severity: 'low' });
    await expectConverged(ctx);
  }, 60_000);

  it.each([
    ['the connection drops before the hub sees the request', { kind: 'drop-before' } as const],
    ['the answer is lost after the hub wrote', { kind: 'drop-after' } as const],
    ['the hub answers 500', { kind: 'status', status: 500 } as const],
    ['the hub answers 503', { kind: 'status', status: 503 } as const],
    ['the request is delivered twice', { kind: 'duplicate' } as const],
    ['the answer is slow', { kind: 'delay', ms: 300 } as const],
  ])('%s: retried, exactly once on both sides', async (_name, fault) => {
    const { ctx } = await client();
    for (let i = 0; i < 3; i++) create(ctx, `fault ${fault.kind} ${i}`);
    proxy.add(fault, 2, (m) => m === 'POST');
    const r = await incidents(ctx).syncNow();
    proxy.clear();
    expect(r).toMatchObject({ pushed: 3, failed: 0, pending: 0 });
    await expectConverged(ctx);
  }, 60_000);

  it('status changes survive lost answers, duplicates and 500s on PATCH: applied once, revision moves once per change', async () => {
    const { ctx } = await client();
    const a = create(ctx, 'patched');
    await incidents(ctx).syncNow();
    const rev0 = incidents(ctx).store.get(a.local_id).revision;
    for (const fault of [{ kind: 'drop-after' }, { kind: 'duplicate' }, { kind: 'status', status: 500 }] as const) {
      incidents(ctx).store.update(a.local_id, { status: fault.kind === 'drop-after' ? 'acknowledged' : fault.kind === 'duplicate' ? 'investigating' : 'resolved' });
      proxy.add(fault, 1, (m) => m === 'PATCH');
      expect((await incidents(ctx).syncNow()).pushed).toBe(1);
      proxy.clear();
    }
    const onHub = (await hubIncidents()).find((i) => i.client_ref === a.local_id)!;
    expect(onHub).toMatchObject({ status: 'resolved', revision: rev0 + 3 });
    expect(incidents(ctx).store.get(a.local_id)).toMatchObject({ status: 'resolved', revision: rev0 + 3, sync_state: 'synced', conflict_note: null });
  }, 60_000);

  it('a hub that hangs past the request timeout: retried, then arrives once', async () => {
    const { ctx } = await client();
    incidents(ctx).clientOptions = { timeoutMs: 600 };
    create(ctx, 'hung');
    proxy.add({ kind: 'delay', ms: 2000 }, 2, (m) => m === 'POST');
    const r = await incidents(ctx).syncNow();
    proxy.clear();
    expect(r).toMatchObject({ pushed: 1, failed: 0 });
    await new Promise((res) => setTimeout(res, 2000)); // the hung requests reach the hub late: still once
    await expectConverged(ctx);
  }, 60_000);

  it('429 with Retry-After: waits as long as the hub asks', async () => {
    const { ctx } = await client();
    create(ctx, 'rate limited');
    proxy.add({ kind: 'status', status: 429, retryAfter: 1, body: JSON.stringify({ detail: 'slow down' }) }, 1, (m) => m === 'POST');
    const t0 = Date.now();
    const r = await incidents(ctx).syncNow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(r.pushed).toBe(1);
    await expectConverged(ctx);
  }, 60_000);

  it('the hub dies mid-sync (kill -9): the run says offline, nothing is lost; after a restart all arrive once', async () => {
    const { ctx } = await client();
    for (let i = 0; i < 6; i++) create(ctx, `killed ${i}`);
    let posts = 0;
    proxy.add({ kind: 'hook', fn: async () => {
      if (++posts === 3) await hub.kill();
    } }, 6, (m) => m === 'POST');
    await expect(incidents(ctx).syncNow()).rejects.toThrow(/offline/);
    proxy.clear();
    expect(incidents(ctx).status()).toMatchObject({ state: 'offline' });
    expect(incidents(ctx).store.list({}).filter((i) => i.sync_state === 'pending').length).toBeGreaterThan(0);
    hub = await spawnHub(db.file);
    proxy.upstreamPort = hub.port;
    const r = await incidents(ctx).syncNow();
    expect(r.failed).toBe(0);
    await expectConverged(ctx);
    expect(incidents(ctx).status().state).toBe('synced');
  }, 90_000);

  it('the app restarts mid-push (a second context on the same home): exactly once', async () => {
    const t = tempHome('hallmark-sync-restart-');
    homes.push(t.cleanup);
    await setup(t.ctx);
    for (let i = 0; i < 5; i++) create(t.ctx, `restart ${i}`);
    proxy.add({ kind: 'delay', ms: 400 }, 10, (m) => m === 'POST');
    const first = incidents(t.ctx).syncNow();
    await new Promise((r) => setTimeout(r, 900));
    await t.ctx.dispose(); // the app quits mid-push: the job is cancelled, requests in flight are abandoned
    await first.catch(() => undefined);
    proxy.clear();
    const ctx2 = openContext({ home: t.home });
    homes.push(() => ctx2.dispose());
    incidents(ctx2).syncOptions = { baseDelayMs: 20, maxDelayMs: 200 };
    const mine = () => incidents(ctx2).store.list({ limit: 10_000 }).filter((i) => i.title.startsWith('restart '));
    expect(mine().filter((i) => i.sync_state === 'pending').length).toBeGreaterThan(0); // it really stopped mid-way
    const r = await incidents(ctx2).syncNow({ passphrase: 'pw-test' });
    expect(r.failed).toBe(0);
    await expectConverged(ctx2);
    expect(mine().length).toBe(5);
    expect((await hubIncidents()).filter((i) => i.title.startsWith('restart ')).length).toBe(5);
  }, 60_000);

  it('two desktops on one account converge', async () => {
    const a = await client();
    const b = await client();
    const x = create(a.ctx, 'from A');
    create(b.ctx, 'from B');
    await incidents(a.ctx).syncNow();
    await incidents(b.ctx).syncNow();
    await incidents(a.ctx).syncNow();
    const onB = incidents(b.ctx).store.list({ limit: 10_000 }).find((i) => i.remote_id === incidents(a.ctx).store.get(x.local_id).remote_id)!;
    incidents(b.ctx).store.update(onB.local_id, { status: 'acknowledged' });
    await incidents(b.ctx).syncNow();
    await incidents(a.ctx).syncNow();
    expect(incidents(a.ctx).store.get(x.local_id).status).toBe('acknowledged');
    const view = (ctx: AppContext) => incidents(ctx).store.list({ limit: 10_000 }).map((i) => `${i.remote_id}:${i.status}:${i.severity}`).sort();
    expect(view(a.ctx)).toEqual(view(b.ctx));
    expect(view(a.ctx).length).toBe((await hubIncidents()).length);
  }, 60_000);

  it.each([
    ['garbage', { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{garbage!' } as const, /not JSON/],
    ['HTML', { kind: 'status', status: 200, contentType: 'text/html', body: '<html><body>Sign in</body></html>' } as const, /not JSON \(text\/html/],
    ['a 200 of the wrong shape', { kind: 'status', status: 200, body: JSON.stringify({ ok: true }) } as const, /wrong shape/],
    ['a redirect elsewhere', { kind: 'status', status: 302, headers: { Location: 'http://evil.example/steal' } } as const, /redirect \(302 to http:\/\/evil\.example\/steal\)/],
    ['a huge body', { kind: 'status', status: 200, body: JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }) } as const, /over the \d+-byte limit/],
    ['not HTTP at all', { kind: 'raw', bytes: Buffer.from([0, 1, 2, 255, 254]) } as const, /offline|cannot reach/],
  ])('a hub answering %s: a clear error, the outbox intact, no partial local write', async (_n, fault, message) => {
    const { ctx } = await client();
    const a = create(ctx, 'bad answers');
    proxy.add(fault, 50);
    const err = await incidents(ctx).syncNow().catch((e: unknown) => e);
    proxy.clear();
    expect(err).toBeInstanceOf(SyncAborted);
    expect((err as Error).message).toMatch(message);
    const after = incidents(ctx).store.get(a.local_id);
    expect(after).toMatchObject({ sync_state: 'pending', remote_id: null, revision: 0, title: 'bad answers' });
    expect(incidents(ctx).status().state).toMatch(/error|offline/);
    // And once the hub answers properly again, it arrives once.
    await incidents(ctx).syncNow();
    await expectConverged(ctx);
  }, 60_000);
});
