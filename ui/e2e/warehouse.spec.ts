// Warehouse staff: receive by scanning, count with the variance shown before
// committing, a transfer sent while the hub is down (it reaches the hub when
// it is back), receiving it at the other location, stock and movements.
import { expect, test } from '@playwright/test';
import { api, Twin } from './processes';
import { enrolAndWait, shoot, waitOfflineWithUnsent, waitSynced, wedgeScan } from './helpers';
import { openShop } from './shop';

test('warehouse: receive, count, transfer offline, receive transfer', async ({ page }) => {
  const shop = await openShop([['wes', 'warehouse']]);
  const device = new Twin();
  await device.start();
  const warehouseId = shop.locations['Main warehouse'];
  const floorId = shop.locations['Shop floor'];
  try {
    await page.goto(device.url);
    await enrolAndWait(page, shop.hub.url, 'wes', 'wes-password-1', '3333');
    await expect(page.getByTestId('warehouse-screen')).toBeVisible();
    await waitSynced(page);
    await page.getByTestId('location-select').selectOption(warehouseId);

    // Receive 12 coffees and 1 tea by scanning.
    await wedgeScan(page, '4006381333931');
    await wedgeScan(page, '96385074');
    await expect(page.getByTestId('line')).toHaveCount(2);
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').fill('12');
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').blur();
    await shoot(page, 'warehouse-receive');
    await page.getByTestId('receive-commit').click();
    await expect(page.getByTestId('notice')).toBeVisible();

    // Count: 10 coffees on the shelf, 2 fewer than expected.
    await page.getByTestId('stock-tab-count').click();
    await page.getByTestId('count-start').click();
    await expect(page.getByTestId('count-start')).toHaveCount(0);
    await wedgeScan(page, '4006381333931');
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').fill('10');
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').blur();
    await page.getByTestId('count-preview').click();
    await expect(page.locator('[data-testid="variance-row"][data-sku="COF-250"] [data-testid="variance"]')).toHaveText('-2');
    await shoot(page, 'warehouse-count');
    await page.getByTestId('count-commit').click();
    await expect(page.getByTestId('count-start')).toBeVisible();

    // The hub goes down; 4 coffees are sent to the shop floor anyway.
    await shop.hub.stop();
    await page.getByTestId('stock-tab-transfer').click();
    await page.getByTestId('transfer-to').selectOption(floorId);
    await wedgeScan(page, '4006381333931');
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').fill('4');
    await page.locator('[data-testid="line"][data-sku="COF-250"] [data-testid="line-qty"]').blur();
    await page.getByTestId('transfer-send').click();
    await expect(page.getByTestId('notice')).toBeVisible();
    await page.getByTestId('sync-badge').click();
    await waitOfflineWithUnsent(page);

    // Back online: the owner's device sees 6 coffees left in the warehouse.
    await shop.hub.start();
    await page.getByTestId('sync-badge').click();
    await waitSynced(page);
    await expect
      .poll(async () => {
        await api(shop.owner, 'sync_now');
        const rows = await api<{ sku: string; qtyMilli: number }[]>(shop.owner, 'stock_by_location', { locationId: warehouseId });
        return rows.find((row) => row.sku === 'COF-250')?.qtyMilli;
      }, { timeout: 30_000 })
      .toBe(6000);

    // The transfer is received at the shop floor.
    await page.getByTestId('location-select').selectOption(floorId);
    await page.getByTestId('transfer-receive').first().click();
    await expect(page.getByTestId('transfer-receive')).toHaveCount(0);

    // Stock by location and a product's movements.
    await page.getByTestId('stock-tab-levels').click();
    await expect(page.locator('[data-testid="stock-row"][data-sku="COF-250"] [data-testid="stock-qty"]')).toHaveText('4');
    await page.getByTestId('location-select').selectOption(warehouseId);
    await expect(page.locator('[data-testid="stock-row"][data-sku="COF-250"] [data-testid="stock-qty"]')).toHaveText('6');
    await page.locator('[data-testid="stock-row"][data-sku="COF-250"] button').click();
    await expect(page.getByTestId('movement-row').first()).toBeVisible();
    await shoot(page, 'warehouse-stock');
  } finally {
    await device.stop();
    await shop.close();
  }
});
