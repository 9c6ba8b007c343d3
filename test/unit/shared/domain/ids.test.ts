import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { ID_PATTERN, assertId } from '../../../../shared/domain/ids.ts';
import { thrownBy } from '../../../support/expect-error.ts';

describe('assertId', () => {
  it.each(['A', 'LN-2025-000001', 'bank_01.cn:sz', '9', 'a'.repeat(64)])('accepts %s', (id) => {
    expect(assertId(id, 'loanId')).toBe(id);
  });

  it.each(['', '-LEAD', '_x', 'LOAN#1', 'a b', 'a'.repeat(65), '贷款1'])('refuses %j', (id) => {
    const error = thrownBy(ValidationError, () => assertId(id, 'loanId'));
    expect(error.details).toEqual({ path: 'loanId', rule: 'id-format' });
    expect(error.message).toContain('loanId must be 1-64');
  });

  it('reserves # for keys', () => {
    expect(ID_PATTERN.test('A#B')).toBe(false);
  });
});
