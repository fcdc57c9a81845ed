import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from './i18n/index.svelte';
import { ar } from './i18n/messages';
import { inboxKind, inboxReason } from './inbox';

// Every code the hub sends today: `RejectCode` and `FlagCode` in
// crates/protocol/src/sync.rs, and the reasons it rejects an order for
// (`OrderRejectReason` in crates/protocol/src/ops.rs, or `rejected`).
const HUB_CODES = [
  'rejected',
  'unknown_customer',
  'customer_inactive',
  'wrong_currency',
  'unknown_product',
  'product_inactive',
  'unknown_op_type',
  'invalid_payload',
  'role_not_allowed',
  'wrong_tenant',
  'user_inactive',
  'op_id_conflict',
  'duplicate_code',
  'username_taken',
  'invalid_shape',
  'clock_clamped',
  'unrecognised',
];

describe('inbox words', () => {
  afterEach(() => setLocale('en'));

  it('says every hub code in words, in both languages', () => {
    for (const code of HUB_CODES) expect(`inbox.code.${code}` in ar).toBe(true);
    for (const locale of ['en', 'ar'] as const) {
      setLocale(locale);
      const reasons = HUB_CODES.map(inboxReason);
      for (const [index, reason] of reasons.entries()) expect(reason).not.toBe(HUB_CODES[index]);
      expect(new Set(reasons).size).toBe(HUB_CODES.length);
    }
    setLocale('en');
    expect(inboxReason('username_taken')).toBe('Another account already has this username.');
    expect(inboxKind('flagged')).toBe('Kept, and flagged for a manager');
  });

  it('shows a code or kind it does not know as it came', () => {
    expect(inboxReason('no_such_code')).toBe('no_such_code');
    expect(inboxKind('postponed')).toBe('postponed');
  });
});
