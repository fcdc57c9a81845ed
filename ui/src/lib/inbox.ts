// What an inbox item says to a person: its kind and the hub's code in words
// of the current language; a code this build does not know shows as it came.
import { t } from './i18n/index.svelte';
import { en, type MessageKey } from './i18n/messages';

function known(key: string): key is MessageKey {
  return key in en;
}

/** The reason behind an item, from its code. */
export function inboxReason(code: string): string {
  const key = `inbox.code.${code}`;
  return known(key) ? t(key) : code;
}

/** What became of the change: refused, kept and flagged, not applied here. */
export function inboxKind(kind: string): string {
  const key = `inbox.kind.${kind}`;
  return known(key) ? t(key) : kind;
}
