import { describe, expect, it } from 'vitest';
import { RuleViolation, ValidationError } from '../../../../shared/domain/errors.ts';
import { imbalances } from '../../../../shared/domain/ledger.ts';
import { LoanAccount, foldRepayments, type RepaymentEvent } from '../../../../shared/domain/loan-account.ts';
import type { TransferEvent, WriteOffEvent } from '../../../../shared/domain/loan-events.ts';
import { RULES } from '../../../../shared/domain/regulatory-profile.ts';
import { LEAD_ID, PARTNER_A, PARTNER_B, aLoan } from '../../../support/builders.ts';
import { thrownBy } from '../../../support/expect-error.ts';

/*
 * The test loan (aLoan): 1,000,000 fen funded 400,000 (LEAD-BANK) / 300,000 (PARTNER-A) / 300,000
 * (PARTNER-B) under CN-2021 (a partner keeps at least 30% of the outstanding), losses PRO_RATA, no
 * guarantor. Instalment 1 is 86,642 on 2025-04-01: 80,600 of principal, split 32,240 / 24,180 / 24,180.
 */

const loan = aLoan();

function transfer(fromLenderId: string, toLenderId: string, principalMinor: bigint, seq = 1): TransferEvent {
  return { type: 'TRANSFER', eventId: `T-${seq}`, valueDate: '2025-03-15', seq, fromLenderId, toLenderId, principalMinor };
}

function writeOff(seq: number, valueDate = '2025-06-01'): WriteOffEvent {
  return { type: 'WRITE_OFF', eventId: `W-${seq}`, valueDate, seq };
}

function payment(repaymentId: string, valueDate: string, amountMinor: bigint, seq: number): RepaymentEvent {
  return { repaymentId, valueDate, amountMinor, kind: 'REGULAR', seq };
}

describe('LoanEvents: transfer', () => {
  it('sells principal at par: the seller is paid through clearing, the buyer holds the principal', () => {
    const account = new LoanAccount(loan);
    const outcome = account.applyEvent(transfer(LEAD_ID, PARTNER_A, 100_000n));
    expect(outcome.legs).toEqual([
      { lenderId: LEAD_ID, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: 100_000n, counterparty: PARTNER_A },
      { lenderId: LEAD_ID, account: 'PRINCIPAL_RECEIVABLE', side: 'CREDIT', amountMinor: 100_000n, counterparty: null },
      { lenderId: PARTNER_A, account: 'PRINCIPAL_RECEIVABLE', side: 'DEBIT', amountMinor: 100_000n, counterparty: null },
      { lenderId: PARTNER_A, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: 100_000n, counterparty: LEAD_ID },
    ]);
    expect(imbalances(outcome)).toEqual([]);
    expect([...account.summary('2025-03-15').outstandingByLender]).toEqual([
      [LEAD_ID, 300_000n],
      [PARTNER_A, 400_000n],
      [PARTNER_B, 300_000n],
    ]);
  });

  it('moves later payments with the principal it sold', () => {
    const { outcomes } = foldRepayments(loan, [payment('R-1', '2025-04-01', 86_642n, 2)], [transfer(LEAD_ID, PARTNER_A, 100_000n)]);
    const principal = [...outcomes.get('R-1')!.split.perLender].map(([id, parts]) => [id, parts.principalMinor]);
    // 80,600 split 30/40/30: each partner's share rounded, the lead takes the rest.
    expect(principal).toEqual([
      [LEAD_ID, 24_180n],
      [PARTNER_A, 32_240n],
      [PARTNER_B, 24_180n],
    ]);
  });

  it("under LENDER_RATE refuses the lead's sale of its whole share: it is paid the spread on every payment and keeps a share; one fen less is sold", () => {
    const base = aLoan();
    const rated = { ...base, terms: { ...base.terms, split: { ...base.terms.split, interestBasis: 'LENDER_RATE' as const } } };
    const refusal = thrownBy(RuleViolation, () => new LoanAccount(rated).applyEvent(transfer(LEAD_ID, PARTNER_A, 400_000n)));
    expect([refusal.code, refusal.message, refusal.details]).toEqual([
      'LEAD_KEEPS_SHARE',
      `under LENDER_RATE the lead ${LEAD_ID} earns the spread on loan ${base.loanId} and keeps a share of it: it can sell at most 399999`,
      { path: 'principalMinor', rule: 'LEAD_KEEPS_SHARE', holdingMinor: '400000' },
    ]);
    const account = new LoanAccount(rated);
    account.applyEvent(transfer(LEAD_ID, PARTNER_A, 399_999n));
    expect([...account.summary('2025-03-15').outstandingByLender]).toEqual([
      [LEAD_ID, 1n],
      [PARTNER_A, 699_999n],
      [PARTNER_B, 300_000n],
    ]);
    // Under CONTRACT_RATE the lead earns no spread: it may sell all it holds, the profile permitting.
    expect(() => new LoanAccount(loan).applyEvent(transfer(LEAD_ID, PARTNER_A, 400_000n))).not.toThrow(RuleViolation);
  });

  it('refuses a sale to the seller itself, by a lender holding nothing, or above the holding', () => {
    expect(thrownBy(ValidationError, () => new LoanAccount(loan).applyEvent(transfer(LEAD_ID, LEAD_ID, 1n))).details).toMatchObject({ path: 'toLenderId' });
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(transfer('NOBODY', LEAD_ID, 1n))).code).toBe('NOT_A_HOLDER');
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(transfer(PARTNER_A, LEAD_ID, 300_001n))).code).toBe('ABOVE_HOLDING');
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(transfer(PARTNER_A, LEAD_ID, 0n))).code).toBe('ABOVE_HOLDING');
  });

  it('refuses a sale that leaves a partner below the profile minimum, or a buyer that does not fund the program', () => {
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(transfer(PARTNER_A, PARTNER_B, 1n))).code).toBe(RULES.partnerMinShare);
    expect(thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent(transfer(LEAD_ID, 'NOBODY', 1n))).code).toBe('NOT_A_FUNDING_PARTICIPANT');
  });
});

