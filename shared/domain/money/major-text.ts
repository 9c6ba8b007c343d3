import { describeValue } from './describe-value.ts';

/**
 * An amount written in major units in a file (`1234.56`, `-0.5`, `1,234.56` where a file's
 * format allows thousands separators) to minor units, exactly, on its digits: never through a
 * fraction (up to 15 digits are summed as a safe integer, more go through a string). At most `minorDigits` decimals; no exponent, no `+`, no other text (a comma where
 * separators are not allowed is other text). A `-` is read, so that the caller can say which
 * sign it wants. Hot: one scan of the text and one BigInt.
 */
export interface MajorTextProblem {
  readonly rule: 'decimal-format' | 'minor-digits' | 'thousands-separator';
  readonly message: string;
}

export interface MajorTextOptions {
  /** Commas between groups of three digits of the whole part (`1,234,567.89`). */
  readonly thousands?: boolean;
  /** Named in the message of a fraction too long: " for CNY". */
  readonly unit?: string;
}

const ZERO = 48;
const NINE = 57;
const MINUS = 45;
const DOT = 46;
const COMMA = 44;

/** Digits that a float holds exactly whatever they are (10^15 < 2^53): up to these, the amount is summed as a number. */
const EXACT_DIGITS = 15;

export function parseMajorText(text: string, minorDigits: number, options: MajorTextOptions = {}): bigint | MajorTextProblem {
  const length = text.length;
  const negative = text.charCodeAt(0) === MINUS;
  let i = negative ? 1 : 0;
  const start = i;
  let value = 0;
  let digits = 0;
  let groupDigits = 0;
  let groups = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      value = value * 10 + (c - ZERO);
      digits++;
      groupDigits++;
      continue;
    }
    if (c === COMMA) {
      if (!options.thousands) return notAnAmount(text);
      if (groupDigits === 0 || groupDigits > 3 || (groups > 0 && groupDigits !== 3)) return badGrouping(text);
      groups++;
      groupDigits = 0;
      continue;
    }
    break;
  }
  if (groupDigits === 0 || (groups > 0 && groupDigits !== 3)) return i === start || groupDigits === 0 ? notAnAmount(text) : badGrouping(text);
  let fractionDigits = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== DOT) return notAnAmount(text);
    for (i++; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) return notAnAmount(text);
      value = value * 10 + (c - ZERO);
      digits++;
      fractionDigits++;
    }
    if (fractionDigits === 0) return notAnAmount(text);
    if (fractionDigits > minorDigits) {
      return { rule: 'minor-digits', message: `has more than ${minorDigits} decimal places${options.unit ?? ''} (got ${describeValue(text)})` };
    }
  }
  const pad = minorDigits - fractionDigits;
  const minor = digits + pad <= EXACT_DIGITS ? BigInt(value * 10 ** pad) : BigInt(text.slice(start).replace(/[,.]/g, '') + '0'.repeat(pad));
  return negative ? -minor : minor;
}

function notAnAmount(text: string): MajorTextProblem {
  return { rule: 'decimal-format', message: `must be an amount in major units such as 1234.56 (got ${describeValue(text)})` };
}

function badGrouping(text: string): MajorTextProblem {
  return { rule: 'thousands-separator', message: `must group its digits by three between separators, as 1,234,567.89 (got ${describeValue(text)})` };
}
