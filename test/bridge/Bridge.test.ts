import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Bridge } from '../../electron/bridge/Bridge';
import { tempHome } from '../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
let bridge: Bridge;
let base: string;

const call = async (method: string, input: unknown, token = bridge.token) => {
  const r = await fetch(`${base}/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(input ?? {}) });
  return { status: r.status, body: (await r.json()) as { ok: boolean; result?: any; error?: { code: string; message: string } } };
};

const auth = () => ({ authorization: `Bearer ${bridge.token}` });
type Env = { ok: boolean; result?: any; error?: { code: string; message: string } };
const upload = async (rel: string, body: NonNullable<RequestInit["body"]>, uploadId?: string, extra: RequestInit = {}) => {
  const r = await fetch(`${base}/api/upload?path=${encodeURIComponent(rel)}${uploadId ? `&upload=${uploadId}` : ''}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...auth() }, body, ...extra });
  return { status: r.status, body: (await r.json()) as Env };
};
const importUpload = async (id: string, options: Record<string, unknown>) => {
  const r = await fetch(`${base}/api/upload/${id}/import`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify(options) });
  return { status: r.status, body: (await r.json()) as Env };
};
const uploadDirs = () => fs.readdirSync(t.ctx.blobs.tmp).filter((f) => f.startsWith('upload-'));

beforeAll(async () => {
  t = tempHome();
  bridge = new Bridge(t.ctx);
  await bridge.start();
  base = `http://127.0.0.1:${bridge.port}`;
});
afterAll(async () => {
  await bridge.close();
  await t.cleanup();
});

describe('Bridge', () => {
  it('binds to 127.0.0.1 and prints a URL carrying a random token', () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses calls without the token or with a wrong one', async () => {
    const r = await fetch(`${base}/api/call/registry.models`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(401);
    expect((await call('registry.models', {}, 'x'.repeat(48))).status).toBe(401);
  });

  it('refuses a non-local Host header (DNS rebinding)', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: bridge.port, path: '/api/health', headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(403);
  });

  it('validates the method and input against the contract', async () => {
    const u = await call('registry.nope', {});
    expect(u).toMatchObject({ status: 404, body: { ok: false, error: { code: 'unknown_method' } } });
    const bad = await call('registry.promote', { name: 'x', version: -1, stage: 'gold' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('invalid_input');
    expect(bad.body.error?.message).toMatch(/version/);
    expect(bad.body.error?.message).toMatch(/stage/);
  });

  it('uploads a file, imports it as a job with progress events over the WebSocket, and lists it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api/events?token=${bridge.token}`);
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse((m as Buffer).toString("utf8"))));
    await new Promise((r) => ws.once('open', r));

    const data = Buffer.from('GGUF fake but real bytes');
    const up = await upload('tiny.gguf', data);
    expect(up.status).toBe(200);
    expect(up.body.result).toMatchObject({ path: 'tiny.gguf', bytes: data.length });
    expect(up.body.result.upload).toMatch(/^[0-9a-f]{32}$/);
    const dirs = uploadDirs();
    expect(dirs).toHaveLength(1);
    const started = await importUpload(up.body.result.upload, { uploadedAs: 'tiny.gguf', tags: ['upload'] });
    expect(started.body.ok).toBe(true);
    const job = await call('jobs.wait', { id: started.body.result.jobId });
    expect(job.body.result).toMatchObject({ state: 'done', result: { model: 'tiny', version: 1, created: true } });
    await vi.waitFor(() => expect(uploadDirs()).toEqual([])); // the bridge removed its upload folder after the job
    const list = await call('registry.models', { query: 'tiny' });
    expect(list.body.result.rows[0]).toMatchObject({ name: 'tiny', latestVersion: 1, tags: ['upload'] });
    await new Promise((r) => setTimeout(r, 50));
    expect(events.some((e) => e.type === 'job' && e.job.state === 'done')).toBe(true);
    ws.close();
  });

  it('refuses upload paths that climb out of the upload folder', async () => {
    const r = await upload('../../x', 'x');
    expect(r.status).toBe(400);
    expect(fs.existsSync(path.join(t.ctx.blobs.tmp, '..', 'x'))).toBe(false);
    expect(uploadDirs()).toEqual([]);
  });

  it('imports an uploaded folder by its upload id, keeping relative paths, and removes the folder afterwards', async () => {
    const a = await upload('config.json', '{"model_type":"bert"}');
    const id = a.body.result.upload as string;
    expect((await upload('sub/weights.bin', Buffer.alloc(64, 7), id)).status).toBe(200);
    // A single-file import of a two-file upload is a mistake the bridge names.
    expect((await importUpload(id, {})).body.error?.message).toMatch(/2 files; import it as a folder/);
    const started = await importUpload(id, { uploadedAs: 'folder-up', folder: true });
    const job = await call('jobs.wait', { id: started.body.result.jobId });
    expect(job.body.result.result.files.map((f: { path: string }) => f.path).sort()).toEqual(['config.json', 'sub/weights.bin']);
    await vi.waitFor(() => expect(uploadDirs()).toEqual([]));
    // The id is spent: it cannot be imported, extended or discarded again.
    expect((await importUpload(id, { folder: true })).status).toBe(404);
    expect((await upload('more.bin', 'x', id)).status).toBe(404);
  });

  it('removes the upload folder when the import job fails, keeps it when the options are invalid, and drops a discarded one at once', async () => {
    const bad = await upload('broken.zip', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)]));
    const started = await importUpload(bad.body.result.upload, {});
    expect((await call('jobs.wait', { id: started.body.result.jobId })).body.result.state).toBe('failed');
    await vi.waitFor(() => expect(uploadDirs()).toEqual([]));

    const up = await upload('empty.bin', '');
    // Refused by the contract before any job starts: the upload stays for another try.
    expect((await importUpload(up.body.result.upload, { modelType: 'nope' })).status).toBe(400);
    expect(uploadDirs()).toHaveLength(1);
    const del = await fetch(`${base}/api/upload/${up.body.result.upload}`, { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(200);
    expect(uploadDirs()).toEqual([]);
  });

  it('never deletes a path a caller names: registry.import with uploadedAs leaves the file, imported or refused', async () => {
    const victim = path.join(t.dir, 'victim');
    fs.mkdirSync(victim, { recursive: true });
    fs.writeFileSync(path.join(victim, 'keep.txt'), 'precious');
    // Refused (an upload cannot be registered in place) …
    const refused = await call('registry.import', { path: victim, uploadedAs: 'x', inPlace: true });
    expect((await call('jobs.wait', { id: refused.body.result.jobId })).body.result.state).toBe('failed');
    expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('precious');
    // … or done: the caller's folder stays either way.
    const done = await call('registry.import', { path: victim, uploadedAs: 'victim' });
    expect((await call('jobs.wait', { id: done.body.result.jobId })).body.result.state).toBe('done');
    expect(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('precious');
  });

  it('cannot be made to delete an upload folder by naming its path in registry.import', async () => {
    const up = await upload('held.bin', 'held');
    const [dir] = uploadDirs();
    const r = await call('registry.import', { path: path.join(t.ctx.blobs.tmp, dir!), uploadedAs: 'x', inPlace: true });
    await call('jobs.wait', { id: r.body.result.jobId });
    expect(fs.existsSync(path.join(t.ctx.blobs.tmp, dir!, 'held.bin'))).toBe(true);
    await fetch(`${base}/api/upload/${up.body.result.upload}`, { method: 'DELETE', headers: auth() });
  });
});

