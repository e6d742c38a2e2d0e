// Detailed health: every part reported with a state; a failed job makes it degraded (exit 1 in the CLI);
// a disk threshold above the free space warns; the GPU part says plainly when there is only a CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthReport } from '../../../electron/contract/health';
import { dispatch } from '../../../electron/services/api/index';
import { detailedHealth, healthText } from '../../../electron/services/health/Health';
import { cliRunner } from '../../helpers/cli';
import { tempHome } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
beforeAll(() => {
  t = tempHome('hallmark-health-');
});
afterAll(async () => {
  delete process.env.HALLMARK_DISK_WARN_BYTES;
  await t.cleanup();
});

describe('detailed health', () => {
  it('a fresh home is healthy: WAL database passing quick_check, disk, memory, no jobs, GPU or CPU-only said plainly', async () => {
    const r = HealthReport.parse(await dispatch(t.ctx, 'health.detailed', {}));
    expect(r.database).toMatchObject({ status: 'ok', open: true, journal_mode: 'wal', quick_check: 'ok' });
    expect(r.database.size_bytes).toBeGreaterThan(0);
    expect(r.disk.free_bytes).toBeGreaterThan(0);
    expect(r.memory.rss_bytes).toBeGreaterThan(0);
    expect(r.jobs).toMatchObject({ status: 'ok', running: 0, queued: 0, failed_24h: 0 });
    if (r.gpu.backend === 'cpu') expect(r.gpu.message).toMatch(/^CPU only/);
    expect(r.mode).toBe('inference');
    expect(r.status).toBe(r.disk.status === 'ok' && r.memory.status === 'ok' ? 'healthy' : r.disk.status === 'fail' || r.memory.status === 'fail' ? 'unhealthy' : 'degraded');
  }, 30_000);

  it('a failed job in the last 24 h and a disk under the threshold make it degraded, with what to do', async () => {
    await expect(t.ctx.jobs.run({ kind: 'scan', title: 'Scan broken' }, async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    process.env.HALLMARK_DISK_WARN_BYTES = String(1024 ** 5); // 1 PiB: more than any test disk has free
    const r = await detailedHealth(t.ctx);
    delete process.env.HALLMARK_DISK_WARN_BYTES;
    expect(r.jobs).toMatchObject({ status: 'warn', failed_24h: 1, last_failure: 'Scan broken: boom' });
    expect(r.jobs.message).toMatch(/Jobs drawer/);
    expect(r.disk.status).toBe('warn');
    expect(r.disk.message).toMatch(/free space/);
    expect(r.status).not.toBe('healthy');
    expect(healthText(r)).toMatch(/WARN jobs/);

    const cli = await cliRunner(t.home)('--json', 'health');
    expect(cli.code).toBe(1);
    expect(HealthReport.parse(cli.json).jobs.failed_24h).toBe(1);
  }, 30_000);
});
