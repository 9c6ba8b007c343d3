import { describe, expect, it } from 'vitest';
import { disbursementStepInput } from '../../../../functions/disbursement-steps/schema.ts';

describe('disbursementStepInput', () => {
  it('takes each Disbursement step with its fields', () => {
    expect(disbursementStepInput.parse({ step: 'ReserveQuota', applicationId: 'APP-1' })).toEqual({ step: 'ReserveQuota', applicationId: 'APP-1' });
    expect(disbursementStepInput.parse({ step: 'AwaitDisbursement', applicationId: 'APP-1', taskToken: 't' })).toMatchObject({ taskToken: 't' });
    expect(disbursementStepInput.parse({ step: 'Release', applicationId: 'APP-1', cause: 'States.Timeout' })).toMatchObject({ cause: 'States.Timeout' });
  });

  it('refuses a wait without its token and a release without its cause', () => {
    expect(disbursementStepInput.safeParse({ step: 'AwaitDisbursement', applicationId: 'APP-1' }).success).toBe(false);
    expect(disbursementStepInput.safeParse({ step: 'Release', applicationId: 'APP-1', cause: '' }).success).toBe(false);
  });
});
