// Steps the persona flows share: enrol, sign in, scan by wedge, screenshots in LTR and RTL.
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { screenshotDir } from './paths';

/** Enrols the device against the hub with a username and password. */
export async function enrol(page: Page, hubUrl: string, username: string, password: string, pin: string) {
  await expect(page.getByTestId('enrol-form')).toBeVisible();
  await page.getByTestId('enrol-hub').fill(hubUrl);
  await page.getByTestId('enrol-username').fill(username);
  await page.getByTestId('enrol-password').fill(password);
  await page.getByTestId('enrol-pin').fill(pin);
  await page.getByTestId('enrol-submit').click();
}

/** Picks a user on the start screen and types the PIN on the pad (by touch). */
export async function signInWithPin(page: Page, username: string, pin: string) {
  await page.getByTestId(`user-${username}`).click();
  for (const digit of pin) await page.getByTestId(`pin-key-${digit}`).click();
  await page.getByTestId('pin-ok').click();
  await expect(page.getByTestId('current-user')).toBeVisible();
}

/**
 * Sends a code the way a keyboard-wedge scanner does: every key and Enter in
 * one burst, into whatever has focus. (Playwright's own typing goes key by key
 * over the DevTools protocol, which on a loaded machine is slower than a
 * person, so it would rightly not count as a scan.)
 */
export async function wedgeScan(page: Page, code: string) {
  await page.evaluate((text) => {
    const target = document.activeElement ?? document.body;
    for (const key of [...text, 'Enter']) {
      target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }
  }, code);
}

/**
 * Waits until the badge shows online with nothing unsent, tapping it ("sync
 * now") every few seconds as a person would while waiting: on a loaded
 * machine the hub may come back in the middle of a retry's backoff.
 */
export async function waitSynced(page: Page) {
  const badge = page.getByTestId('sync-badge');
  await expect
    .poll(
      async () => {
        const synced = (await badge.getAttribute('data-online')) === 'true' && (await badge.getAttribute('data-unsent')) === '0';
        if (!synced) await badge.click();
        return synced;
      },
      { timeout: 60_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toBe(true);
}

export async function waitOfflineWithUnsent(page: Page) {
  const badge = page.getByTestId('sync-badge');
  await expect(badge).toHaveAttribute('data-online', 'false', { timeout: 30_000 });
  await expect(badge).not.toHaveAttribute('data-unsent', '0');
}

/** Enrols through the start screen and waits for the first screen of the role. */
export async function enrolAndWait(page: Page, hubUrl: string, username: string, password: string, pin: string) {
  await enrol(page, hubUrl, username, password, pin);
  await expect(page.getByTestId('current-user')).toBeVisible();
}

/** Saves the page as `name-ltr.png` and, in Arabic, `name-rtl.png`; leaves it in English. */
export async function shoot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
  await page.screenshot({ path: join(screenshotDir, `${name}-ltr.png`) });
  await page.getByTestId('locale-toggle').dispatchEvent('click'); // also under an open dialog
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await page.screenshot({ path: join(screenshotDir, `${name}-rtl.png`) });
  await page.getByTestId('locale-toggle').dispatchEvent('click'); // also under an open dialog
  await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
}