describe('LoanEvents: compensation and write-off', () => {
  it('refuses a compensation when the program has no guarantor', () => {
    const error = thrownBy(RuleViolation, () => new LoanAccount(loan).applyEvent({ type: 'COMPENSATION', eventId: 'C-1', valueDate: '2025-06-01', seq: 1 }));
    expect(error.code).toBe('NO_GUARANTOR');
  });

  it('writes off what each lender holds (PRO_RATA), then refuses a second write-off and a transfer', () => {
    const account = new LoanAccount(loan);
    const outcome = account.applyEvent(writeOff(1));
    expect(imbalances(outcome)).toEqual([]);
    const losses = outcome.legs.filter((leg) => leg.account === 'LOSSES').map((leg) => [leg.lenderId, leg.amountMinor]);
    expect(losses).toEqual([
      [LEAD_ID, 400_000n],
      [PARTNER_A, 300_000n],
      [PARTNER_B, 300_000n],
    ]);
    expect(outcome.leadFirstLossMinor).toBeUndefined();
    expect(account.standing).toEqual({ compensated: false, writtenOff: true });
    expect(account.summary('2025-06-01').status).toBe('WRITTEN_OFF');
    expect(thrownBy(RuleViolation, () => account.applyEvent(writeOff(2))).code).toBe('ALREADY_WRITTEN_OFF');
    expect(thrownBy(RuleViolation, () => account.applyEvent({ ...transfer(LEAD_ID, PARTNER_A, 1n, 3), valueDate: '2025-06-02' })).code).toBe('WRITTEN_OFF');
  });

  it('a payment after the write-off recovers the losses in proportion to them', () => {
    const account = new LoanAccount(loan);
    account.applyEvent(writeOff(1));
    const outcome = account.apply(payment('R-1', '2025-06-02', 10_000n, 2));
    expect(outcome.split.recovery?.account).toBe('LOSSES');
    expect([...outcome.split.recovery!.parts]).toEqual([
      [LEAD_ID, 4_000n],
      [PARTNER_A, 3_000n],
      [PARTNER_B, 3_000n],
    ]);
  });

  it('keeps its standing through the account state: a restored account recovers as the whole fold does', () => {
    const whole = new LoanAccount(loan);
    whole.applyEvent(writeOff(1));
    const restored = LoanAccount.restore(loan, whole.state());
    expect(restored.standing).toEqual({ compensated: false, writtenOff: true });
    const next = payment('R-1', '2025-06-02', 10_001n, 2);
    expect(restored.apply(next)).toEqual(whole.apply(next));
  });
});
