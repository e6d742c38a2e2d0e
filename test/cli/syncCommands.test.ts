import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from '../helpers/cli';
import { call, seedProvider, startTestHub, type TestHub } from '../helpers/hub';
import { tempHome, writeAt, bytes } from '../helpers/tempHome';

// `hallmark sync`, `incidents`, `hub-login`, `hub-register` against a real hub on loopback.
describe('hallmark sync and incidents commands', () => {
  let t: TestHub;
  let acct: { providerId: string; key: string; modelId: string };
  let other: { providerId: string; key: string; modelId: string };
  const cleanups: Array<() => Promise<void>> = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    t = await startTestHub('sqlite');
    acct = await seedProvider(t.url, 'Cliprov');
    other = await seedProvider(t.url, 'Otherprov');
  });
  afterEach(() => {
    for (const k of ['HALLMARK_HUB_KEY', 'HALLMARK_HUB_PASSPHRASE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  afterAll(async () => {
    for (const c of cleanups) await c();
    await t?.cleanup();
  });
  function home() {
    const h = tempHome('hallmark-cli-sync-');
    cleanups.push(h.cleanup);
    return { ...h, cli: cliRunner(h.home) };
  }

  it('no hub configured: exit 2 with a one-line reason; incidents can still be recorded offline', async () => {
    const { cli } = home();
    const r = await cli('--json', 'sync');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no hub configured/);
    const c = await cli('--json', 'incidents', 'create', '--model-id', acct.modelId, '--category', 'bias', '--title', 'offline one', '--description', 'written on a plane');
    expect(c.code).toBe(0);
    expect(c.json).toMatchObject({ sync_state: 'pending', status: 'reported', remote_id: null });
  });

  it('hub-login seals the key with the passphrase; sync prints {pushed, pulled, failed}; a wrong passphrase is exit 2', async () => {
    const { cli, home: h } = home();
    process.env.HALLMARK_HUB_KEY = acct.key;
    process.env.HALLMARK_HUB_PASSPHRASE = 'correct horse';
    const login = await cli('--json', 'hub-login', '--hub', t.url);
    expect(login.code, login.stderr).toBe(0);
    expect(login.json).toMatchObject({ configured: true, url: t.url, key: 'passphrase' });
    expect(login.stdout + login.stderr).not.toContain(acct.key);
    // The key is not stored in the clear anywhere in the home.
    const dbBytes = fs.readFileSync(path.join(h, 'hallmark.db'));
    expect(dbBytes.includes(Buffer.from(acct.key))).toBe(false);
    delete process.env.HALLMARK_HUB_KEY;
    await cli('incidents', 'create', '--model-id', acct.modelId, '--category', 'technical_error', '--title', 'cli made', '--description', 'd', '--severity', 'high');
    const s = await cli('--json', 'sync');
    expect(s.code, s.stderr).toBe(0);
    expect(s.json).toMatchObject({ pushed: 1, failed: 0 });
    expect(typeof s.json.pulled).toBe('number');
    const list = await cli('--json', 'incidents', 'list', '--sync-state', 'synced');
    const mine = list.json.find((i: { title: string }) => i.title === 'cli made');
    expect(mine.remote_id).toMatch(/^inc_/);
    const st = await cli('--json', 'incidents', 'status', mine.remote_id, 'acknowledged');
    expect(st.json).toMatchObject({ status: 'acknowledged', sync_state: 'pending' });
    expect((await cli('--json', 'sync')).json.pushed).toBe(1);
    const onHub = await call(t.url, 'GET', `/api/v1/incidents/${mine.remote_id}`, { key: acct.key });
    expect(onHub.json.status).toBe('acknowledged');
    process.env.HALLMARK_HUB_PASSPHRASE = 'wrong';
    const bad = await cli('sync');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/wrong passphrase/);
  });

  it('HALLMARK_HUB_KEY alone (CI): works without a stored key; a bad key and an unreachable hub are exit 2', async () => {
    const { cli } = home();
    process.env.HALLMARK_HUB_KEY = acct.key;
    const r = await cli('--json', 'sync', '--hub', t.url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.failed).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(acct.key);
    process.env.HALLMARK_HUB_KEY = 'hm_live_not-a-real-key-000000000000000000000';
    const bad = await cli('sync');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/refused the API key \(401/);
    expect(bad.stderr).not.toContain('hm_live_not-a-real-key');
    process.env.HALLMARK_HUB_KEY = acct.key;
    const down = await cli('sync', '--hub', 'http://127.0.0.1:9');
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/offline: cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
  }, 60_000);

  it('an item the hub refuses is failed with its reason (exit 1), kept, and the others still go', async () => {
    const { cli } = home();
    process.env.HALLMARK_HUB_KEY = acct.key;
    await cli('incidents', 'create', '--model-id', other.modelId, '--category', 'other', '--title', 'not mine', '--description', 'd');
    await cli('incidents', 'create', '--model-id', acct.modelId, '--category', 'other', '--title', 'mine', '--description', 'd');
    const r = await cli('--json', 'sync', '--hub', t.url);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ pushed: 1, failed: 1 });
    const failed = await cli('--json', 'incidents', 'list', '--sync-state', 'failed');
    expect(failed.json).toHaveLength(1);
    expect(failed.json[0]).toMatchObject({ title: 'not mine', sync_state: 'failed' });
    expect(failed.json[0].sync_error).toMatch(/403/);
    // Still failed (kept) on the next run, until retried.
    expect((await cli('--json', 'sync')).json.failed).toBe(1);
    expect((await cli('--json', 'incidents', 'retry')).json.requeued).toBe(1);
  });

  it('hub-register NAME@VERSION links the version, prints the feedback URL; incidents created on the version go to that hub model', async () => {
    const { cli, dir } = home();
    process.env.HALLMARK_HUB_KEY = acct.key;
    const f = writeAt(dir, 'm.bin', bytes(256, 7));
    expect((await cli('import', f, '--allow-unknown', '--name', 'reg-model')).code).toBe(0);
    await cli('sync', '--hub', t.url);
    const reg = await cli('--json', 'hub-register', 'reg-model@1');
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.json.hub_model_id).toMatch(/^model_/);
    expect(reg.json.feedback_url).toBe(`${t.url}/models/${reg.json.hub_model_id}`);
    // Registering again answers the same link (no second hub model).
    expect((await cli('--json', 'hub-register', 'reg-model@1')).json.hub_model_id).toBe(reg.json.hub_model_id);
    const c = await cli('--json', 'incidents', 'create', '--model', 'reg-model@1', '--category', 'hallucination', '--title', 'on a version', '--description', 'd');
    expect(c.json).toMatchObject({ model_id: reg.json.hub_model_id, version_label: 'reg-model@1' });
    expect((await cli('--json', 'sync')).json.pushed).toBe(1);
    const hubSide = await call(t.url, 'GET', `/api/v1/providers/me/incidents?model_id=${reg.json.hub_model_id}`, { key: acct.key });
    expect(hubSide.json.incidents.map((i: { title: string }) => i.title)).toEqual(['on a version']);
  });
});
