// A shop for the persona flows: a hub, its owner's device enrolled on it,
// products with barcodes made there and synced, and hub users per role.
import { api, Hub, OWNER, synced, Twin } from './processes';

export interface ShopProduct {
  id: string;
  sku: string;
  name: string;
  barcode: string;
}

export const PRODUCTS = [
  { sku: 'COF-250', name: 'Ground coffee 250 g', minor: 449, barcode: '4006381333931' },
  { sku: 'TEA-GRN', name: 'Green tea 20 bags', minor: 299, barcode: '96385074' },
  { sku: 'MLK-1L', name: 'Whole milk 1 l', minor: 119, barcode: '5901234123457' },
];

export async function openShop(roles: [string, string][] = []) {
  const hub = new Hub();
  await hub.start();
  for (const [username, role] of roles) hub.addUser(username, role, `${username}-password-1`);
  const owner = new Twin();
  await owner.start();
  const info = await api<{ baseCurrency: string }>(owner, 'enrol', {
    hubUrl: hub.url,
    username: OWNER.username,
    password: OWNER.password,
    pin: '1234',
  });
  const products: ShopProduct[] = [];
  for (const product of PRODUCTS) {
    const created = await api<{ id: string }>(owner, 'create_product', {
      sku: product.sku,
      name: product.name,
      price: { minor: product.minor, currency: info.baseCurrency },
      taxRateBp: 0,
      barcode: product.barcode,
    });
    products.push({ id: created.id, sku: product.sku, name: product.name, barcode: product.barcode });
  }
  const locations: Record<string, string> = {};
  for (const [name, kind] of [
    ['Main warehouse', 'warehouse'],
    ['Shop floor', 'store'],
  ]) {
    locations[name] = (await api<{ id: string }>(owner, 'create_location', { name, kind })).id;
  }
  await synced(owner);
  return {
    locations,
    hub,
    owner,
    products,
    currency: info.baseCurrency,
    async close() {
      await owner.stop();
      await hub.stop();
    },
  };
}
