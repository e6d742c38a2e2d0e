// The renderer's stores hold the rules the screens rely on: job events never move a finished job back,
// a list refresh keeps live jobs it did not return, the Models query resets the cursor, errors stay.
// Stores are plain zustand: driven here directly, and through the preload-shaped transport for calls.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../electron/contract/jobs';
import type { ImportTask } from '../../renderer/src/store/jobsStore';

type Envelope = { ok: boolean; result?: unknown; error?: { code: string; message: string } };
const calls: Array<[string, unknown]> = [];
let answer: (method: string, input: unknown) => Envelope = () => ({ ok: true, result: [] });

// The page's transport in Electron is window.hallmark (the preload); install one before the client loads.
beforeAll(() => {
  (globalThis as unknown as { window: unknown }).window = {
    hallmark: {
      call: async (method: string, input: unknown) => {
        calls.push([method, input]);
        return answer(method, input);
      },
      onEvent: () => () => undefined,
      pathForFile: () => null,
      platform: 'linux',
    },
  };
});
afterEach(() => {
  calls.length = 0;
  vi.useRealTimers();
});

const job = (id: string, state: Job['state'], extra: Partial<Job> = {}): Job => ({
  id, kind: 'import', title: `job ${id}`, state, unit: 'bytes', doneBytes: 0, totalBytes: 100, bytesPerSec: null, etaSec: null,
  message: null, error: null, result: null, createdAt: '2026-12-03T00:00:00.000Z', startedAt: null, finishedAt: null, ...extra,
});

const task = (id: string, state: ImportTask['state'], extra: Partial<ImportTask> = {}): ImportTask => ({
  id, kind: 'import', name: id, title: `Import ${id}`, state, viaUpload: true, phase: 'uploading', doneBytes: 0, totalBytes: 100,
  bytesPerSec: null, etaSec: null, jobId: null, result: null, error: null, createdAt: '2026-12-03T00:00:00.000Z', cancel: () => undefined, ...extra,
});

