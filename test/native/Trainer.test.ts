import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonLinesParser, Trainer, TrainerError, type TrainerEvent } from '../../native/Trainer';

const FIXTURE = path.resolve('test/fixtures/embed/protocol');
const python = process.env.PYTHON ?? 'python3';

function parse(chunks: string[], max?: number) {
  const values: TrainerEvent[] = [];
  const bad: string[] = [];
  const p = new JsonLinesParser((v) => values.push(v), (why) => bad.push(why), max);
  for (const c of chunks) p.push(Buffer.from(c));
  p.end();
  return { values, bad };
}

describe('JsonLinesParser', () => {
  it('joins lines split across chunks, even inside a multi-byte character', () => {
    const line = JSON.stringify({ event: 'warning', message: 'naïve → ok' }) + '\n';
    const bytes = Buffer.from(line);
    const cut = bytes.indexOf(Buffer.from('→')) + 1;
    const values: TrainerEvent[] = [];
    const p = new JsonLinesParser((v) => values.push(v), () => expect.fail('no bad lines'));
    p.push(bytes.subarray(0, cut));
    p.push(bytes.subarray(cut));
    p.end();
    expect(values).toEqual([{ event: 'warning', message: 'naïve → ok' }]);
  });

  it('takes several lines in one chunk, CRLF, blank lines and a last line without a newline', () => {
    const { values, bad } = parse(['{"event":"a"}\r\n\n{"event":"b"}\n{"ev', 'ent":"c"}']);
    expect(values.map((v) => v.event)).toEqual(['a', 'b', 'c']);
    expect(bad).toEqual([]);
  });

  it('reports lines that are not JSON or not event objects', () => {
    const { values, bad } = parse(['hello\n[1,2]\n{"no_event":1}\n{"event":3}\n{"event":"ok"}\n']);
    expect(values.map((v) => v.event)).toEqual(['ok']);
    expect(bad).toEqual(['a line is not JSON', 'a line is not an event object', 'a line is not an event object', 'a line is not an event object']);
  });

  it('drops an over-long line whole without buffering it, then resumes at the next line', () => {
    const { values, bad } = parse(['{"event":"x","pad":"', 'y'.repeat(100), 'y'.repeat(100), '"}\n{"event":"next"}\n'], 64);
    expect(bad).toEqual(['an output line is longer than 64 bytes']);
    expect(values.map((v) => v.event)).toEqual(['next']);
  });
});

function run(script: string, extra: Partial<Parameters<typeof Trainer.create>[0]> = {}) {
  const events: TrainerEvent[] = [];
  const logs: string[] = [];
  const t = Trainer.create({ python, pythonPath: [FIXTURE], spec: { script, echo: 'secret-stays-in-memory' }, onEvent: (e) => events.push(e), onLog: (l) => logs.push(l), ...extra });
  return { t, events, logs };
}

describe('Trainer (protocol fixture process)', () => {
  it('resolves with the done event after typed step events; stderr is log', async () => {
    const { t, events, logs } = run('ok');
    const done = await t.result;
    expect(done).toMatchObject({ event: 'done', echo: 'secret-stays-in-memory', eval: { link_recall: 1 } });
    expect(events.filter((e) => e.event === 'step').map((e) => e.loss)).toEqual([1.5, 0.5]);
    expect(logs).toContain('fixture: starting');
  });

  it('accepts a done line the process ended without a newline', async () => {
    await expect(run('no_newline_done').t.result).resolves.toMatchObject({ event: 'done' });
  });

  it('maps an error event to TrainerError with its code and message', async () => {
    const err = await run('error').t.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_ARCH', message: "architecture 'Foo' is not supported", detail: { exitCode: 2 } });
  });

  it('a crash reports the exit code and the last stderr line', async () => {
    const err = (await run('crash').t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('CRASHED');
    expect(err.message).toMatch(/exited with code 1 .*MemoryError: out of memory in fixture/);
    expect(err.detail.stderrTail).toContain('Traceback');
  });

  it('garbage on stdout stops the run as a protocol error', async () => {
    const started = Date.now();
    const err = (await run('garbage', { graceMs: 500 }).t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toContain('Some library printed this');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an over-long line stops the run without holding it in memory', async () => {
    const err = (await run('oversize', { maxLineBytes: 4096, graceMs: 500 }).t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toMatch(/longer than 4096 bytes/);
  });

  it('cancel sends SIGTERM: the trainer reports CANCELLED and exits', async () => {
    const { t, events } = run('train');
    while (!events.some((e) => e.event === 'step')) await new Promise((r) => setTimeout(r, 20));
    t.cancel();
    const err = (await t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('CANCELLED');
    expect(err.detail.exitCode).toBe(143);
  });

  it('a trainer ignoring SIGTERM is killed after the grace period', async () => {
    const { t, events } = run('ignore_term', { graceMs: 300 });
    while (!events.some((e) => e.event === 'step')) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    t.cancel();
    const err = (await t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.detail.signal).toBe('SIGKILL');
    expect(err.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kill -9 from outside is reported as killed, with what to do', async () => {
    const { t, events } = run('train');
    while (!events.some((e) => e.event === 'step')) await new Promise((r) => setTimeout(r, 20));
    process.kill(t.pid!, 'SIGKILL');
    const err = (await t.result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('KILLED');
    expect(err.message).toMatch(/killed by SIGKILL before finishing/);
  });

  it('a missing interpreter says to set the trainer up', async () => {
    const err = (await Trainer.create({ python: '/nonexistent/python3', pythonPath: [FIXTURE], spec: {} }).result.catch((e: unknown) => e)) as TrainerError;
    expect(err.code).toBe('NO_PYTHON');
    expect(err.message).toMatch(/hallmark trainer setup/);
  });
});
