// Incidents in browser mode against a real hub (`hallmark hub`): set the hub up in Settings, record an
// incident offline, sync it, receive a user's report, change status, see a "changed on hub" conflict.
// Hostile texts render as text. Screenshots under test-results/screenshots/incidents-*.png.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, shot } from './fixtures';
import { startHub, type E2EHub } from './hub';

let hub: E2EHub;
let base = '';
let key = '';
let modelId = '';

const api: E2EHub['api'] = (...args) => hub.api(...args);

test.beforeAll(async () => {
  hub = await startHub('hallmark-inc-e2e-');
  base = hub.base;
  const p = await api('POST', '/api/v1/providers/register', { company_name: 'E2E Labs', email: 'ops@e2e.example', website: 'https://e2e.example' });
  key = p.api_key;
  const m = await api('POST', '/api/v1/models/register', { display_name: 'E2E Model', api_model_identifier: 'e2e-model', endpoint: 'https://e2e.example/v1', version: '1', description: 'd', model_type: 'language' }, key);
  modelId = m.model_id;
});

test.afterAll(async () => hub?.stop());

const HOSTILE = `<img src=x onerror="window.__pwned=1">'; DROP TABLE incidents;--`;

test('incidents: hub settings, offline create, sync, pull, status change, conflict note', async ({ page, hallmark }) => {
  await hallmark.open(page, '#/incidents');
  await expect(page.getByTestId('incidents-empty')).toBeVisible();
  await expect(page.getByTestId('status-hub')).toContainText('hub: not set up');
  await shot(page, 'incidents-empty');

  // Offline: no hub yet, the incident is recorded and pending.
  await page.getByRole('button', { name: 'New incident' }).click();
  const dialog = page.getByRole('dialog', { name: 'New incident' });
  await dialog.getByLabel('Model version').fill(modelId);
  await dialog.getByLabel('Title').fill(HOSTILE);
  await dialog.getByLabel('Description').fill('<script>window.__pwned=2</script> outputs garbage');
  await dialog.getByLabel('Severity').selectOption('high');
  await shot(page, 'incidents-create-dialog');
  await page.getByRole('button', { name: 'Record incident' }).click();
  const table = page.getByRole('table', { name: 'Incidents' });
  await expect(table.getByText(HOSTILE)).toBeVisible();
  await expect(table.getByTestId('sync-badge').first()).toHaveText('pending');

  // Settings: hub URL + key (sealed with a passphrase in browser mode), test, save.
  await page.goto(hallmark.url.replace(/\?.*$/, '') + '#/settings');
  await page.getByLabel('Hub URL').fill(base);
  await page.getByLabel('Hub API key').fill('hm_live_wrong-key-0000000000000000000000000000');
  await page.getByLabel('Passphrase for the hub key').fill('e2e passphrase');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('hub-settings-message')).toContainText('refused the API key');
  await page.getByLabel('Hub API key').fill(key);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('hub-settings-message')).toContainText('connected to');
  await page.getByRole('button', { name: 'Save hub settings' }).click();
  await expect(page.getByTestId('hub-settings-message')).toContainText('sealed with your passphrase');
  await expect(page.getByTestId('status-hub')).toContainText('1 pending');
  await shot(page, 'incidents-settings');

  // A user reports through the hub; sync sends ours and brings theirs.
  await api('POST', '/api/v1/incidents/report', { model_id: modelId, category: 'bias', title: 'User report <b>bold?</b>', description: 'from the feedback page' });
  await page.goto(hallmark.url.replace(/\?.*$/, '') + '#/incidents');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByTestId('status-hub')).toContainText('synced');
  await expect(table.getByText('User report <b>bold?</b>')).toBeVisible();
  await expect(table.getByTestId('sync-badge')).toHaveText(['synced', 'synced']);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await table.locator('img, b, script').count()).toBe(0);
  const onHub = (await api('GET', '/api/v1/providers/me/incidents', undefined, key)).incidents as Array<{ id: string; title: string; status: string; client_ref: string | null }>;
  const mine = onHub.find((i) => i.title === HOSTILE)!;
  expect(mine.client_ref).toMatch(/^loc_/);

  // Status change: pending until synced, then on the hub.
  await table.getByText(HOSTILE).click();
  const detail = page.getByRole('region', { name: 'Incident detail' });
  await detail.getByLabel('Incident status').selectOption('investigating');
  await expect(detail.getByTestId('sync-badge')).toHaveText('pending');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(detail.getByTestId('sync-badge')).toHaveText('synced');
  expect((await api('GET', `/api/v1/incidents/${mine.id}`, undefined, key)).status).toBe('investigating');
  await shot(page, 'incidents-detail');
  // At 1440 px with the detail pane open the list fits its column: no sideways scroll.
  await page.setViewportSize({ width: 1440, height: 900 });
  const listBox = table.locator('xpath=..');
  await expect.poll(() => listBox.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, 'incidents-detail-1440');
  await page.setViewportSize({ width: 1360, height: 860 });

  // Conflict: resolved on the hub meanwhile; the local "dismissed" loses and says so.
  await api('PATCH', `/api/v1/incidents/${mine.id}`, { status: 'resolved' }, key);
  await detail.getByLabel('Incident status').selectOption('dismissed');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(detail.getByTestId('conflict-note')).toContainText('changed on hub: status is "resolved" on the hub');
  await expect(detail.getByLabel('Incident status')).toHaveValue('resolved');
  await shot(page, 'incidents-conflict');

  // Filters.
  await page.getByLabel('Filter by category').selectOption('bias');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await shot(page, 'incidents-filtered');
});

test('model page: register a version with the hub, copy its feedback URL, its incidents listed', async ({ page, hallmark }) => {
  const file = path.join(hallmark.work, 'tiny.bin');
  fs.writeFileSync(file, Buffer.alloc(512, 7));
  const imp = await hallmark.cli('import', file, '--allow-unknown', '--name', 'e2e-registered', '--json');
  expect(imp.code, imp.stderr).toBe(0);
  await hallmark.call('hub.configure', { url: base, apiKey: key, passphrase: 'pw e2e', intervalS: 0 });
  await hallmark.open(page, '#/models/e2e-registered%401/incidents');
  await page.getByRole('button', { name: 'Register with the hub' }).click();
  const url = page.getByTestId('feedback-url');
  await expect(url).toHaveText(new RegExp(`^${base.replace(/[.]/g, '\\.')}/models/model_`));
  const feedback = (await url.textContent())!;
  // The feedback page the trainer embeds exists on the hub.
  expect((await fetch(feedback)).status).toBe(200);
  await page.getByRole('button', { name: 'New incident' }).click();
  const dialog = page.getByRole('dialog', { name: 'New incident' });
  await expect(dialog.getByLabel('Model version')).toHaveValue('e2e-registered');
  await dialog.getByLabel('Title').fill('Answers in the wrong language');
  await dialog.getByLabel('Description').fill('asked in French, answered in German');
  await dialog.getByRole('button', { name: 'Record incident' }).click();
  const table = page.getByRole('table', { name: 'Incidents' });
  await expect(table.getByText('e2e-registered@1')).toBeVisible();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(table.getByTestId('sync-badge')).toHaveText('synced');
  await shot(page, 'incidents-model-tab');
});
