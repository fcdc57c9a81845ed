// Signing out: the core refuses with `unsent_data` while the outbox holds
// work; the UI then warns and only forces after the person confirms.
import { BackendError } from './backend/types';

export type SignOutResult = { done: true } | { done: false; unsent: number; message: string };

type Call = <T>(name: string, args?: Record<string, unknown>) => Promise<T>;

export async function trySignOut(call: Call, force: boolean): Promise<SignOutResult> {
  try {
    await call('sign_out', { force });
    return { done: true };
  } catch (err) {
    if (err instanceof BackendError && err.code === 'unsent_data') {
      return { done: false, unsent: unsentCount(err.message), message: err.message };
    }
    throw err;
  }
}

/** The count the core puts in an `unsent_data` message ("3 ops not sent"). */
export function unsentCount(message: string): number {
  const match = /(\d+)/.exec(message);
  return match ? Number(match[1]) : 0;
}
