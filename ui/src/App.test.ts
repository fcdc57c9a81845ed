import { afterEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import App from './App.svelte';
import { setBackend } from './lib/backend';
import { BackendError, type Backend } from './lib/backend/types';

// The shell against a fake backend that keeps the calls it got.
function fakeBackend(outboxLength: number) {
  const calls: [string, Record<string, unknown>][] = [];
  const users = [{ id: 'u-cara', username: 'cara', displayName: 'Cara Cashier', role: 'cashier', active: true }];
  let info = { mode: 'unset', deviceId: 'd', docPrefix: 'D01', baseCurrency: 'USD', user: null as unknown, hubUrl: null, locale: 'en', version: '0' };
  const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
    app_info: () => info,
    start_standalone: () => (info = { ...info, mode: 'standalone' }),
    list_users: () => users,
    sign_in: (args) => {
      if (args.pin !== '1111') throw new BackendError('wrong_pin', 'wrong PIN');
      info = { ...info, user: users[0] };
      return users[0];
    },
    sign_out: (args) => {
      if (!args.force && outboxLength > 0) throw new BackendError('unsent_data', `${outboxLength} changes are not sent yet`);
      info = { ...info, user: null };
      return null;
    },
    sync_status: () => ({ phase: 'standalone', online: false, unsentCount: outboxLength, lastSyncMs: null, failures: 0, pagesApplied: 0, lastErrorCode: null }),
    inbox: () => [],
    search_products: () => ({ total: 0, offset: 0, products: [] }),
    quote_sale: () => null,
  };
  const backend: Backend = {
    async call<T>(name: string, args: Record<string, unknown> = {}) {
      calls.push([name, args]);
      const handler = handlers[name];
      if (!handler) throw new BackendError('unknown_command', name);
      return handler(args) as T;
    },
    async scanFrame<T>() {
      return null as T;
    },
    async decodeImage<T>() {
      return null as T;
    },
    async setProductPhoto<T>() {
      return null as T;
    },
    async productPhoto(): Promise<Uint8Array> {
      throw new BackendError('photo_not_here', 'not here yet');
    },
    on: () => () => {},
  };
  return { backend, calls };
}

async function settle() {
  for (let idx = 0; idx < 10; idx++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
}

const byTestId = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

function press(id: string) {
  const element = byTestId(id);
  if (!element) throw new Error(`no ${id}`);
  element.click();
  flushSync();
}

describe('App shell', () => {
  let app: ReturnType<typeof mount> | null = null;
  afterEach(() => {
    if (app) unmount(app);
    app = null;
    document.body.innerHTML = '';
  });

  it('starts standalone, refuses a wrong PIN, signs in, and warns before signing out with unsent work', async () => {
    const { backend, calls } = fakeBackend(3);
    setBackend(backend);
    app = mount(App, { target: document.body });
    await settle();
    expect(byTestId('start-screen')).not.toBeNull();

    press('standalone-start');
    await settle();
    expect(calls).toContainEqual(['start_standalone', { demo: true }]);
    press('user-cara');
    for (const digit of '9999') press(`pin-key-${digit}`);
    press('pin-ok');
    await settle();
    expect(byTestId('pin-error')?.textContent).toBe('Wrong PIN');

    for (const digit of '1111') press(`pin-key-${digit}`);
    press('pin-ok');
    await settle();
    expect(calls).toContainEqual(['sign_in', { userId: 'u-cara', pin: '1111' }]);
    expect(byTestId('current-user')?.textContent).toBe('Cara Cashier');
    expect(byTestId('pos-screen')).not.toBeNull();

    press('sign-out');
    await settle();
    expect(byTestId('signout-warning')?.textContent).toContain('3 changes have not reached the hub');
    expect(byTestId('current-user')).not.toBeNull();
    press('signout-force');
    await settle();
    expect(calls.filter(([name]) => name === 'sign_out').map(([, args]) => args)).toEqual([{ force: false }, { force: true }]);
    expect(byTestId('current-user')).toBeNull();
  });
});
