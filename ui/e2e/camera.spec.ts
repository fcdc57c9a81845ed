// The camera screen with Chromium's fake camera playing a barcode photo: the
// frames' luminance goes to the twin's scan_frame, the code is confirmed over
// two frames and the shop's product with that barcode shows in the list; then
// a photo file through decode_image.
import { expect, test } from '@playwright/test';
import { CAMERA_CODE, cameraVideo } from './camera';
import { join } from 'node:path';
import { chromiumLaunch, repoDir } from './paths';
import { api, Twin } from './processes';
import { shoot } from './helpers';

test.use({
  launchOptions: chromiumLaunch([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${cameraVideo}`,
  ]),
  permissions: ['camera'],
});

test('camera scan resolves a product of the shop', async ({ page }) => {
  const twin = new Twin();
  await twin.start();
  try {
    // Set-up through the API: the demo shop, the manager signed in, and a
    // product carrying the code the camera shows.
    await api(twin, 'start_standalone', { demo: true });
    const users = await api<{ id: string; username: string }[]>(twin, 'list_users');
    const max = users.find((user) => user.username === 'max')!;
    await api(twin, 'sign_in', { userId: max.id, pin: '4444' });
    await api(twin, 'create_product', {
      sku: 'OLIVE-1',
      name: 'Olive oil 1 l',
      price: { minor: 899, currency: 'EUR' },
      barcode: CAMERA_CODE,
    });

    await page.goto(twin.url);
    await expect(page.getByTestId('current-user')).toBeVisible();
    await page.getByTestId('nav-scan').click();
    await expect(page.getByTestId('scan-screen')).toBeVisible();
    await page.getByTestId('scan-start').click();
    const item = page.getByTestId('scan-item').first();
    await expect(item).toContainText('Olive oil 1 l', { timeout: 30_000 });
    await expect(item).toContainText(CAMERA_CODE);
    await expect(page.getByTestId('scan-item')).toHaveCount(1);
    await shoot(page, 'camera-scan');

    // The photo fallback: a file with an EAN-8 no product has.
    await page.getByTestId('scan-photo').setInputFiles(join(repoDir, 'crates/scan/tests/fixtures/ean8-1/1.png'));
    await expect(page.getByTestId('scan-item')).toHaveCount(2);
    await expect(page.getByTestId('scan-item').first()).toContainText('EAN_8 48512343');
  } finally {
    await twin.stop();
  }
});
