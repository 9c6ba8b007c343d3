import { invariant, RuleViolation, ValidationError } from './errors.ts';
import { assertBalanced, entryIdOf, ESCROW, type Account, type JournalEntry, type Leg } from './ledger.ts';
import { assertCurrency, parseIsoDate, plus } from './money/index.ts';
import { describeValue } from './money/describe-value.ts';
import type { RepaymentSplit } from './repayment-split.ts';

/**
 * The journal entries of a repayment and of its reversal. Legs per book are written down in
 * docs/repayments.md.
 */

/**
 * One balanced entry for a split repayment, `REPAYMENT#<repaymentId>`. In each lender's book, in
 * lender id order: Dr SETTLEMENT_CLEARING (counterparty ESCROW) for everything it receives;
 * Cr PRINCIPAL_RECEIVABLE, INTEREST_INCOME, PENALTY_INCOME, and FEE_INCOME (fees and spread). The
 * suspense follows in the lead's book: Dr SETTLEMENT_CLEARING (ESCROW) / Cr SUSPENSE. A recovery
 * follows in each recovering party's book: Dr SETTLEMENT_CLEARING (ESCROW) / Cr the recovered
 * account. Legs of zero are left out.
 */
export function repaymentEntry(
  loanId: string,
  repaymentId: string,
  valueDate: string,
  currency: string,
  repayment: RepaymentSplit,
  now: string,
): JournalEntry {
  checkId(loanId, 'loanId');
  checkId(repaymentId, 'repaymentId');
  checkDate(valueDate, 'valueDate');
  assertCurrency(currency, 'currency');
  const legs: Leg[] = [];
  let clearingMinor = 0n;
  let suspenseBooked = repayment.suspenseMinor === 0n;
  const perLender = repayment.perLender;
  for (const lenderId of perLender.keys()) {
    const parts = perLender.get(lenderId)!;
    const incomeMinor = plus(parts.feeMinor, parts.spreadMinor);
    const receivedMinor = plus(plus(parts.principalMinor, parts.interestMinor), plus(parts.penaltyMinor, incomeMinor));
    clearingMinor = plus(clearingMinor, receivedMinor);
    push(legs, lenderId, 'SETTLEMENT_CLEARING', 'DEBIT', receivedMinor, ESCROW);
    push(legs, lenderId, 'PRINCIPAL_RECEIVABLE', 'CREDIT', parts.principalMinor, null);
    push(legs, lenderId, 'INTEREST_INCOME', 'CREDIT', parts.interestMinor, null);
    push(legs, lenderId, 'PENALTY_INCOME', 'CREDIT', parts.penaltyMinor, null);
    push(legs, lenderId, 'FEE_INCOME', 'CREDIT', incomeMinor, null);
    if (lenderId === repayment.suspenseLenderId && !suspenseBooked) {
      clearingMinor = plus(clearingMinor, repayment.suspenseMinor);
      push(legs, lenderId, 'SETTLEMENT_CLEARING', 'DEBIT', repayment.suspenseMinor, ESCROW);
      push(legs, lenderId, 'SUSPENSE', 'CREDIT', repayment.suspenseMinor, null);
      suspenseBooked = true;
    }
  }
  const recovery = repayment.recovery;
  if (recovery !== undefined) {
    for (const [partyId, amountMinor] of recovery.parts) {
      clearingMinor = plus(clearingMinor, amountMinor);
      push(legs, partyId, 'SETTLEMENT_CLEARING', 'DEBIT', amountMinor, ESCROW);
      push(legs, partyId, recovery.account, 'CREDIT', amountMinor, null);
    }
  }
  invariant(suspenseBooked, 'suspense is booked in the book of a lender of the split', {
    suspenseLenderId: repayment.suspenseLenderId,
  });
  if (clearingMinor !== repayment.paidMinor) {
    invariant(false, 'the entry books exactly what the borrower paid', {
      paidMinor: repayment.paidMinor.toString(),
      bookedMinor: clearingMinor.toString(),
    });
  }
  const entry: JournalEntry = {
    entryId: entryIdOf('REPAYMENT', repaymentId),
    eventType: 'REPAYMENT',
    eventId: repaymentId,
    loanId,
    currency,
    businessDate: valueDate,
    legs,
    createdAt: now,
  };
  return assertBalanced(entry);
}

/**
 * The exact negative of an entry as its own entry, `REVERSAL#<reversalId>`: the same legs with
 * debit and credit swapped, naming the original in `reverses`. It is booked on `businessDate`, the
 * original's business date unless given. A reversal is itself never reversed: the event is booked
 * again under a new id instead.
 */
export function reversalEntry(
  original: JournalEntry,
  reversalId: string,
  now: string,
  businessDate: string = original.businessDate,
): JournalEntry {
  checkId(reversalId, 'reversalId');
  checkDate(businessDate, 'businessDate');
  if (original.eventType === 'REVERSAL' || original.reverses !== undefined) {
    throw new RuleViolation('REVERSAL_OF_REVERSAL', `entry ${original.entryId} is a reversal and cannot be reversed`, {
      entryId: original.entryId,
    });
  }
  assertBalanced(original);
  const legs = original.legs.map(
    (leg): Leg => ({ ...leg, side: leg.side === 'DEBIT' ? 'CREDIT' : 'DEBIT' }),
  );
  const entry: JournalEntry = {
    entryId: entryIdOf('REVERSAL', reversalId),
    eventType: 'REVERSAL',
    eventId: reversalId,
    loanId: original.loanId,
    currency: original.currency,
    businessDate,
    legs,
    createdAt: now,
    reverses: original.entryId,
  };
  invariant(entry.entryId !== original.entryId, 'a reversal has an id of its own', { entryId: entry.entryId });
  return assertBalanced(entry);
}

function push(
  legs: Leg[],
  lenderId: string,
  account: Account,
  side: Leg['side'],
  amountMinor: bigint,
  counterparty: string | null,
): void {
  if (amountMinor !== 0n) legs.push({ lenderId, account, side, amountMinor, counterparty });
}

/** The last date found valid: the payments of a day share it. */
let lastValidDate = '';

function checkDate(value: string, path: string): void {
  if (value === lastValidDate && value !== '') return;
  parseIsoDate(value, path);
  lastValidDate = value;
}

function checkId(value: unknown, path: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError(`${path} must be a non-empty id, got ${describeValue(value)}`, { path, rule: 'id' });
  }
}
