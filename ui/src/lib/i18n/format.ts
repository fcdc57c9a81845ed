// Locale number, money and date formats through Intl; money stays in integer minor units.

const digitsCache = new Map<string, number>();

/** Minor-unit digits of a currency (2 for USD, 3 for KWD, 0 for JPY). */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** `12345` minor units of USD in `en` -> `$123.45`. */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  const value = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
  }
}

/** Quantities travel as thousandths; shown without trailing zeros. */
export function formatQty(thousandths: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(thousandths / 1000);
}

export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** A moment (ms since the epoch, or an ISO string) in the locale's short form. */
export function formatDateTime(moment: number | string | null | undefined, locale: string): string {
  if (moment === null || moment === undefined || moment === '') return '';
  const date = new Date(moment);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(date);
}

/** Parses what a person typed ("12.5", "12,50", Arabic-Indic digits) into minor units, or null. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const western = text
    .trim()
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u066b,]/g, '.')
    .replace(/\s/g, '');
  const match = /^(\d*)(?:\.(\d*))?$/.exec(western);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1] || '0') * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** Parses a quantity into thousandths, or null. */
export function parseQty(text: string): number | null {
  const minor = parseMoney(text, 'BHD'); // three decimals
  return minor;
}
