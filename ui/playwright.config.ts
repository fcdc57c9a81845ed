// End-to-end tests: Debian's Chromium against the web build served by the
// web twin, with a real hub; both processes are started by the tests.
import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './e2e/paths';

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions: chromiumLaunch(),
    trace: 'off',
  },
});
