// The hub's public feedback page in Debian's Chromium: an end user reports a problem without an account,
// with JavaScript off (the page has none), hostile model names render as text, a bad submission keeps
// what was typed, a verification link marks the report verified. The hub runs as `hallmark hub`.
import { test, expect } from '@playwright/test';
import { shot } from './fixtures';
import { startHub, type E2EHub } from './hub';

let hub: E2EHub;
let base = '';
const api: E2EHub['api'] = (...args) => hub.api(...args);

test.beforeAll(async () => {
  hub = await startHub('hallmark-hub-e2e-');
  base = hub.base;
});

test.afterAll(async () => hub?.stop());

test('an end user reports a problem from the feedback page, without JavaScript', async ({ browser }) => {
  const p = await api('POST', '/api/v1/providers/register', { company_name: 'Acme AI', email: 'ops@acme.example', website: 'https://acme.example' });
  const m = await api('POST', '/api/v1/models/register', {
    display_name: 'Acme Assistant', api_model_identifier: 'acme-assistant', endpoint: 'https://api.acme.example/v1', version: '1.2.0', description: 'support bot', model_type: 'language',
  }, p.api_key);
  expect(m.feedback_url).toBe(`${base}/models/${m.model_id}`);

  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(m.feedback_url);
  await expect(page.getByRole('heading', { name: 'Report a problem with Acme Assistant' })).toBeVisible();
  await expect(page.getByText('Version 1.2.0 · by Acme AI')).toBeVisible();
  await shot(page, 'hub-feedback-form');

  await page.getByLabel('What kind of problem?').selectOption('hallucination');
  await page.getByLabel('How serious?').selectOption('high');
  await page.getByLabel('Summary').fill('Invents citations');
  await page.getByLabel('What happened?').fill('Asked for sources on X; it listed three papers that do not exist.');
  await page.getByLabel('Your e-mail (optional)').fill('reader@example.org');
  await page.getByRole('button', { name: 'Send report' }).click();
  await expect(page.getByRole('status')).toHaveText(/Thank you: your report was sent/);
  expect(new URL(page.url()).pathname).toBe(`/models/${m.model_id}`);
  await shot(page, 'hub-feedback-thanks');

  const mine = await api('GET', '/api/v1/providers/me/incidents', undefined, p.api_key);
  expect(mine.incidents).toHaveLength(1);
  expect(mine.incidents[0]).toMatchObject({ source: 'feedback_page', category: 'hallucination', severity: 'high', title: 'Invents citations', reporter_email: 'reader@example.org', verified: false });

  // The short link the SDK's link parser knows: /m/<id without "model_">.
  await page.goto(`${base}/m/${m.model_id.slice('model_'.length)}`);
  await expect(page.getByRole('heading', { name: 'Report a problem with Acme Assistant' })).toBeVisible();
  await page.goto(`${base}/models/model_doesnotexist`);
  await expect(page.getByRole('heading', { name: 'Model not found' })).toBeVisible();
  await ctx.close();
});

test('hostile names render as text; a rejected submission keeps the text and says what to fix', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const p = await api('POST', '/api/v1/providers/register', { company_name: '<img src=x onerror=alert(1)>', email: 'x@evil.example', website: 'https://evil.example' });
  const m = await api('POST', '/api/v1/models/register', {
    display_name: '<script>alert("pwned")</script>', api_model_identifier: 'evil', endpoint: 'https://evil.example', version: '"><svg onload=alert(2)>', description: 'x', model_type: 'language',
  }, p.api_key);
  await page.goto(`${base}/models/${m.model_id}`);
  await expect(page.getByRole('heading', { name: 'Report a problem with <script>alert("pwned")</script>' })).toBeVisible();
  await expect(page.getByText('by <img src=x onerror=alert(1)>')).toBeVisible();
  expect(await page.locator('script, svg, img').count()).toBe(0);

  // Bypass the browser's own checks to reach the server's: an empty description.
  await page.getByLabel('Summary').fill('<b>bold?</b> summary');
  await page.locator('#description').evaluate((el) => el.removeAttribute('required'));
  await page.getByRole('button', { name: 'Send report' }).click();
  await expect(page.getByRole('alert')).toContainText('Your report was not sent');
  await expect(page.getByRole('alert')).toContainText('Describe what happened');
  await expect(page.getByLabel('Summary')).toHaveValue('<b>bold?</b> summary');
  await shot(page, 'hub-feedback-error');
  expect(dialogs).toEqual([]);
  expect((await api('GET', '/api/v1/providers/me/incidents', undefined, p.api_key)).incidents).toHaveLength(0);
});

test('a verification link from the model marks the report verified', async ({ page }) => {
  const p = await api('POST', '/api/v1/providers/register', { company_name: 'Verified Co', email: 'v@v.example', website: 'https://v.example' });
  const m = await api('POST', '/api/v1/models/register', { display_name: 'Checked', api_model_identifier: 'checked', endpoint: 'https://v.example', version: '1', description: 'x', model_type: 'language' }, p.api_key);
  const v = await api('POST', '/api/v1/create-verification', { model_id: m.model_id, user_fingerprint: 'session-1' }, p.api_key);
  await page.goto(v.verification_url);
  await expect(page.getByText('your report will be marked verified')).toBeVisible();
  await shot(page, 'hub-feedback-verified');
  await page.getByLabel('Summary').fill('Verified issue');
  await page.getByLabel('What happened?').fill('It happened.');
  await page.getByRole('button', { name: 'Send report' }).click();
  await expect(page.getByRole('status')).toHaveText(/Thank you/);
  const mine = await api('GET', '/api/v1/providers/me/incidents', undefined, p.api_key);
  expect(mine.incidents[0]).toMatchObject({ title: 'Verified issue', verified: true, source: 'feedback_page' });
  // A bogus token: the page says so and still takes an (unverified) report.
  await page.goto(`${base}/models/${m.model_id}?vt=vt_${'A'.repeat(43)}`);
  await expect(page.getByRole('status')).toContainText('Unknown verification link');
});
