import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { recordReportInput } from '../../../../functions/ledger-check-report/schema.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const shardResult = { shard: 0, loansChecked: 1, entriesChecked: 1, differenceCount: 0 };

describe('recordReportInput', () => {
  it('takes a business date or the scheduler time, with the shard results', () => {
    expect(validate(recordReportInput, { businessDate: '2025-02-28', shards: [shardResult] }).businessDate).toBe('2025-02-28');
    expect(validate(recordReportInput, { scheduledTime: '2025-03-01T16:00:00Z', shards: [] }).scheduledTime).toBe('2025-03-01T16:00:00Z');
    expect(validate(recordReportInput, { scheduledTime: '2025-03-01T16:00:00+08:00', shards: [], extra: 1 }).shards).toEqual([]);
  });

  it('requires one of them, naming businessDate', () => {
    const error = thrownBy(ValidationError, () => validate(recordReportInput, { shards: [] }));
    expect(error.details.path).toBe('businessDate');
    expect(error.message).toBe('businessDate: businessDate or scheduledTime is required');
  });

  it('refuses a malformed shard result or date, naming the field', () => {
    expect(thrownBy(ValidationError, () => validate(recordReportInput, { businessDate: '2025-02-30', shards: [] })).details.path).toBe('businessDate');
    expect(thrownBy(ValidationError, () => validate(recordReportInput, { businessDate: '2025-02-28', shards: [{ ...shardResult, loansChecked: '1' }] })).details.path).toBe('shards.0.loansChecked');
    expect(thrownBy(ValidationError, () => validate(recordReportInput, { businessDate: '2025-02-28', shards: [{ ...shardResult, differenceCount: 1.5 }] })).details.path).toBe('shards.0.differenceCount');
  });
});
