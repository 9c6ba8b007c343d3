import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { verifyShardInput } from '../../../../functions/ledger-check-shard/schema.ts';
import { thrownBy } from '../../../support/expect-error.ts';

describe('verifyShardInput', () => {
  it('takes a shard number and the date checked (given, or the scheduler time), and lets the rest of the state through', () => {
    expect(validate(verifyShardInput, { shard: 15, businessDate: '2025-02-28' })).toEqual({ shard: 15, businessDate: '2025-02-28' });
    expect(validate(verifyShardInput, { shard: 0, scheduledTime: '2025-03-01T16:00:00Z', extra: 1 }).shard).toBe(0);
  });

  it.each([{}, { shard: -1 }, { shard: 1.5 }, { shard: '3' }, { shard: 256 }])('refuses %j naming the shard', (input) => {
    expect(thrownBy(ValidationError, () => validate(verifyShardInput, { ...input, businessDate: '2025-02-28' })).details.path).toBe('shard');
  });

  it('refuses a shard without the date its differences are stored under, naming businessDate', () => {
    expect(thrownBy(ValidationError, () => validate(verifyShardInput, { shard: 3 })).details.path).toBe('businessDate');
  });
});
