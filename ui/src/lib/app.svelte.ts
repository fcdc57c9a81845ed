// App-wide state: who is signed in, the sync status, the inbox count, the
// current screen, messages to the person, and where a wedge scan goes.
import { call, on } from './backend';
import { BackendError } from './backend/types';
import type { AppInfo, CodeHit, InboxItemDto, LocationStockDto, ProductDto, SyncStatusDto } from './api';
import { setLocale, type Locale } from './i18n/index.svelte';

export type Screen = 'sell' | 'orders' | 'stock' | 'catalog' | 'manage' | 'inbox' | 'scan';

export const app = $state({
  info: null as AppInfo | null,
  sync: null as SyncStatusDto | null,
  inbox: [] as InboxItemDto[],
  screen: 'catalog' as Screen,
  notice: null as { tone: 'info' | 'error'; text: string } | null,
  /** The product shown in the pop-up (a scan or a pick in the catalog). */
  lookup: null as { product: ProductDto; stock: LocationStockDto[] } | null,
});

/** Screens each role sees, first one is home. */
export const SCREENS_BY_ROLE: Record<string, Screen[]> = {
  owner: ['manage', 'sell', 'orders', 'stock', 'catalog', 'scan', 'inbox'],
  manager: ['manage', 'sell', 'orders', 'stock', 'catalog', 'scan', 'inbox'],
  cashier: ['sell', 'catalog', 'scan', 'inbox'],
  salesperson: ['orders', 'catalog', 'scan', 'inbox'],
  warehouse: ['stock', 'catalog', 'scan', 'inbox'],
};

export function screensFor(role: string | undefined): Screen[] {
  return (role && SCREENS_BY_ROLE[role]) || ['catalog', 'inbox'];
}

export function notify(text: string, tone: 'info' | 'error' = 'info') {
  app.notice = { tone, text };
}

/** Shows an error from a command and returns nothing. */
export function showError(err: unknown) {
  const text = err instanceof BackendError ? err.message : err instanceof Error ? err.message : String(err);
  notify(text, 'error');
}

export async function refreshInfo() {
  const before = app.info?.user?.id ?? null;
  app.info = await call<AppInfo>('app_info');
  if (app.info.locale === 'ar' || app.info.locale === 'en') setLocale(app.info.locale as Locale);
  const screens = screensFor(app.info.user?.role);
  // A new person at the device starts on their role's home screen.
  if ((app.info.user?.id ?? null) !== before || !screens.includes(app.screen)) app.screen = screens[0];
}

export async function refreshInbox() {
  try {
    app.inbox = await call<InboxItemDto[]>('inbox');
  } catch {
    /* not signed in yet */
  }
}

let stopSync: (() => void) | null = null;

export async function watchSync() {
  stopSync?.();
  stopSync = on<SyncStatusDto>('sync-status', (status) => {
    const before = app.sync?.unsentCount ?? 0;
    app.sync = status;
    if (status.unsentCount < before || status.lastErrorCode) void refreshInbox();
  });
  try {
    app.sync = await call<SyncStatusDto>('sync_status');
  } catch {
    /* the badge shows offline until the first event */
  }
}

/** A screen that wants wedge scans registers a handler; the default shows the product. */
let scanHandler: ((found: CodeHit, code: string) => void) | null = null;

export function onScan(handler: (found: CodeHit, code: string) => void): () => void {
  scanHandler = handler;
  return () => {
    if (scanHandler === handler) scanHandler = null;
  };
}

export async function handleScan(code: string) {
  if (!app.info?.user) return;
  try {
    const found = await call<CodeHit>('lookup_code', { code });
    if (scanHandler) scanHandler(found, code);
    else app.lookup = { product: found.product, stock: found.stock };
  } catch (err) {
    if (err instanceof BackendError && err.code === 'not_found') notify(`${code}: ${err.message}`, 'error');
    else showError(err);
  }
}
