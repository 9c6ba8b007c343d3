import { describe, expect, it } from 'vitest';
import { RuleViolation } from '../../../../shared/domain/errors.ts';
import { QUOTA_SHARDS } from '../../../../shared/domain/exposure.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { bookLoanRequest } from '../../../../shared/contracts/schemas.ts';
import { bookLoan } from '../../../../functions/loans/use-case.ts';
import { LEAD_ID, NOW, PROGRAM_ID, SHARD_ALLOTMENT_MINOR, aLeadLender, aParticipant, aPartnerLender, aProgram, aQuotaShard, anIndiaProgramTerms, bookLoanBody } from '../../../support/builders.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor, seed } from '../../../support/in-memory-stores.ts';

/** IN-2025 (every lender at least 10%): the lead and nine partners at 10% each. */
const PARTNERS = Array.from({ length: 9 }, (_, i) => `PARTNER-${String(i + 1).padStart(2, '0')}`);
const LENDERS = [LEAD_ID, ...PARTNERS];

function tenLenderStores(roomPerShardMinor: bigint) {
  const stores = createInMemoryStores();
  const program = aProgram({
    ...anIndiaProgramTerms({ participants: [aParticipant(LEAD_ID, 'LEAD', 1000, { priority: 0 }), ...PARTNERS.map((id, i) => aParticipant(id, 'PARTNER', 1000, { priority: i + 1 }))] }),
    programId: PROGRAM_ID,
  });
  seed(stores, {
    lenders: [aLeadLender({ currency: 'INR' }), ...PARTNERS.map((id) => aPartnerLender(id, { currency: 'INR' }))],
    programs: [program],
    // Every shard of every lender's quota has only `roomPerShardMinor` left.
    quotas: LENDERS.flatMap((lenderId) =>
      Array.from({ length: QUOTA_SHARDS }, (_, shard) => aQuotaShard({ lenderId, shard, committedMinor: SHARD_ALLOTMENT_MINOR - roomPerShardMinor, committedByLeadMinor: { [LEAD_ID]: SHARD_ALLOTMENT_MINOR - roomPerShardMinor } })),
    ),
  });
  return stores;
}

const body = bookLoanBody({
  currency: 'INR',
  borrower: { borrowerId: 'BRW-0001', type: 'INDIVIDUAL', region: 'IN-MH' },
  fundingPlan: LENDERS.map((lenderId) => ({ lenderId, amountMinor: '100000' })),
});

describe('booking a loan whose one transaction would pass 100 items', () => {
  it('books ten lenders whose parts each fit one quota shard (37 items)', async () => {
    const stores = tenLenderStores(100_000n);
    await bookLoan(stores, validate(bookLoanRequest, body), sealFor('bookLoan#lead#k-1'), NOW);
    expect(stores.db.transactions).toBe(1);
    expect(stores.db.loans.get(body.loanId as string)?.fundingPlan).toHaveLength(10);
  });

  it('refuses ten lenders whose parts span all eight quota shards (107 items), naming them, and writes nothing', async () => {
    const stores = tenLenderStores(12_500n);
    const error = await rejectedBy(RuleViolation, () => bookLoan(stores, validate(bookLoanRequest, body), sealFor('bookLoan#lead#k-1'), NOW));
    expect(error.code).toBe('BOOKING_TOO_LARGE');
    expect(error.details).toEqual({ path: 'fundingPlan', rule: 'BOOKING_TOO_LARGE', lenders: 10, quotaShards: 80, items: 107, maxItems: 100, maxLenders: 22 });
    expect(stores.db.transactions).toBe(0);
    expect(stores.db.loans.size).toBe(0);
  });
});