describe('Bridge upload limits', () => {
  let small: Bridge;
  let smallBase: string;
  beforeAll(async () => {
    small = new Bridge(t.ctx, { maxUploadBytes: 1000 });
    await small.start();
    smallBase = `http://127.0.0.1:${small.port}`;
  });
  afterAll(async () => {
    await small.close();
  });
  const put = async (b: Bridge, rel: string, body: NonNullable<RequestInit["body"]>, uploadId?: string) => {
    const r = await fetch(`http://127.0.0.1:${b.port}/api/upload?path=${rel}${uploadId ? `&upload=${uploadId}` : ''}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${b.token}` }, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) });
    return { status: r.status, body: (await r.json()) as Env };
  };

  it('refuses an upload over the cap by its Content-Length, naming the limit', async () => {
    const r = await put(small, 'big.bin', Buffer.alloc(4000));
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'upload_too_large' });
    expect(r.body.error?.message).toMatch(/limit of 1000 bytes/);
    expect(uploadDirs()).toEqual([]);
  });

  it('stops a chunked upload (no Content-Length) at the cap and removes the partial file', async () => {
    const first = await put(small, 'a.bin', Buffer.alloc(600));
    expect(first.status).toBe(200);
    const id = first.body.result.upload as string;
    const chunks = [Buffer.alloc(300), Buffer.alloc(300), Buffer.alloc(300)];
    const stream = new ReadableStream({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const r = await put(small, 'b.bin', stream, id);
    expect(r.status).toBe(413);
    expect(r.body.error?.message).toMatch(/limit of 1000 bytes/);
    const [dir] = uploadDirs();
    expect(fs.readdirSync(path.join(t.ctx.blobs.tmp, dir!))).toEqual(['a.bin']); // the partial b.bin is gone
    await fetch(`${smallBase}/api/upload/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${small.token}` } });
  });

  it('refuses an upload the temp folder has no room for (statfs less the margin) and leaves nothing behind', async () => {
    const full = new Bridge(t.ctx, { uploadFreeMarginBytes: 2 ** 53 }); // no disk has that much free
    await full.start();
    try {
      const r = await put(full, 'x.bin', Buffer.alloc(100));
      expect(r.status).toBe(507);
      expect(r.body.error).toMatchObject({ code: 'disk_full' });
      expect(r.body.error?.message).toMatch(/needs 100 bytes but only 0 are free in the temp folder/);
      expect(uploadDirs()).toEqual([]);
    } finally {
      await full.close();
    }
  });
});
