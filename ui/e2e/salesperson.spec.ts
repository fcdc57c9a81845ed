// The travelling salesperson: the customers the owner gives them, offline, a
// customer's catalog at their prices, an order submitted (and one more while
// the hub is down), a payment collected; back online, the hub confirms the
// orders and the owner sees them. Switched off, the salesperson's device is
// cut off and keeps what he writes until connected again. A customer given
// away leaves his device; his orders of it stay. A user the hub refused for
// a taken name is renamed and then accepted.
import { expect, test } from '@playwright/test';
import { api, Hub, OWNER, synced, Twin } from './processes';
import { shoot, waitOfflineWithUnsent, waitSynced } from './helpers';

test('salesperson: customer catalog, orders offline, payment', async ({ page }) => {
  const hub = new Hub();
  await hub.start();
  // An account made on the hub holds the name the demo's Wes wants too: the
  // hub refuses the demo's Wes, and the owner's inbox says so (below).
  hub.addUser('wes', 'warehouse', 'wes-password-1');
  // The owner's device brings the demo shop (customers, price lists, Sam the
  // salesperson, who looks after the café) to the hub.
  const owner = new Twin(['--demo']);
  await owner.start();
  await api(owner, 'enrol', { hubUrl: hub.url, username: OWNER.username, password: OWNER.password, pin: '1234' });
  await synced(owner);
  const device = new Twin();
  await device.start();
  try {
    // Sam's device enrols with a code the owner made for him.
    const sam = (await api<{ id: string; username: string }[]>(owner, 'list_users')).find((user) => user.username === 'sam')!;
    const made = await api<{ link: string }>(owner, 'make_enrol_code', { userId: sam.id });
    await page.goto(device.url);
    await page.getByRole('button', { name: 'Use an enrolment code' }).click();
    await page.getByTestId('enrol-code').fill(made.link);
    await page.getByTestId('enrol-pin').fill('2222');
    await page.getByTestId('enrol-submit').click();
    await expect(page.getByTestId('salesperson-screen')).toBeVisible();
    await waitSynced(page);
    // He holds his own customers only: the café, not the hotel, until the
    // owner gives him the hotel on the Customers screen; then his device
    // takes a new snapshot that brings it.
    await page.getByTestId('customer-search').fill('atlas');
    await expect(page.getByTestId('customer-row')).toHaveCount(0);
    const ownerPage = await page.context().newPage();
    await ownerPage.goto(owner.url);
    await expect(ownerPage.getByTestId('manager-screen')).toBeVisible();
    await ownerPage.getByTestId('manage-tab-customers').click();
    const hotel = ownerPage.getByTestId('manage-customer-row').filter({ hasText: 'Hotel Atlas' });
    await hotel.getByTestId('customer-salesperson').selectOption(sam.id);
    await expect(ownerPage.getByTestId('notice')).toBeVisible();
    await shoot(ownerPage, 'manager-customers');
    await ownerPage.close();
    await synced(owner);
    await expect
      .poll(async () => {
        await page.getByTestId('sync-badge').click();
        await page.getByTestId('customer-search').fill('');
        await page.getByTestId('customer-search').fill('atlas');
        return page.getByTestId('customer-row').count();
      }, { timeout: 30_000 })
      .toBe(1);
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

    // The owner switches Sam off: his device is cut off, says why, and keeps
    // the payment he takes meanwhile. Switched on again, Sam connects the
    // device again with a new code; the payment goes up and sync goes on.
    await api(owner, 'update_user', { userId: sam.id, active: false });
    await synced(owner);
    await expect
      .poll(async () => {
        const shown = await page.getByTestId('sync-problem').count();
        if (!shown) await page.getByTestId('sync-badge').click();
        return shown;
      }, { timeout: 30_000 })
      .toBe(1);
    await expect(page.getByTestId('sync-problem')).toContainText('switched off');
    await page.getByTestId('payment-amount').fill('5');
    await page.getByTestId('payment-submit').click();
    await expect(page.getByTestId('sync-badge')).toHaveAttribute('data-unsent', '1');
    await shoot(page, 'sync-user-inactive');
    await api(owner, 'update_user', { userId: sam.id, active: true });
    await synced(owner);
    const again = await api<{ link: string }>(owner, 'make_enrol_code', { userId: sam.id });
    await page.getByTestId('sync-reconnect').click();
    const dialog = page.getByTestId('reconnect-dialog');
    await dialog.getByTestId('enrol-toggle').click();
    await dialog.getByTestId('enrol-code').fill(again.link);
    await dialog.getByTestId('enrol-pin').fill('2222');
    await dialog.getByTestId('enrol-submit').click();
    await expect(dialog).toHaveCount(0);
    await waitSynced(page);
    await expect(page.getByTestId('sync-problem')).toHaveCount(0);

    // The owner gives the café to no one: it leaves Sam's device, and the
    // two orders he took for it stay there, listed apart under its name.
    const cafe = (await api<{ id: string }[]>(owner, 'list_customers', { query: 'Corner Café' }))[0];
    await api(owner, 'assign_customer', { customerId: cafe.id, salespersonId: null });
    await synced(owner);
    await page.getByTestId('customer-back').click();
    await expect
      .poll(async () => {
        await page.getByTestId('sync-badge').click();
        return page.getByTestId('elsewhere-order-row').count();
      }, { timeout: 30_000 })
      .toBe(2);
    await expect(page.getByTestId('orders-elsewhere')).toContainText('Corner Café');
    await page.getByTestId('customer-search').fill('café');
    await expect(page.getByTestId('customer-row')).toHaveCount(0);

    // The owner's device has a notice from its first sync in the inbox (the
    // demo's Wes refused: the name is taken), said in words; it is read and
    // dismissed.
    await page.goto(owner.url);
    await page.getByTestId('inbox-button').click();
    await expect(page.getByTestId('inbox-item').first()).toBeVisible();
    await expect(page.locator('[data-testid="inbox-item"][data-code="username_taken"]').first()).toContainText(
      'Another account already has this username.',
    );
    const before = await page.getByTestId('inbox-item').count();
    await shoot(page, 'inbox');
    await page.getByTestId('inbox-dismiss').first().click();
    await expect(page.getByTestId('inbox-item')).toHaveCount(before - 1);
    // The owner renames the demo's Wes, whom the hub refused, and the new
    // name goes up: the hub holds both Weses now.
    await page.getByTestId('nav-manage').click();
    await page.getByTestId('manage-tab-users').click();
    await page.locator('[data-testid^="user-rename-wes~"]').click();
    await page.getByTestId('user-rename-input').fill('wes.demo');
    await page.getByTestId('user-rename-save').click();
    await expect(page.getByTestId('user-row').filter({ hasText: 'wes.demo' })).toHaveCount(1);
    await synced(owner);
    await expect
      .poll(async () => {
        await api(device, 'sync_now');
        const users = await api<{ username: string }[]>(device, 'list_users');
        return users.map((user) => user.username).filter((name) => name.startsWith('wes'));
      }, { timeout: 30_000 })
      .toEqual(['wes', 'wes.demo']);
  } finally {
    await device.stop();
    await owner.stop();
    await hub.stop();
  }
});
