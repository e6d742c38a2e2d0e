// Everyday polish: a skip link reaches the Models table in one Tab and Enter; focus lands on the new
// page's heading after navigating; the palette runs actions (scan, verify, promote); the theme toggle.
import { test, expect } from './fixtures';
import { writeModel } from './files';
import { views } from './views';

test('skip link to the table, heading focus, palette actions, theme toggle', async ({ page, hallmark }) => {
  const m = writeModel(hallmark.work, 'tidy.safetensors', 128, 2);
  expect((await hallmark.cli('import', m.path, '--json')).code).toBe(0);
  await hallmark.open(page);
  await expect(page.locator('[role="row"][data-name="tidy"]')).toBeVisible();

  // ≤ 5 Tabs: the first one lands on the skip link, Enter focuses the table.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await views(page, 'skip-link');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('models-grid')).toBeFocused();
  // And without it, plain Tabs (no Enter) reach the table's first row in at most 5: skip link → filter →
  // Import → filter chips (one stop) → the table, its first row active. Each stop is named on the way.
  await page.reload();
  await expect(page.locator('[role="row"][data-name="tidy"]')).toBeVisible();
  const stops: string[] = [];
  let tabs = 0;
  while (tabs < 12 && !(await page.getByTestId('models-grid').evaluate((el) => el === document.activeElement))) {
    await page.keyboard.press('Tab');
    tabs++;
    stops.push(await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30) ?? ''}` : 'none';
    }));
  }
  test.info().annotations.push({ type: 'tabs-to-table', description: `${tabs}: ${stops.join(' → ')}` });
  expect(tabs, stops.join(' → ')).toBeLessThanOrEqual(5);
  expect(stops[0]).toBe('a:Skip to content');
  expect(stops[1]).toBe('input:Filter models');
  await expect(page.getByTestId('models-grid')).toHaveAttribute('aria-activedescendant', 'model-row-0');
  await expect(page.locator('#model-row-0')).toHaveAttribute('data-name', 'tidy');
  await expect(page.locator('#model-row-0')).toHaveAttribute('aria-selected', 'true');
  await views(page, 'keyboard-table-focused');

  // Enter opens the model: focus lands on its heading.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'tidy' })).toBeFocused();

  // The palette runs actions on the model on screen.
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Search models, versions and actions' }).fill('verify');
  await expect(page.getByRole('option', { name: /Verify tidy/ })).toBeVisible();
  await views(page, 'palette-actions');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Verified tidy' })).toContainText('every file matches');
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Search models, versions and actions' }).fill('promote tidy to staging');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Promoted tidy to staging' })).toBeVisible();
  expect((await hallmark.cli('versions', 'tidy', '--json')).json<Array<{ stage: string }>>()[0]!.stage).toBe('staging');
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Search models, versions and actions' }).fill('scan tidy');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'Scanned tidy' })).toBeVisible({ timeout: 20_000 });

  // Theme toggle: system → light → dark, remembered across a reload.
  const toggle = page.getByRole('button', { name: /^Theme:/ });
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: 'test-results/screenshots/experience/theme-dark-pinned.png' });
});
