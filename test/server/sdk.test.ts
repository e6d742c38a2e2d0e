import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubDialects, startTestHub, type TestHub } from '../helpers/hub';

// The unmodified ModelSignature SDK 0.3.0 from PyPI (test/python/requirements-sdk.txt, built by
// scripts/python-venv.sh sdk) drives every call it makes against a hub on a loopback port.
const PY = process.env.HALLMARK_SDK_PYTHON;
if (!PY && process.env.CI) throw new Error('HALLMARK_SDK_PYTHON is unset on CI (scripts/test.mjs builds it with scripts/python-venv.sh sdk)');
if (!PY) console.warn('sdk.test.ts skipped: set HALLMARK_SDK_PYTHON=$(bash scripts/python-venv.sh sdk | tail -1)');

describe.skipIf(!PY).each(hubDialects())('the ModelSignature SDK against the hub (%s)', (dialect) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(dialect);
  });
  afterAll(async () => t?.cleanup());

  it('every SDK call works, with the SDK\'s status codes and error shapes', async () => {
    // Spawned asynchronously: the hub answering the SDK runs in this very process.
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(PY!, [path.join(__dirname, 'sdk_driver.py'), t.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += String(d)));
      p.stderr.on('data', (d) => (stderr += String(d)));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.error ?? null, `${out.trace ?? ''}\n${r.stderr}`).toBeNull();
    expect(out.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(out.steps.length).toBe(50);
    expect(out.steps.at(-1)).toBe('X-Request-ID echoed');

    // What the SDK did is in the database as it should be.
    const db = t.hub.db;
    const incidents = await db.selectFrom('incidents').selectAll().orderBy('seq').execute();
    expect(incidents).toHaveLength(8);
    expect(incidents.every((i) => i.source === 'sdk' && i.status === 'reported' && Number(i.revision) === 1)).toBe(true);
    expect(new Set(incidents.map((i) => Number(i.seq))).size).toBe(8);
    expect(incidents.filter((i) => i.verified).map((i) => i.id)).toEqual([out.incident_verified]);
    const keys = await db.selectFrom('api_keys').selectAll().where('provider_id', '=', out.provider_id).orderBy('created_at').execute();
    expect(keys.map((k) => k.is_active)).toEqual([1, 0]);
    // Keys are stored hashed: the key itself is nowhere in the table.
    expect(JSON.stringify(keys)).not.toContain(out.first_key.slice(8));
    const models = await db.selectFrom('models').selectAll().where('api_model_identifier', '=', 'acme-assistant').orderBy('version_number').execute();
    expect(models.map((m) => [m.id, m.version, Number(m.version_number)])).toEqual([[out.model_v1, '1.0.0', 1], [out.model_v2, '2.0.0', 2]]);
  });
});
