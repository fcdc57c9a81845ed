// The current locale (a rune shared by every screen), `t()` and the page's `dir`.
import { ar, en, type MessageKey } from './messages';
import { formatDateTime, formatMoney, formatNumber, formatQty } from './format';

export type Locale = 'en' | 'ar';

const RTL_LOCALES = new Set<Locale>(['ar']);

export const i18n = $state({ locale: 'en' as Locale });

export function isRtl(locale: Locale): boolean {
  return RTL_LOCALES.has(locale);
}

/** Translates a key for a locale, filling `{name}` placeholders. */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const table = locale === 'ar' ? ar : en;
  const text = table[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const shown = { ...params };
  if (typeof shown.n === 'number') shown.n = formatNumber(shown.n, intlLocale());
  return translate(i18n.locale, key, shown);
}

/** The Intl locale: Arabic with Arabic-Indic digits. */
export function intlLocale(): string {
  return i18n.locale === 'ar' ? 'ar-EG' : 'en';
}

export function money(minor: number, currency: string): string {
  return formatMoney(minor, currency, intlLocale());
}

/** A `{minor, currency}` amount in the locale. */
export function amount(value: { minor: number; currency: string } | null | undefined): string {
  return value ? formatMoney(value.minor, value.currency, intlLocale()) : '';
}

export function qty(thousandths: number): string {
  return formatQty(thousandths, intlLocale());
}

export function when(moment: number | string | null | undefined): string {
  return formatDateTime(moment, intlLocale());
}

/** Sets the locale and the document's `lang` and `dir`. */
export function setLocale(locale: Locale) {
  i18n.locale = locale;
  if (typeof document !== 'undefined') {
    document.documentElement.lang = locale;
    document.documentElement.dir = isRtl(locale) ? 'rtl' : 'ltr';
  }
}
