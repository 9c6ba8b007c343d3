import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GSI1_KEY, TABLE_KEY, decodeCursor, encodeCursor } from '../../../../../shared/adapters/dynamodb/cursor.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../../support/expect-error.ts';

const text = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the listing cursor', () => {
  it('gives back the key it encoded, and nothing for no key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (pk, sk) => {
        expect(decodeCursor(encodeCursor({ pk, sk }) ?? undefined, { attributes: TABLE_KEY })).toEqual({ pk, sk });
      }),
    );
    expect(encodeCursor(undefined)).toBeNull();
    expect(decodeCursor(undefined, { attributes: TABLE_KEY })).toBeUndefined();
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{pk:').toString('base64url')],
    ['an array', text(['LENDERS', 'A'])],
    ['a number', text(42)],
    ['null', text(null)],
    ['a missing attribute', text({ pk: 'LENDER#A', sk: 'LENDER', gsi1pk: 'LENDERS' })],
    ['an extra attribute', text({ pk: 'LENDER#A', sk: 'LENDER', gsi1pk: 'LENDERS', gsi1sk: 'A', x: '1' })],
    ['a value not a string', text({ pk: 'LENDER#A', sk: 'LENDER', gsi1pk: 'LENDERS', gsi1sk: 7 })],
    ['another partition', text({ pk: 'PROGRAM#P', sk: 'V#000001', gsi1pk: 'PROGRAMS', gsi1sk: 'P#V#000001' })],
    ['too long', 'A'.repeat(2049)],
  ])('refuses %s as a 400 naming cursor', (_, cursor) => {
    const error = thrownBy(ValidationError, () => decodeCursor(cursor, { attributes: GSI1_KEY, where: { gsi1pk: 'LENDERS' } }));
    expect([error.code, error.details]).toEqual(['VALIDATION_FAILED', { path: 'cursor', rule: 'cursor' }]);
  });

  it('checks an attribute by a rule when the partition is not one value', () => {
    const shape = { attributes: TABLE_KEY, where: { pk: (pk: string) => pk.startsWith('LENDER#') } };
    expect(decodeCursor(text({ pk: 'LENDER#A', sk: 'X' }), shape)).toEqual({ pk: 'LENDER#A', sk: 'X' });
    expect(() => decodeCursor(text({ pk: 'LOAN#A', sk: 'X' }), shape)).toThrow(ValidationError);
  });
});
