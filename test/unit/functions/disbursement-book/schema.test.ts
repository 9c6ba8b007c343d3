import { describe, expect, it } from 'vitest';
import { bookFromApplicationInput } from '../../../../functions/disbursement-book/schema.ts';

describe('bookFromApplicationInput', () => {
  it('takes the application and the disbursement the lead reported', () => {
    const input = { applicationId: 'APP-1', disbursementReference: 'DISB-1', disbursementDate: '2025-03-03' };
    expect(bookFromApplicationInput.parse(input)).toEqual(input);
  });

  it('refuses a missing reference, one over 64 characters, and a date that is not a calendar date', () => {
    expect(bookFromApplicationInput.safeParse({ applicationId: 'APP-1', disbursementDate: '2025-03-03' }).success).toBe(false);
    expect(bookFromApplicationInput.safeParse({ applicationId: 'APP-1', disbursementReference: 'D'.repeat(65), disbursementDate: '2025-03-03' }).success).toBe(false);
    expect(bookFromApplicationInput.safeParse({ applicationId: 'APP-1', disbursementReference: 'D', disbursementDate: '2025-02-30' }).success).toBe(false);
  });
});
