import fc from 'fast-check';

/**
 * What a careless or hostile client sends in place of a value: wrong types, numbers past every
 * bound, strings of every shape, unicode that breaks naive code.
 */

/** Strings that have broken parsers, keys, logs and files elsewhere. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\u0007bell',
  '\u202Eevil\u202C', // right-to-left override
  '\u200F\u200E',
  'مرحبا بالعالم', // Arabic (RTL)
  'שלום',
  '贷款-联合',
  '👨‍👩‍👧‍👦',
  '🏦💰',
  'e\u0301\u0301\u0301', // stacked combining marks
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  '\uFEFF',
  '\uFFFD',
  'Ａ１', // full-width
  '１２３',
  '٣٤٥', // Arabic-Indic digits
  'x'.repeat(65),
  'x'.repeat(2049),
  'ü'.repeat(5000),
  '../../etc/passwd',
  '..',
  '.',
  '%00',
  '%',
  '%E0%A4%A',
  '#',
  '?',
  '/',
  '\\',
  'a/b',
  'a#b',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0',
  '00',
  '-1',
  '1.5',
  '1e308',
  '1e30',
  '1E-400',
  '1000000000000000000000000000000', // 10^30
  '9007199254740993',
  '-9223372036854775809',
  '0x1F',
  '1_000',
  ' 100',
  '100 ',
  '+100',
  '9'.repeat(400),
  '2026-02-30',
  '2026-13-01',
  '0000-00-00',
  '1969-12-31',
  '2100-01-01',
  '9999-12-31',
  '2026-11-02T25:00:00Z',
  '2026-11-02T04:00:00+99:00',
  '20261102',
  '2026-Q5',
  '2026-00',
  'SI-',
  'RC-',
  'BK-20261102-PR-zz',
  'CNY',
  'LEAD',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
);

/** A JSON value of the wrong kind or past a bound. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nastyString },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      1e308,
      -1e308,
      5e-324,
      2 ** 53,
      2 ** 53 + 2,
      1e30,
      -2147483649,
      [],
      {},
      [null],
      [[[[[[[[[[[]]]]]]]]]]],
      { a: 1 },
      { __proto__: { polluted: true } },
      Array.from({ length: 200 }, (_, i) => i),
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
);

/**
 * Number tokens JSON.stringify cannot write (-0 as typed, past the float range, more digits than
 * a float holds): a value is put in as a marker and the marker replaced in the text.
 */
export const RAW_NUMBERS: readonly string[] = ['-0', '-0.0', '1e400', '-1e400', '1E-400', '123456789012345678901234567890', '1.0000000000000000000001', '100000000000000000000.5', '0.1e1'];

export const rawNumberMarker = (index: number): string => `__raw_number_${index}__`;

/** Replaces the markers of raw number tokens in a JSON text. */
export function withRawNumbers(text: string): string {
  return text.replace(/"__raw_number_(\d+)__"/g, (_, i: string) => RAW_NUMBERS[Number(i)] ?? '0');
}

/** Bodies that are not a JSON object, or not JSON, or not even UTF-8. */
export const garbageBodies: readonly Buffer[] = [
  Buffer.from(''),
  Buffer.from('   '),
  Buffer.from('null'),
  Buffer.from('true'),
  Buffer.from('[]'),
  Buffer.from('[{}]'),
  Buffer.from('"text"'),
  Buffer.from('0'),
  Buffer.from('{'),
  Buffer.from('{"a":'),
  Buffer.from('{}'),
  Buffer.from('not json'),
  Buffer.from('\u0000'),
  Buffer.from('{"a":1,"a":2}'),
  Buffer.from('{"__proto__":{"admin":true}}'),
  Buffer.from('{"constructor":{"prototype":{"admin":true}}}'),
  Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
  Buffer.from(`{"x":"${'y'.repeat(300 * 1024)}"}`),
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), // byte-order mark
  Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0x80]), Buffer.from('"}')]), // overlong NUL
  Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // encoded surrogate
  Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16
];
