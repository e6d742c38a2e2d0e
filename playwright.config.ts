// End-to-end tests: the built renderer in browser mode against `hallmark serve`, driven in Debian's
// Chromium (Playwright's bundled browsers are not downloaded here). Each test gets its own HALLMARK_HOME
// and bridge (test/e2e/fixtures.ts); the global setup only builds when out/renderer is missing.
import { defineConfig } from '@playwright/test';

const chromium = process.env.HALLMARK_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  globalSetup: './test/e2e/globalSetup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  // One retry on CI: a slow 2-core runner must not turn a timing hiccup into a lost run; Playwright still
  // lists such tests as flaky, so they get fixed.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]] : [['list']],
  outputDir: 'test-results/artifacts',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: chromium, args: [
        '--headless', '--no-sandbox', '--disable-gpu',
        // The network is closed here: stop Chromium's background fetches from failing at every start.
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      ] },
    viewport: { width: 1360, height: 860 },
    actionTimeout: 10_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