describe('jobs store', () => {
  it('never moves a finished job back to running when events arrive out of order', async () => {
    const { useJobs } = await import('../../renderer/src/store/jobsStore');
    const s = useJobs.getState();
    s.upsert(job('a', 'running', { doneBytes: 50 }));
    s.upsert(job('a', 'done', { doneBytes: 100 }));
    s.upsert(job('a', 'running', { doneBytes: 60 })); // a late progress event
    expect(useJobs.getState().jobs.a).toMatchObject({ state: 'done', doneBytes: 100 });
    s.upsert(job('b', 'queued'));
    s.upsert(job('b', 'running'));
    expect(useJobs.getState().jobs.b?.state).toBe('running');
  });

  it('load() merges jobs.list: keeps finished states it already knows and live jobs the list left out', async () => {
    const { useJobs } = await import('../../renderer/src/store/jobsStore');
    useJobs.setState({ jobs: {} });
    const s = useJobs.getState();
    s.upsert(job('done-here', 'failed', { error: 'disk full' }));
    s.upsert(job('live', 'running'));
    s.upsert(job('gone', 'done'));
    answer = (m) => (m === 'jobs.list' ? { ok: true, result: [job('done-here', 'running'), job('new', 'queued')] } : { ok: false, error: { code: 'x', message: 'x' } });
    await s.load();
    const jobs = useJobs.getState().jobs;
    expect(calls).toEqual([['jobs.list', { limit: 200 }]]);
    expect(jobs['done-here']).toMatchObject({ state: 'failed', error: 'disk full' });
    expect(jobs.live?.state).toBe('running');
    expect(jobs.new?.state).toBe('queued');
    expect(jobs.gone).toBeUndefined(); // finished and not listed any more: dropped
    expect(useJobs.getState().loadError).toBeNull();
  });

  it('load() keeps the jobs it has and says why when the call fails', async () => {
    const { useJobs } = await import('../../renderer/src/store/jobsStore');
    useJobs.setState({ jobs: { x: job('x', 'running') }, loadError: null });
    answer = () => ({ ok: false, error: { code: 'unavailable', message: 'the services are restarting' } });
    await useJobs.getState().load();
    expect(useJobs.getState().loadError).toBe('the services are restarting');
    expect(useJobs.getState().jobs.x?.state).toBe('running');
  });

  it('clearFinished keeps only what still runs, imports included', async () => {
    const { useJobs } = await import('../../renderer/src/store/jobsStore');
    useJobs.setState({ jobs: { a: job('a', 'done'), b: job('b', 'running'), c: job('c', 'queued'), d: job('d', 'interrupted') }, imports: {} });
    useJobs.getState().setImport(task('u1', 'running'));
    useJobs.getState().setImport(task('u2', 'done'));
    useJobs.getState().patchImport('missing', { state: 'done' }); // unknown import: ignored, not created
    useJobs.getState().clearFinished();
    expect(Object.keys(useJobs.getState().jobs).sort()).toEqual(['b', 'c']);
    expect(Object.keys(useJobs.getState().imports)).toEqual(['u1']);
  });

  it('one row per import: the server job an import follows is not listed twice; dismiss hides only finished ones', async () => {
    const { useJobs, jobRows } = await import('../../renderer/src/store/jobsStore');
    const jobs = { j1: job('j1', 'running', { doneBytes: 30 }), other: job('other', 'done', { kind: 'verify', title: 'Verify x@1' }) };
    const rows = jobRows(jobs, { u1: task('u1', 'running', { jobId: 'j1', phase: 'importing', doneBytes: 100 }) });
    expect(rows.map((r) => r.id).sort()).toEqual(['other', 'u1']);
    expect(rows.find((r) => r.id === 'u1')).toMatchObject({ title: 'Import u1', state: 'running', doneBytes: 30, message: 'waiting to start' });
    // The job's first event can come before its id is known: it is still not a row of its own.
    const early = jobRows({ j2: job('j2', 'queued', { title: 'Import u2' }) }, { u2: task('u2', 'running', { doneBytes: 100 }) });
    expect(early.map((r) => r.id)).toEqual(['u2']);
    useJobs.setState({ imports: { r: task('r', 'running'), f: task('f', 'failed') } });
    useJobs.getState().dismissImport('r');
    useJobs.getState().dismissImport('f');
    expect(useJobs.getState().imports.r?.dismissed).toBeUndefined();
    expect(useJobs.getState().imports.f?.dismissed).toBe(true);
  });

  it('an import progress never goes back: the upload is the first half, the job (hash, then scan) the second', async () => {
    const { importFraction } = await import('../../renderer/src/store/jobsStore');
    const total = 1000;
    const seq: number[] = [];
    // Uploading 0 → 100 %.
    for (const done of [0, 250, 790, 1000]) seq.push(importFraction(task('t', 'running', { doneBytes: done, totalBytes: total }), undefined));
    // The job exists but has reported nothing yet, then hashes (bytes 0 → 1000), then scans (bytes restart at 0).
    const t = task('t', 'running', { doneBytes: total, totalBytes: total, phase: 'importing', jobId: 'j' });
    seq.push(importFraction(t, undefined));
    seq.push(importFraction(t, job('j', 'queued', { doneBytes: 0, totalBytes: null })));
    for (const [d, f] of [[0, 0], [290, 0.145], [1000, 0.5], [0, 0.5], [600, 0.8], [1000, 1]] as const) seq.push(importFraction(t, job('j', 'running', { doneBytes: d, totalBytes: total, fraction: f })));
    seq.push(importFraction({ ...t, state: 'done' }, job('j', 'done')));
    for (let i = 1; i < seq.length; i++) expect(seq[i]!, `step ${i}: ${seq.join(', ')}`).toBeGreaterThanOrEqual(seq[i - 1]!);
    expect(seq[3]).toBe(0.5);
    expect(seq.at(-1)).toBe(1);
    // Electron: no upload, the job's fraction is the whole bar.
    expect(importFraction(task('e', 'running', { viaUpload: false, phase: 'importing' }), job('j', 'running', { fraction: 0.3 }))).toBe(0.3);
  });

  it('job rows lead to what the job made or worked on', async () => {
    const { jobHref } = await import('../../renderer/src/lib/jobLinks');
    expect(jobHref(job('i', 'done', { result: { model: 'tiny net', version: 2 } }))).toBe('#/models/tiny%20net%402');
    expect(jobHref(job('i', 'failed'))).toBeNull();
    expect(jobHref(job('v', 'done', { kind: 'verify', title: 'Verify alpha@3' }))).toBe('#/models/alpha%403/files');
    expect(jobHref(job('v', 'done', { kind: 'verify', title: 'Verify alpha' }))).toBe('#/models/alpha/files');
    expect(jobHref(job('s', 'running', { kind: 'scan', title: 'Scan beta@1' }))).toBe('#/models/beta%401/security');
    expect(jobHref(job('s', 'running', { kind: 'scan', title: 'Scan 3 version(s) left unscanned' }))).toBe('#/scans');
    expect(jobHref(job('a', 'done', { kind: 'audit', title: 'Audit gem@2 (link, quick)' }))).toBe('#/models/gem%402/audits');
    expect(jobHref(job('e', 'running', { kind: 'embed', title: 'Embed link into gem@2 (lora)' }))).toBe('#/training');
    expect(jobHref(job('y', 'done', { kind: 'sync', title: 'Sync incidents with http://hub' }))).toBe('#/incidents');
    expect(jobHref(job('x', 'done', { kind: 'mystery', title: 'Mystery' }))).toBeNull();
  });

  it('awaitJob resolves from an event, and jobResult turns a failure into its own message', async () => {
    const { useJobs, awaitJob, jobResult } = await import('../../renderer/src/store/jobsStore');
    answer = () => ({ ok: true, result: job('w', 'running') });
    useJobs.getState().upsert(job('w', 'running'));
    const p = awaitJob('w', 10_000);
    useJobs.getState().upsert(job('w', 'failed', { error: 'file changed while reading' }));
    const done = await p;
    expect(done.state).toBe('failed');
    expect(() => jobResult(done)).toThrow('file changed while reading');
    expect(jobResult(job('ok', 'done', { result: { version: 3 } }))).toEqual({ version: 3 });
  });

  it('awaitJob polls jobs.get when the event stream drops the final event', async () => {
    const { useJobs, awaitJob } = await import('../../renderer/src/store/jobsStore');
    useJobs.getState().upsert(job('p', 'running'));
    answer = (m, i) => (m === 'jobs.get' && (i as { id: string }).id === 'p' ? { ok: true, result: job('p', 'done') } : { ok: false, error: { code: 'x', message: 'x' } });
    const done = await awaitJob('p', 20);
    expect(done.state).toBe('done');
    expect(calls.some(([m]) => m === 'jobs.get')).toBe(true);
  });

  it('awaitJob gives up with not_found once the job is unknown to the services', async () => {
    const { awaitJob } = await import('../../renderer/src/store/jobsStore');
    answer = () => ({ ok: false, error: { code: 'not_found', message: 'no job with id "zz"' } });
    await expect(awaitJob('zz', 5)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('models store', () => {
  it('sorting: a new column starts in its natural direction, the same column flips; the cursor resets', async () => {
    const { useModels } = await import('../../renderer/src/store/modelsStore');
    const s = useModels.getState();
    s.setActive(7);
    s.setScrollTop(300);
    s.sortBy('name');
    expect(useModels.getState()).toMatchObject({ sort: 'name', dir: 'asc', active: 0, scrollTop: 0 });
    s.sortBy('name');
    expect(useModels.getState().dir).toBe('desc');
    s.sortBy('size');
    expect(useModels.getState()).toMatchObject({ sort: 'size', dir: 'desc' });
    s.sortBy('scan'); // riskiest first
    expect(useModels.getState().dir).toBe('desc');
  });

  it('a selected model stays selected across a re-sort (the table finds its new index); a filter drops it', async () => {
    const { useModels } = await import('../../renderer/src/store/modelsStore');
    const s = useModels.getState();
    s.setActive(5, 'llama-7b');
    s.sortBy('size');
    expect(useModels.getState()).toMatchObject({ sort: 'size', activeName: 'llama-7b', active: 5 });
    s.toggleFilter('framework', 'gguf');
    expect(useModels.getState()).toMatchObject({ activeName: null, active: 0 });
    s.clearFilters();
  });

  it('filters toggle on and off, and clearing bumps resets so a typed draft is dropped', async () => {
    const { useModels } = await import('../../renderer/src/store/modelsStore');
    const s = useModels.getState();
    s.toggleFilter('framework', 'gguf');
    s.toggleFilter('stage', 'production');
    expect(useModels.getState()).toMatchObject({ framework: 'gguf', stage: 'production' });
    s.toggleFilter('framework', 'gguf');
    expect(useModels.getState().framework).toBeUndefined();
    s.setText('llama');
    const before = useModels.getState().resets;
    s.clearFilters();
    expect(useModels.getState()).toMatchObject({ text: '', stage: undefined, resets: before + 1 });
  });
});

describe('app store', () => {
  it('keeps errors until dismissed, lets other toasts expire, and holds at most six', async () => {
    vi.useFakeTimers();
    const { useApp, toastError } = await import('../../renderer/src/store/appStore');
    useApp.setState({ toasts: [] });
    const err = toastError('Import failed', new Error('disk full'));
    useApp.getState().toast({ kind: 'success', title: 'Imported' });
    vi.advanceTimersByTime(7000);
    expect(useApp.getState().toasts.map((t) => t.title)).toEqual(['Import failed']);
    expect(useApp.getState().toasts[0]).toMatchObject({ kind: 'error', detail: 'disk full' });
    useApp.getState().dismiss(err);
    for (let i = 0; i < 10; i++) useApp.getState().toast({ kind: 'error', title: `e${i}` });
    expect(useApp.getState().toasts.map((t) => t.title)).toEqual(['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  });

  it('counts registry and hardware generations and import requests', async () => {
    const { useApp } = await import('../../renderer/src/store/appStore');
    const g = useApp.getState().registryGen;
    useApp.getState().bumpRegistry();
    useApp.getState().bumpHardware();
    useApp.getState().requestImport();
    expect(useApp.getState().registryGen).toBe(g + 1);
    expect(useApp.getState().hardwareGen).toBeGreaterThan(0);
    expect(useApp.getState().importRequest).toBeGreaterThan(0);
  });
});
