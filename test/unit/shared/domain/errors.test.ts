import { describe, expect, it } from 'vitest';
import { DomainError, InvariantViolation, RuleViolation, ValidationError, invariant } from '../../../../shared/domain/errors.ts';
import { thrownBy } from '../../../support/expect-error.ts';

describe('named errors', () => {
  it('a ValidationError has the code VALIDATION_FAILED and carries the path', () => {
    const error = new ValidationError('principalMinor must be positive', { path: 'principalMinor', rule: 'positive' });
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({ path: 'principalMinor', rule: 'positive' });
  });

  it('a RuleViolation carries its own code', () => {
    const error = new RuleViolation('PARTNER_MIN_SHARE', 'too small', { minimumBps: 3000 });
    expect(error.name).toBe('RuleViolation');
    expect(error.code).toBe('PARTNER_MIN_SHARE');
    expect(error.details).toEqual({ minimumBps: 3000 });
    expect(new RuleViolation('X', 'y').details).toEqual({});
  });

  it('invariant passes silently and throws INVARIANT_VIOLATED otherwise', () => {
    expect(() => invariant(1 === 1, 'holds')).not.toThrow();
    const error = thrownBy(InvariantViolation, () => invariant(false, 'broken', { entryId: 'E1' }));
    expect(error.name).toBe('InvariantViolation');
    expect(error.code).toBe('INVARIANT_VIOLATED');
    expect(error.message).toBe('broken');
    expect(error.details).toEqual({ entryId: 'E1' });
  });
});
