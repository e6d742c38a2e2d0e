import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/services/api/index';
import { tempHome } from '../../helpers/tempHome';

let t: ReturnType<typeof tempHome>;
beforeAll(() => {
  t = tempHome();
});
afterAll(async () => {
  await t.cleanup();
});

describe('fingerprints.generate / fingerprints.export with an existing out', () => {
  it('refuses to replace the file (and keeps no set) unless force is given', async () => {
    const out = path.join(t.dir, 'existing.hmfp');
    fs.writeFileSync(out, 'precious');
    const input = { name: 'x', count: 4, keyLength: 8, responseLength: 4, passphrase: 'pw', out };
    await expect(dispatch(t.ctx, 'fingerprints.generate', input)).rejects.toMatchObject({ code: 'write_failed', message: expect.stringContaining('already exists') });
    expect(fs.readFileSync(out, 'utf8')).toBe('precious');
    expect(await dispatch(t.ctx, 'fingerprints.list', {})).toEqual([]);
    const g = await dispatch<'fingerprints.generate'>(t.ctx, 'fingerprints.generate', { ...input, force: true });
    expect(g.path).toBe(out);

    const trainer = path.join(t.dir, 'trainer.json');
    fs.writeFileSync(trainer, 'keep');
    await expect(dispatch(t.ctx, 'fingerprints.export', { source: { setId: g.id }, passphrase: 'pw', out: trainer })).rejects.toMatchObject({ code: 'exists' });
    expect(fs.readFileSync(trainer, 'utf8')).toBe('keep');
    await dispatch(t.ctx, 'fingerprints.export', { source: { setId: g.id }, passphrase: 'pw', out: trainer, force: true });
    expect(fs.readFileSync(trainer, 'utf8')).not.toBe('keep');
  });
});
