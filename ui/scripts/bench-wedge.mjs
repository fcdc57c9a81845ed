// Benchmark: keyboard-wedge scan -> product on screen, in Chromium against the
// web twin with the demo shop. Prints the median and p95 over N scans, and,
// measured in the same run, the bare `lookup_code` round trip from the page
// (the floor the UI adds to). Usage (after `vite build` and building the twin):
//   CARGO_TARGET_DIR=... node scripts/bench-wedge.mjs [N]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';

const uiDir = resolve(new URL('..', import.meta.url).pathname);
const targetDir = process.env.CARGO_TARGET_DIR ?? join(uiDir, '..', 'target');
const n = Number(process.argv[2] ?? 200);
const codes = ['2000000000015', '2000000000022', '2000000000039', '2000000000046'];

const twin = spawn(join(targetDir, 'debug', 'stockroom-twin'),
  ['--data-dir', mkdtempSync(join(tmpdir(), 'wedge-bench-')), '--port', '0', '--ui-dir', join(uiDir, 'dist'), '--demo'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolveUrl, reject) => {
  twin.stdout.on('data', (chunk) => {
    const match = /listening on (http:\/\/\S+)/.exec(String(chunk));
    if (match) resolveUrl(match[1]);
  });
  twin.once('exit', (code) => reject(new Error(`twin exited ${code}`)));
});

const browser = await chromium.launch({
  executablePath: process.env.STOCKROOM_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByTestId('user-max').click();
  for (const digit of '4444') await page.getByTestId(`pin-key-${digit}`).click();
  await page.getByTestId('pin-ok').click();
  await page.getByTestId('nav-catalog').click();
  await page.getByTestId('product-row').first().waitFor();

  const wedge = await page.evaluate(async ({ codes, n }) => {
    const times = [];
    for (let idx = 0; idx < n; idx++) {
      const code = codes[idx % codes.length];
      const shown = new Promise((resolveShown) => {
        const observer = new MutationObserver(() => {
          if (document.querySelector('[data-testid="lookup-name"]')) {
            observer.disconnect();
            resolveShown(performance.now());
          }
        });
        observer.observe(document.body, { childList: true, subtree: true });
      });
      const start = performance.now();
      for (const key of [...code, 'Enter']) {
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
      }
      times.push((await shown) - start);
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      await new Promise((resolveFrame) => requestAnimationFrame(() => resolveFrame()));
    }
    return times;
  }, { codes, n });

  const bare = await page.evaluate(async ({ codes, n }) => {
    const times = [];
    for (let idx = 0; idx < n; idx++) {
      const start = performance.now();
      const response = await fetch('/api/cmd/lookup_code', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: codes[idx % codes.length] }),
      });
      await response.json();
      times.push(performance.now() - start);
    }
    return times;
  }, { codes, n });

  const stats = (times) => {
    const sorted = [...times].sort((a, b) => a - b);
    const at = (share) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
    return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms`;
  };
  console.log(`wedge scan -> product on screen (${n} scans): ${stats(wedge)}  (goal <= 50 ms)`);
  console.log(`bare lookup_code round trip from the page (${n}): ${stats(bare)}`);
} finally {
  await browser.close();
  twin.kill('SIGTERM');
}
