// 100,000 models: the table pages through registry.models as it scrolls and stays responsive.
import { test, expect, shot } from './fixtures';
import { seededName } from './seed';

const N = 100_000;
test.use({ seed: N });

test('a 100,000-row list scrolls to the last rows without loading everything', async ({ page, hallmark }) => {
  const calls: Array<{ limit?: number; offset?: number }> = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/call/registry.models')) calls.push(JSON.parse(r.postData() ?? '{}') as { limit?: number; offset?: number });
  });
  await hallmark.open(page);
  await expect(page.getByTestId('models-count')).toHaveText('100,000');
  const grid = page.getByTestId('models-grid');
  await expect(grid).toHaveAttribute('aria-rowcount', String(N + 1));
  // Newest first: the highest number is on top.
  await expect(page.locator('[role="row"][data-name]').first()).toHaveAttribute('data-name', seededName(N));
  // Only what is on screen is in the DOM.
  expect(await page.locator('[role="row"][data-name]').count()).toBeLessThan(80);

  // Scroll to the very bottom: the last rows load and show.
  const t0 = Date.now();
  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  const last = page.locator(`[role="row"][data-name="${seededName(1)}"]`);
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute('aria-rowindex', String(N + 1));
  await expect(page.locator(`[role="row"][data-name="${seededName(2)}"]`)).toBeVisible();
  const bottomMs = Date.now() - t0;
  await shot(page, 'large-bottom');

  // Keyboard reaches both ends too.
  await grid.focus();
  await page.keyboard.press('Home');
  await expect(page.locator(`[role="row"][data-name="${seededName(N)}"]`)).toBeVisible();
  await page.keyboard.press('End');
  await expect(last).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowUp');
  await expect(page.locator(`[role="row"][data-name="${seededName(2)}"]`)).toHaveAttribute('aria-selected', 'true');

  // Pages were fetched on demand: a handful of 200-row requests, nowhere near 100,000 rows.
  const fetched = calls.reduce((s, c) => s + (c.limit ?? 0), 0);
  expect(calls.every((c) => (c.limit ?? 0) <= 200)).toBe(true);
  expect(fetched).toBeLessThan(5000);
  console.log(`100k list: bottom rows visible ${bottomMs} ms after scrolling; ${calls.length} page requests, ${fetched} rows fetched`);

  // Filtering the big list by a chip narrows it server-side.
  await page.getByRole('group', { name: 'Tag filter' }).getByRole('button', { name: /^tenth/ }).click();
  await expect(page.getByTestId('models-count')).toHaveText('10,000 matching');
});
