import { describe, expect, it } from 'vitest';
import { reviewStepInput } from '../../../../functions/review-steps/schema.ts';

describe('reviewStepInput', () => {
  it('takes each JointReview step with its fields, and the rest of the state input along', () => {
    expect(reviewStepInput.parse({ step: 'ChooseCandidates', applicationId: 'APP-1', round: 2 })).toEqual({ step: 'ChooseCandidates', applicationId: 'APP-1', round: 2 });
    expect(reviewStepInput.parse({ step: 'RecordTimeout', applicationId: 'APP-1', lenderId: 'PARTNER-A', round: 1, error: { Error: 'States.Timeout' } })).toMatchObject({ lenderId: 'PARTNER-A' });
    expect(reviewStepInput.parse({ step: 'Allocate', applicationId: 'APP-1', round: 1 }).step).toBe('Allocate');
  });

  it('refuses an unknown step, a round below 1, and a timeout without its lender', () => {
    expect(reviewStepInput.safeParse({ step: 'Book', applicationId: 'APP-1', round: 1 }).success).toBe(false);
    expect(reviewStepInput.safeParse({ step: 'Allocate', applicationId: 'APP-1', round: 0 }).success).toBe(false);
    expect(reviewStepInput.safeParse({ step: 'RecordTimeout', applicationId: 'APP-1', round: 1 }).success).toBe(false);
  });
});
