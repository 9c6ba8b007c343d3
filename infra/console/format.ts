import { CURRENCIES, formatMajor, isCurrencyCode } from '../../shared/domain/money/amount.ts';

/**
 * How the console shows amounts and times. Amounts arrive as strings of minor units (fen) and
 * are shown exactly, in major units with thousands grouped; they never pass through a float.
 * Pure: the unit tests read it too.
 */

/** `"123456789"` CNY → `"1,234,567.89"`. */
export function money(minorText: string, currency: string): string {
  if (!/^-?\d+$/.test(minorText) || !isCurrencyCode(currency)) return `${minorText} ${currency}`;
  const major = formatMajor(BigInt(minorText), currency);
  const [whole = '', fraction] = major.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign === '' ? whole : whole.slice(1);
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/**
 * An amount of minor units as a number of major units, for drawing a chart only (a chart's axis
 * is a float; the tables show the exact amounts).
 */
export function chartValue(minorText: string, currency: string): number {
  const digits = isCurrencyCode(currency) ? CURRENCIES[currency].minorDigits : 0;
  return Number(BigInt(minorText)) / 10 ** digits;
}

/** An instant as the reader's wall clock shows it, to the second: `2026-12-01 10:00:00`. */
export function instant(iso: string | null): string {
  if (iso === null) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
