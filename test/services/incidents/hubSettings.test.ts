import { afterEach, describe, expect, it } from 'vitest';
import { incidents } from '../../../electron/services/incidents/IncidentService';
import { getState, resolveKey } from '../../../electron/services/incidents/HubSettings';
import { tempHome } from '../../helpers/tempHome';

// The hub key at rest: sealed by the keychain (the app's SecretSealer) or a passphrase, never in the clear.
describe('hub key storage', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const KEY = 'hm_live_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

  it('the app seals it with the keychain sealer; without the sealer it cannot be opened', async () => {
    const t = tempHome();
    cleanups.push(t.cleanup);
    // A reversible stand-in for safeStorage (which only exists inside Electron): XOR with a secret pad.
    const pad = Buffer.from('0123456789abcdef0123456789abcdef');
    const xor = (b: Buffer) => Buffer.from(b.map((x, i) => x ^ pad[i % pad.length]!));
    t.ctx.hubSealer = { encrypt: (s) => xor(Buffer.from(s)), decrypt: (b) => xor(b).toString() };
    const s = await incidents(t.ctx).configure({ url: 'http://127.0.0.1:9/', apiKey: KEY });
    expect(s).toMatchObject({ url: 'http://127.0.0.1:9', key: 'keychain', state: 'never' });
    expect(getState(t.ctx.db, 'key')).not.toContain(KEY);
    expect(await resolveKey(t.ctx.db, t.ctx.hubSealer, null, {})).toBe(KEY);
    await expect(resolveKey(t.ctx.db, null, null, {})).rejects.toThrow(/sealed by the desktop app's keychain/);
    // The environment wins (CI), and is not stored.
    expect(await resolveKey(t.ctx.db, null, null, { HALLMARK_HUB_KEY: 'from-env-key' })).toBe('from-env-key');
  });

  it('CLI/browser: sealed with a passphrase; a wrong or missing passphrase is a clear error', async () => {
    const t = tempHome();
    cleanups.push(t.cleanup);
    await incidents(t.ctx).configure({ url: 'https://hub.example', apiKey: KEY, passphrase: 'open sesame' });
    expect(getState(t.ctx.db, 'key')).not.toContain(KEY);
    expect(await resolveKey(t.ctx.db, null, 'open sesame', {})).toBe(KEY);
    expect(await resolveKey(t.ctx.db, null, null, { HALLMARK_HUB_PASSPHRASE: 'open sesame' })).toBe(KEY);
    await expect(resolveKey(t.ctx.db, null, 'wrong', {})).rejects.toThrow(/wrong passphrase/);
    await expect(resolveKey(t.ctx.db, null, null, {})).rejects.toThrow(/HALLMARK_HUB_PASSPHRASE/);
    await expect(incidents(t.ctx).configure({ url: 'https://hub.example', apiKey: KEY })).rejects.toThrow(/passphrase/);
  });

  it('refuses hub URLs with credentials, queries or other schemes; another hub resets the cursor', async () => {
    const t = tempHome();
    cleanups.push(t.cleanup);
    for (const bad of ['ftp://x', 'http://u:p@hub.example', 'http://hub.example/?a=1', 'not a url']) {
      await expect(incidents(t.ctx).configure({ url: bad })).rejects.toThrow(/hub URL/);
    }
    await incidents(t.ctx).configure({ url: 'http://a.example' });
    t.ctx.db.prepare(`INSERT INTO hub_state (key, value) VALUES ('cursor', '42')`).run();
    await incidents(t.ctx).configure({ url: 'http://a.example' });
    expect(getState(t.ctx.db, 'cursor')).toBe('42');
    await incidents(t.ctx).configure({ url: 'http://b.example' });
    expect(getState(t.ctx.db, 'cursor')).toBeNull();
  });

  it('records are validated before queueing: over-long titles and unknown versions are refused, nothing is queued', async () => {
    const t = tempHome();
    cleanups.push(t.cleanup);
    const { dispatch } = await import('../../../electron/services/api/index');
    await expect(dispatch(t.ctx, 'incidents.create', { modelId: 'model_x', category: 'other', title: 'x'.repeat(201), description: 'd' })).rejects.toThrow(/title/);
    await expect(dispatch(t.ctx, 'incidents.create', { versionId: 999, category: 'other', title: 't', description: 'd' })).rejects.toThrow(/no version with id 999/);
    await expect(dispatch(t.ctx, 'incidents.create', { category: 'other', title: 't', description: 'd' })).rejects.toThrow(/versionId/);
    expect(t.ctx.db.prepare(`SELECT COUNT(*) AS n FROM incident_outbox`).get()).toEqual({ n: 0 });
    const r = await dispatch<'incidents.create'>(t.ctx, 'incidents.create', { modelId: 'model_x', category: 'other', title: `'); DROP TABLE incidents;--`, description: '<script>x</script>' });
    expect(r).toMatchObject({ title: `'); DROP TABLE incidents;--`, description: '<script>x</script>', sync_state: 'pending' });
    // Offline edits before the first push fold into one queued update.
    await dispatch(t.ctx, 'incidents.update', { localId: r.local_id, status: 'acknowledged' });
    await dispatch(t.ctx, 'incidents.update', { localId: r.local_id, status: 'investigating', severity: 'high' });
    const rows = t.ctx.db.prepare(`SELECT op, payload FROM incident_outbox ORDER BY id`).all();
    expect(rows).toEqual([{ op: 'create', payload: '{}' }, { op: 'update', payload: JSON.stringify({ status: 'investigating', severity: 'high' }) }]);
  });

  it('one sync per home: a live holder makes a second run answer "busy"; the lease of a dead process is taken over', async () => {
    const t = tempHome();
    cleanups.push(t.cleanup);
    const svc = incidents(t.ctx);
    svc.syncOptions = { maxRetries: 0 };
    await svc.configure({ url: 'http://127.0.0.1:9', apiKey: KEY, passphrase: 'p' });
    const { selfOwner } = await import('../../../electron/services/process/owner');
    const { setState } = await import('../../../electron/services/incidents/HubSettings');
    setState(t.ctx.db, 'lease', `${selfOwner()}|other|${Date.now() + 60_000}`);
    await expect(svc.syncNow()).rejects.toThrow(/another sync of this Hallmark home is running/);
    setState(t.ctx.db, 'lease', `1_1|dead|${Date.now() + 60_000}`);
    await expect(svc.syncNow()).rejects.toThrow(/offline: cannot reach the hub/);
    expect(getState(t.ctx.db, 'lease')).toBeNull();
    expect(svc.status()).toMatchObject({ state: 'offline' });
  });
});
