import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../../../shared/domain/errors.ts';
import type { Lender } from '../../../../shared/domain/lender.ts';
import type { PartnerNotifier, ReviewRequested } from '../../../../shared/ports/stores.ts';
import { askPartner } from '../../../../functions/review-ask/use-case.ts';
import { sealBorrower } from '../../../../shared/use-cases/personal-data.ts';
import {
  APPLICATION_ID,
  NOW,
  PARTNER_A,
  PROGRAM_ID,
  REVIEW_DEADLINE,
  aBorrower,
  aPartnerDecision,
  anApplicationRecord,
  anAsk,
  defaultLenders,
} from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, seed, seedApplication, type InMemoryStores } from '../../../support/in-memory-stores.ts';

const input = { applicationId: APPLICATION_ID, lenderId: PARTNER_A, round: 1, taskToken: 'token-a' };

function asked(ask = anAsk()): InMemoryStores {
  const stores = createInMemoryStores();
  seed(stores, { lenders: defaultLenders() });
  seedApplication(stores, anApplicationRecord(), [{ ...ask, taskToken: null }]);
  return stores;
}

describe('askPartner', () => {
  it("keeps the task token on the ask, then sends the partner its request with what it needs to decide", async () => {
    const stores = asked();
    let tokenWhenNotified: string | null | undefined;
    const notifier: PartnerNotifier = {
      reviewRequested: async (lender: Lender, request: ReviewRequested) => {
        tokenWhenNotified = (await stores.applications.ask(APPLICATION_ID, PARTNER_A))?.taskToken;
        await stores.notifier.reviewRequested(lender, request);
      },
    };
    await askPartner({ ...stores, notifier }, input);
    expect(tokenWhenNotified).toBe('token-a');
    expect((await stores.applications.ask(APPLICATION_ID, PARTNER_A))?.taskToken).toBe('token-a');
    expect(stores.notifier.sent).toEqual([
      {
        lenderId: PARTNER_A,
        request: {
          applicationId: APPLICATION_ID,
          lenderId: PARTNER_A,
          round: 1,
          askedAmountMinor: 300_000n,
          minimumAmountMinor: 300_000n,
          deadline: REVIEW_DEADLINE,
          application: {
            programId: PROGRAM_ID,
            programVersion: 1,
            borrower: aBorrower(),
            amountMinor: 1_000_000n,
            termMonths: 12,
            repaymentMethod: 'EQUAL_INSTALLMENT',
            annualRate: '0.0725',
            purpose: 'Household appliances',
            leadApproval: { approved: true, reference: 'LEAD-APPROVAL-0001', approvedAt: NOW },
          },
        },
      },
    ]);
    expect(stores.tasks.succeeded).toEqual([]);
  });

  it("sends no personal data, not even sealed: an entitled partner reads it through the API", async () => {
    const stores = createInMemoryStores();
    seed(stores, { lenders: defaultLenders() });
    const borrower = await sealBorrower(stores.personalData, { ...aBorrower(), personalData: { name: '张三', identityNumber: '110105199001011232' } });
    expect(borrower.personalData).toBeDefined();
    const record = anApplicationRecord();
    seedApplication(stores, { ...record, application: { ...record.application, borrower } }, [{ ...anAsk(), taskToken: null }]);
    await askPartner(stores, input);
    expect(stores.notifier.sent.map((s) => s.request.application.borrower)).toEqual([aBorrower()]);
  });

  it('resumes the review at once, without notifying, when the decision arrived before the token was kept', async () => {
    const stores = asked(anAsk({ state: 'APPROVED', decision: aPartnerDecision({ approvedAmountMinor: 300_000n }) }));
    await askPartner(stores, input);
    expect(stores.tasks.succeeded).toEqual([{ taskToken: 'token-a', output: { lenderId: PARTNER_A, decision: 'APPROVE', approvedAmountMinor: 300_000n } }]);
    expect(stores.notifier.sent).toEqual([]);
  });

  it('a retried step keeps the new token and notifies again (partners tell repeats by the delivery id)', async () => {
    const stores = asked();
    await askPartner(stores, input);
    await askPartner(stores, { ...input, taskToken: 'token-a2' });
    expect((await stores.applications.ask(APPLICATION_ID, PARTNER_A))?.taskToken).toBe('token-a2');
    expect(stores.notifier.sent).toHaveLength(2);
  });

  it('fails, notifying nobody, for an ask that does not exist', async () => {
    const stores = asked();
    await expect(askPartner(stores, { ...input, lenderId: 'PARTNER-C' })).rejects.toThrow();
    expect(stores.notifier.sent).toEqual([]);
  });

  it('stops on an invariant when the asked lender is unknown', async () => {
    const stores = asked();
    stores.db.lenders.delete(PARTNER_A);
    await rejectedBy(InvariantViolation, () => askPartner(stores, input));
    expect(stores.notifier.sent).toEqual([]);
  });
});
