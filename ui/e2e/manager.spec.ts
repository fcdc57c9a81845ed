// The manager (shop owner): enrol against the hub, dashboard, products with a
// barcode and a photo, users, locations; keep working while the hub is down;
// after it is back, a second device of the shop sees everything, photos too;
// a one-time code (QR and text) enrols a third device as the new cashier; a
// cashier made on the hub shows up in the app and gets a PIN there.
import { join } from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import { repoDir } from './paths';
import { api, Hub, OWNER, synced, Twin } from './processes';
import { enrol, shoot, waitOfflineWithUnsent, waitSynced, wedgeScan } from './helpers';

/** The photo in `img` really decoded in the browser. */
async function decoded(img: Locator) {
  await expect(img).toBeVisible();
  await expect.poll(() => img.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
}

test('manager: products, users and locations, offline and back', async ({ page }) => {
  const hub = new Hub();
  await hub.start();
  // Hana's account is made on the hub (`add-user`); it reaches the shop's
  // devices through sync.
  hub.addUser('hana', 'cashier', 'hana-password-1');
  const device = new Twin();
  await device.start();
  const second = new Twin();
  const third = new Twin();
  try {
    await page.goto(device.url);
    await enrol(page, hub.url, OWNER.username, OWNER.password, '1234');
    await expect(page.getByTestId('manager-screen')).toBeVisible();
    await waitSynced(page);
    await shoot(page, 'manager-dashboard');

    // A product with a barcode.
    await page.getByTestId('manage-tab-products').click();
    await page.getByTestId('product-name').fill('Mint tea 20 bags');
    await page.getByTestId('product-sku').fill('TEA-MNT');
    await page.getByTestId('product-price').fill('3.25');
    await page.getByTestId('product-barcode').fill('4006381333931');
    await page.getByTestId('product-save').click();
    await expect(page.getByTestId('notice')).toContainText('Mint tea');
    // Its photo from a file: the editor shows the 1024 px version, the list
    // the 256 px one.
    await page
      .getByTestId('product-photo-file')
      .setInputFiles(join(repoDir, 'crates/photos/tests/fixtures/orientation/O_Landscape_1.jpg'));
    await decoded(page.getByTestId('product-photo').getByTestId('photo-1024'));
    await page.getByTestId('product-search').fill('mint');
    await expect(page.getByTestId('product-row')).toHaveCount(1);
    await decoded(page.getByTestId('product-row').getByTestId('photo-256'));
    await shoot(page, 'manager-products');
    await page.getByTestId('product-new').click();

    // A user and a location.
    await page.getByTestId('manage-tab-users').click();
    await page.getByTestId('new-user-name').fill('nina');
    await page.getByTestId('new-user-role').selectOption('cashier');
    await page.getByTestId('new-user-pin').fill('5555');
    await page.getByTestId('new-user-save').click();
    await expect(page.getByTestId('user-row').filter({ hasText: 'nina' })).toHaveCount(1);
    // Hana came from the hub; the owner gives her a PIN for this device.
    await expect(page.getByTestId('user-row').filter({ hasText: 'hana' })).toHaveCount(1);
    await page.getByTestId('user-pin-hana').fill('4321');
    await page.getByTestId('user-pin-save-hana').click();
    await expect(page.getByTestId('notice')).toContainText('hana');
    // Switched off and on again from the same row.
    await page.getByTestId('user-active-hana').click();
    await expect(page.getByTestId('user-active-hana')).toHaveText('Switch on');
    await page.getByTestId('user-active-hana').click();
    await expect(page.getByTestId('user-active-hana')).toHaveText('Switch off');
    await shoot(page, 'manager-users');
    await page.getByTestId('manage-tab-locations').click();
    await page.getByTestId('new-location-name').fill('Back room');
    await page.getByTestId('new-location-kind').selectOption('warehouse');
    await page.getByTestId('new-location-save').click();
    await expect(page.getByTestId('location-row').filter({ hasText: 'Back room' })).toHaveCount(1);

    // The hub goes away; work goes on and waits in the outbox.
    await hub.stop();
    await page.getByTestId('manage-tab-products').click();
    await page.getByTestId('product-name').fill('Chamomile tea 20 bags');
    await page.getByTestId('product-sku').fill('TEA-CHM');
    await page.getByTestId('product-price').fill('2.95');
    await page.getByTestId('product-barcode').fill('96385074');
    await page.getByTestId('product-save').click();
    await expect(page.getByTestId('notice')).toContainText('Chamomile');
    await page.getByTestId('sync-badge').click();
    await waitOfflineWithUnsent(page);
    await shoot(page, 'manager-offline');

    // Back online: the outbox drains by itself.
    await hub.start();
    await page.getByTestId('sync-badge').click();
    await waitSynced(page);

    // A second device of the shop sees both products, and scans one.
    await second.start();
    await api(second, 'enrol', { hubUrl: hub.url, username: OWNER.username, password: OWNER.password, pin: '1234' });
    await synced(second);
    await page.goto(second.url);
    await page.getByTestId('nav-catalog').click();
    await page.getByTestId('product-search').fill('tea');
    await expect(page.getByTestId('product-row')).toHaveCount(2);
    // The photo came through the hub: the thumbnail in the list, the large
    // one on the product's detail (fetched when opened).
    const mint = page.getByTestId('product-row').filter({ hasText: 'Mint tea' });
    await decoded(mint.getByTestId('photo-256'));
    await expect(page.getByTestId('product-row').filter({ hasText: 'Chamomile' }).getByTestId('photo-placeholder-256')).toBeVisible();
    await mint.click();
    await decoded(page.getByTestId('lookup-result').getByTestId('photo-1024'));
    await page.getByTestId('lookup-result').getByRole('button').last().click();
    await page.getByTestId('product-search').blur();
    const onHub = await api<{ name: string }[]>(second, 'list_locations');
    expect(onHub.map((loc) => loc.name)).toContain('Back room');
    const users = await api<{ username: string }[]>(second, 'list_users');
    expect(users.map((user) => user.username)).toContain('nina');
    await wedgeScan(page, '96385074');
    await expect(page.getByTestId('lookup-name')).toHaveText('Chamomile tea 20 bags');
    await page.getByTestId('lookup-result').getByRole('button').last().click();

    // The second device is made the back room's: the hub records it, and
    // the device takes a new snapshot of its scopes and settles.
    const backRoom = (await api<{ id: string; name: string }[]>(second, 'list_locations')).find(
      (loc) => loc.name === 'Back room',
    )!;
    await page.getByTestId('nav-manage').click();
    await page.getByTestId('manage-tab-locations').click();
    await page.getByTestId('device-location').selectOption({ label: 'Back room' });
    await expect(page.getByTestId('notice')).toContainText('Saved');
    await expect(page.getByTestId('device-location')).toHaveValue(backRoom.id);
    const info = await api<{ locationId: string | null }>(second, 'app_info');
    expect(info.locationId).toBe(backRoom.id);
    await synced(second);

    // A code for Nina, for the back room: shown as a QR code and as text.
    await page.getByTestId('manage-tab-users').click();
    await page.getByTestId('enrol-device-nina').click();
    await page.getByTestId('enrol-location').selectOption({ label: 'Back room' });
    await page.getByTestId('enrol-make-code').click();
    await decoded(page.getByTestId('enrol-qr'));
    await expect(page.getByTestId('enrol-code-text')).toHaveText(/^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$/);
    const link = (await page.getByTestId('enrol-link').textContent())!;
    await shoot(page, 'manager-enrol-code');

    // A new device takes the link (what its camera reads from the QR code):
    // the hub's address and the code fill in, and it enrols as Nina.
    await third.start();
    await page.goto(third.url);
    await page.getByRole('button', { name: 'Use an enrolment code' }).click();
    await page.getByTestId('enrol-code').fill(link);
    await expect(page.getByTestId('enrol-hub')).toHaveValue(hub.url);
    await expect(page.getByTestId('enrol-code')).not.toHaveValue(link);
    await page.getByTestId('enrol-pin').fill('5678');
    await page.getByTestId('enrol-submit').click();
    await expect(page.getByTestId('current-user')).toContainText('nina');
    const ninas = await api<{ user: { username: string; role: string }; locationId: string | null }>(third, 'app_info');
    expect(ninas.user.role).toBe('cashier');
    expect(ninas.locationId).toBe(backRoom.id);

    // Hana signs in on the first device with the PIN the owner gave her.
    const listed = await api<{ id: string; username: string }[]>(device, 'list_users');
    const hanaId = listed.find((user) => user.username === 'hana')!.id;
    const hana = await api<{ username: string; role: string }>(device, 'sign_in', { userId: hanaId, pin: '4321' });
    expect(hana.role).toBe('cashier');
  } finally {
    await third.stop();
    await second.stop();
    await device.stop();
    await hub.stop();
  }
});
