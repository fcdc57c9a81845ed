// The travelling salesperson: customers offline, a customer's catalog at their
// prices, an order submitted (and one more while the hub is down), a payment
// collected; back online, the hub confirms the orders and the owner sees them.
import { expect, test } from '@playwright/test';
import { api, Hub, OWNER, synced, Twin } from './processes';
import { enrolAndWait, shoot, waitOfflineWithUnsent, waitSynced } from './helpers';

test('salesperson: customer catalog, orders offline, payment', async ({ page }) => {
  const hub = new Hub();
  await hub.start();
  hub.addUser('sam', 'salesperson', 'sam-password-1');
  // The owner's device brings the demo shop (customers, price lists) to the hub.
  const owner = new Twin(['--demo']);
  await owner.start();
  await api(owner, 'enrol', { hubUrl: hub.url, username: OWNER.username, password: OWNER.password, pin: '1234' });
  await synced(owner);
  const device = new Twin();
  await device.start();
  try {
    await page.goto(device.url);
    await enrolAndWait(page, hub.url, 'sam', 'sam-password-1', '2222');
    await expect(page.getByTestId('salesperson-screen')).toBeVisible();
    await waitSynced(page);
    await page.getByTestId('customer-search').fill('café');
    await expect(page.getByTestId('customer-row').first()).toBeVisible();
    await shoot(page, 'salesperson-customers');

    // The customer's catalog, at their price list, into an order.
    await page.getByTestId('customer-row').first().click();
    await expect(page.getByTestId('customer-name')).toContainText('Corner Café');
    await page.getByTestId('product-search').fill('coffee');
    await page.getByTestId('product-row').first().click();
    await page.getByTestId('product-row').first().click();
    await expect(page.getByTestId('line')).toHaveCount(1);
    await shoot(page, 'salesperson-order');
    await page.getByTestId('order-submit').click();
    await expect(page.getByTestId('order-row')).toHaveCount(1);

    // The hub goes down: another order and a payment wait in the outbox.
    await hub.stop();
    await page.getByTestId('product-search').fill('tea');
    await page.getByTestId('product-row').first().click();
    await page.getByTestId('order-submit').click();
    await expect(page.getByTestId('order-row')).toHaveCount(2);
    await expect(page.locator('[data-testid="order-row"][data-status="provisional"]').first()).toBeVisible();
    await page.getByTestId('payment-amount').fill('20');
    await page.getByTestId('payment-submit').click();
    await expect(page.getByTestId('notice')).toBeVisible();
    await page.getByTestId('sync-badge').click();
    await waitOfflineWithUnsent(page);
    await shoot(page, 'salesperson-offline');

    // Back online: the hub decides, and both provisional orders turn confirmed.
    await hub.start();
    await page.getByTestId('sync-badge').click();
    await waitSynced(page);
    await expect
      .poll(async () => {
        await page.getByTestId('sync-badge').click();
        await page.getByTestId('orders-refresh').click();
        return page.locator('[data-testid="order-row"][data-status="confirmed"]').count();
      }, { timeout: 30_000 })
      .toBe(2);
    await shoot(page, 'salesperson-confirmed');
    await expect
      .poll(async () => {
        await api(owner, 'sync_now');
        const orders = await api<{ customerName: string }[]>(owner, 'list_orders', {});
        return orders.filter((order) => order.customerName === 'Corner Café').length;
      }, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);

    // The owner's device has a notice from its first sync in the inbox; it is read and dismissed.
    await page.goto(owner.url);
    await page.getByTestId('inbox-button').click();
    await expect(page.getByTestId('inbox-item').first()).toBeVisible();
    const before = await page.getByTestId('inbox-item').count();
    await shoot(page, 'inbox');
    await page.getByTestId('inbox-dismiss').first().click();
    await expect(page.getByTestId('inbox-item')).toHaveCount(before - 1);
  } finally {
    await device.stop();
    await owner.stop();
    await hub.stop();
  }
});
