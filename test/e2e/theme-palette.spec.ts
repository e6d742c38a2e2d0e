// One palette (styles.css: light-dark() variables, color-scheme chosen by the OS or data-theme): the
// theme toggle and the OS preference both switch every colour, and a critical badge's text keeps WCAG AA
// contrast (≥ 4.5:1) in light and dark, its background standing out from the page (≥ 3:1) in dark.
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { evilPickle } from './files';
import { views } from './views';

/** WCAG relative luminance of a computed rgb()/rgba() colour. */
function luminance(css: string): number {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(css);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};
const colours = (l: Locator) => l.evaluate((el) => ({ fg: getComputedStyle(el).color, bg: getComputedStyle(el).backgroundColor }));
const pageBg = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test('one palette for OS and in-app theme; critical badges readable in light and dark', async ({ page, hallmark }) => {
  const evil = path.join(hallmark.work, 'loader.pkl');
  fs.writeFileSync(evil, evilPickle());
  expect((await hallmark.cli('import', evil, '--json')).code).toBe(0);
  await hallmark.open(page, '#/models/loader/security');
  const badge = page.locator('.sev-critical').first();
  await expect(badge).toBeVisible();

  const seen: Record<string, { fg: string; bg: string; page: string }> = {};
  // The OS decides while no theme is chosen …
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    seen[`os-${scheme}`] = { ...(await colours(badge)), page: await pageBg(page) };
  }
  // … and the in-app choice wins over the OS.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
  seen['pinned-light-on-dark-os'] = { ...(await colours(badge)), page: await pageBg(page) };
  await page.emulateMedia({ colorScheme: 'light' });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'dark'; });
  seen['pinned-dark-on-light-os'] = { ...(await colours(badge)), page: await pageBg(page) };
  await page.evaluate(() => { delete document.documentElement.dataset.theme; });

  test.info().annotations.push({ type: 'critical-badge', description: Object.entries(seen).map(([k, v]) => `${k}: text ${contrast(v.fg, v.bg).toFixed(2)}:1, badge/page ${contrast(v.bg, v.page).toFixed(2)}:1`).join('; ') });
  // Same colours whichever way a theme was chosen: one palette.
  expect(seen['pinned-light-on-dark-os']).toEqual(seen['os-light']);
  expect(seen['pinned-dark-on-light-os']).toEqual(seen['os-dark']);
  expect(seen['os-light']!.page).not.toEqual(seen['os-dark']!.page);
  for (const [k, v] of Object.entries(seen)) expect(contrast(v.fg, v.bg), `${k} text contrast`).toBeGreaterThanOrEqual(4.5);
  expect(contrast(seen['os-dark']!.bg, seen['os-dark']!.page), 'dark badge vs page').toBeGreaterThanOrEqual(3);
  await views(page, 'security-critical-badge');
});
