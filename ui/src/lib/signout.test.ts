import { describe, expect, it, vi } from 'vitest';
import { BackendError } from './backend/types';
import { trySignOut } from './signout';

describe('trySignOut', () => {
  it('warns with the count when the core reports unsent data, and forces on confirm', async () => {
    const call = vi.fn(async (_name: string, args?: Record<string, unknown>) => {
      if (!args?.force) throw new BackendError('unsent_data', '3 changes not yet sent to the hub');
      return null;
    });
    const first = await trySignOut(call as never, false);
    expect(first).toEqual({ done: false, unsent: 3, message: '3 changes not yet sent to the hub' });
    expect(await trySignOut(call as never, true)).toEqual({ done: true });
    expect(call).toHaveBeenLastCalledWith('sign_out', { force: true });
  });

  it('passes other errors on', async () => {
    const call = vi.fn(async () => {
      throw new BackendError('internal', 'disk full');
    });
    await expect(trySignOut(call as never, false)).rejects.toMatchObject({ code: 'internal' });
  });
});
