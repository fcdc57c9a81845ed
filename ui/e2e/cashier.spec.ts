// The clerk at the till: enrol, open the shift, sell by wedge scan with split
// payment and change, sell while the hub is down, see the sales reach the hub
// when it is back, a return against a receipt, and closing the shift.
import { expect, test } from '@playwright/test';
import { api, Twin } from './processes';
import { enrolAndWait, shoot, waitOfflineWithUnsent, waitSynced, wedgeScan } from './helpers';
import { openShop } from './shop';

test('cashier: shift, sale with split payment, offline sale, return', async ({ page }) => {
  const shop = await openShop([['cara', 'cashier']]);
  expect(shop.currency).toBe('EUR'); // the amounts below are in the hub shop's euros
  const till = new Twin();
  await till.start();
  try {
    await page.goto(till.url);
    await enrolAndWait(page, shop.hub.url, 'cara', 'cara-password-1', '1111');
    await expect(page.getByTestId('pos-screen')).toBeVisible();
    await waitSynced(page);

    // Open the shift with a float of 100.
    await page.getByTestId('pos-tab-shift').click();
    await page.getByTestId('shift-float').fill('100');
    await page.getByTestId('shift-open-button').click();
    await expect(page.getByTestId('shift-open')).toBeVisible();

    // Scan two coffees and a tea: 2 × 4.49 + 2.99 = 11.97.
    await page.getByTestId('pos-tab-sale').click();
    await expect(page.getByTestId('sale-screen')).toBeVisible();
    await wedgeScan(page, '4006381333931');
    await wedgeScan(page, '4006381333931');
    await wedgeScan(page, '96385074');
    await expect(page.getByTestId('line')).toHaveCount(2);
    await expect(page.getByTestId('sale-total')).toContainText('11.97');

    // Split across methods and currencies: 5.00 EUR on card, then 10.00 USD
    // cash at 0.90 EUR per USD (9.00 EUR) -> change 2.03 EUR.
    await page.getByTestId('pay-method').selectOption('card');
    await page.getByTestId('pay-amount').fill('5');
    await page.getByTestId('pay-add').click();
    await expect(page.getByTestId('pay-remaining')).toContainText('6.97');
    await page.getByTestId('pay-method').selectOption('cash');
    await page.getByTestId('pay-currency').fill('USD');
    await page.getByTestId('pay-rate').fill('0.9');
    await page.getByTestId('pay-amount').fill('10');
    await page.getByTestId('pay-add').click();
    await expect(page.getByTestId('pay-remaining')).toContainText('0.00');
    await expect(page.getByTestId('pay-change')).toContainText('2.03');
    await shoot(page, 'till-sale');
    await page.getByTestId('sale-complete').click();
    await expect(page.getByTestId('receipt')).toBeVisible();
    await expect(page.getByTestId('receipt-change')).toContainText('2.03');
    const firstReceipt = (await page.getByTestId('receipt-number').textContent())!.trim();
    await shoot(page, 'till-receipt');
    await page.getByTestId('new-sale').click();

    // The hub goes down; the next sale still completes and waits to be sent.
    await shop.hub.stop();
    await page.getByTestId('product-search').fill('milk');
    await page.getByTestId('product-row').first().click();
    await page.getByTestId('pay-currency').fill(shop.currency);
    await page.getByTestId('pay-add').click(); // nothing typed: pays exactly what is owed
    await expect(page.getByTestId('pay-remaining')).toContainText('0.00');
    await page.getByTestId('sale-complete').click();
    await expect(page.getByTestId('receipt')).toBeVisible();
    await page.getByTestId('sync-badge').click();
    await waitOfflineWithUnsent(page);
    await page.getByTestId('new-sale').click();

    // Signing out now warns that the sales have not reached the hub; the clerk stays.
    await page.getByTestId('sign-out').click();
    await expect(page.getByTestId('signout-warning')).toBeVisible();
    await shoot(page, 'signout-warning');
    await page.getByTestId('signout-warning').getByRole('button').first().click();
    await expect(page.getByTestId('current-user')).toBeVisible();

    // Back online: both sales reach the hub and the owner's device.
    await shop.hub.start();
    await page.getByTestId('sync-badge').click();
    await waitSynced(page);
    await expect
      .poll(async () => {
        await api(shop.owner, 'sync_now');
        const dashboard = await api<{ sales: { nSales: number }[] }>(shop.owner, 'dashboard', { sinceMs: 0 });
        return dashboard.sales.reduce((sum, row) => sum + row.nSales, 0);
      }, { timeout: 30_000 })
      .toBe(2);

    // A coffee comes back against the first receipt.
    await page.getByTestId('pos-tab-returns').click();
    await page.getByTestId('return-receipt-number').fill(firstReceipt);
    await page.getByTestId('return-find').click();
    await page.getByTestId('return-qty').first().fill('1');
    await page.getByTestId('return-qty').first().blur();
    await shoot(page, 'till-return');
    await page.getByTestId('return-record').click();
    await expect(page.getByTestId('notice')).toContainText('4.49');

    // Close the shift with the cash counted; the variance shows.
    await page.getByTestId('pos-tab-shift').click();
    await page.getByTestId('shift-counted').fill('100');
    await page.getByTestId('shift-close').click();
    await expect(page.getByTestId('shift-variance')).toBeVisible();
    await shoot(page, 'till-shift');
  } finally {
    await till.stop();
    await shop.close();
  }
});
