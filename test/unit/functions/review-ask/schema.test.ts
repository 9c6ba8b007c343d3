import { describe, expect, it } from 'vitest';
import { askPartnerInput } from '../../../../functions/review-ask/schema.ts';

describe('askPartnerInput', () => {
  it('takes one partner of one round and the token to resume, with the rest of the map item along', () => {
    expect(askPartnerInput.parse({ applicationId: 'APP-1', lenderId: 'PARTNER-A', round: 1, taskToken: 't', timeoutSeconds: 60 })).toEqual({
      applicationId: 'APP-1',
      lenderId: 'PARTNER-A',
      round: 1,
      taskToken: 't',
      timeoutSeconds: 60,
    });
  });

  it('refuses an item without its token or its lender', () => {
    expect(askPartnerInput.safeParse({ applicationId: 'APP-1', lenderId: 'PARTNER-A', round: 1 }).success).toBe(false);
    expect(askPartnerInput.safeParse({ applicationId: 'APP-1', round: 1, taskToken: 't' }).success).toBe(false);
  });
});
