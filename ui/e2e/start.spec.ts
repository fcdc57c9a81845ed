// Start standalone with demo data, switch users on the PIN pad, find a product
// by wedge scan and by search in the virtualised list; screenshots LTR and RTL.
import { expect, test } from '@playwright/test';
import { Twin } from './processes';
import { shoot, signInWithPin, wedgeScan } from './helpers';

const COFFEE_EAN = '2000000000015'; // demo item 1, Ground coffee 250 g

test('standalone start, PIN pad, wedge scan, catalog search', async ({ page }) => {
  const twin = new Twin();
  await twin.start();
  try {
    await page.goto(twin.url);
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await shoot(page, 'start');

    await page.getByTestId('standalone-demo').check();
    await page.getByTestId('standalone-start').click();
    await expect(page.getByTestId('user-list')).toBeVisible();

    // A wrong PIN is refused, then the right one signs in.
    await page.getByTestId('user-cara').click();
    for (const digit of '9999') await page.getByTestId(`pin-key-${digit}`).click();
    await page.getByTestId('pin-ok').click();
    await expect(page.getByTestId('pin-error')).toBeVisible();
    await shoot(page, 'pin-pad');
    await signInWithPin(page, 'cara', '1111');
    await expect(page.getByTestId('pos-screen')).toBeVisible();

    // The catalog: search in the core, rows drawn by the virtual list.
    await page.getByTestId('nav-catalog').click();
    await expect(page.getByTestId('product-row').first()).toBeVisible();
    await page.getByTestId('product-search').fill('chocolate');
    await expect(page.getByTestId('product-row')).toHaveCount(2);
    await shoot(page, 'catalog');

    // A keyboard-wedge scan from anywhere shows the product.
    await page.getByTestId('product-search').click();
    await wedgeScan(page, COFFEE_EAN);
    await expect(page.getByTestId('lookup-name')).toHaveText(/Ground coffee/);
    await expect(page.getByTestId('product-search')).toHaveValue('chocolate');
    await page.keyboard.press('Escape');

    // The same screens on a phone and a tablet.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('nav-sell').click();
    await wedgeScan(page, COFFEE_EAN);
    await expect(page.getByTestId('line')).toHaveCount(1);
    await expect(page.getByTestId('product-row').first()).toBeVisible();
    await shoot(page, 'phone-till');
    await page.setViewportSize({ width: 820, height: 1180 });
    await shoot(page, 'tablet-till');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Sign out (standalone: nothing to send), back to the PIN pad.
    await page.getByTestId('sign-out').click();
    await expect(page.getByTestId('user-list')).toBeVisible();
  } finally {
    await twin.stop();
  }
});
