import { invariant, RuleViolation, ValidationError } from './errors.ts';
import { assertBalanced, entryIdOf, ESCROW, type Account, type JournalEntry, type Leg, type SettlementComponent } from './ledger.ts';
import { assertCurrency, parseIsoDate, plus } from './money/index.ts';
import { describeValue } from './money/describe-value.ts';
import type { FeeDeduction, RepaymentSplit } from './repayment-split.ts';

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
 * account. Legs of zero are left out. The sums are bigint: adding two parts costs less than
 * converting each of them to a plain number (Number() of a bigint calls into the runtime).
 */
export function repaymentEntry(
  loanId: string,
  repaymentId: string,
  valueDate: string,
  currency: string,
  repayment: RepaymentSplit,
  now: string,
): JournalEntry {
  checkEntry(loanId, repaymentId, valueDate, currency);
  if (repayment.deductions !== undefined && repayment.deductions.length > 0) {
    return balancedEntry(loanId, repaymentId, valueDate, currency, legsWithDeductions(repayment, repayment.deductions), now);
  }
  return balancedEntry(loanId, repaymentId, valueDate, currency, legsInBigint(repayment), now);
}

/**
 * The same entry with its sums computed in bigint throughout, whatever the size of the amounts:
 * the reference that `repaymentEntry` must always equal, whatever path it takes.
 */
export function repaymentEntryInBigint(
  loanId: string,
  repaymentId: string,
  valueDate: string,
  currency: string,
  repayment: RepaymentSplit,
  now: string,
): JournalEntry {
  checkEntry(loanId, repaymentId, valueDate, currency);
  if (repayment.deductions !== undefined && repayment.deductions.length > 0) {
    return balancedEntry(loanId, repaymentId, valueDate, currency, legsWithDeductions(repayment, repayment.deductions), now);
  }
  return balancedEntry(loanId, repaymentId, valueDate, currency, legsInBigint(repayment), now);
}

/**
 * The legs of a payment some lenders pay fees out of (docs/fees.md): the usual legs, then in each
 * payer's book Dr FEE_EXPENSE / Cr SETTLEMENT_CLEARING (the payee, FEE) and in the payee's book
 * Dr SETTLEMENT_CLEARING (the payer, FEE) / Cr FEE_INCOME. A book that then clears with more than
 * one counterparty names the component of each clearing leg: its escrow debit becomes one leg per
 * component (PRINCIPAL, INTEREST, PENALTY, FEE for fees and spread, SUSPENSE).
 */
function legsWithDeductions(repayment: RepaymentSplit, deductions: readonly FeeDeduction[]): Leg[] {
  invariant(repayment.recovery === undefined, 'no fee is deducted from a recovery', {});
  const base = legsInBigint(repayment);
  const moves: Leg[] = [];
  for (const d of deductions) {
    moves.push({ lenderId: d.fromLenderId, account: 'FEE_EXPENSE', side: 'DEBIT', amountMinor: d.amountMinor, counterparty: null });
    moves.push({ lenderId: d.fromLenderId, account: 'SETTLEMENT_CLEARING', side: 'CREDIT', amountMinor: d.amountMinor, counterparty: d.toLenderId, component: 'FEE' });
    moves.push({ lenderId: d.toLenderId, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor: d.amountMinor, counterparty: d.fromLenderId, component: 'FEE' });
    moves.push({ lenderId: d.toLenderId, account: 'FEE_INCOME', side: 'CREDIT', amountMinor: d.amountMinor, counterparty: null });
  }
  const all = [...base, ...moves];
  const counterparties = new Map<string, Set<string>>();
  for (const l of all) {
    if (l.account !== 'SETTLEMENT_CLEARING') continue;
    const own = counterparties.get(l.lenderId) ?? new Set<string>();
    own.add(l.counterparty ?? '');
    counterparties.set(l.lenderId, own);
  }
  const books = [...new Set(all.map((l) => l.lenderId))];
  const legs: Leg[] = [];
  for (const lenderId of books) {
    const own = all.filter((l) => l.lenderId === lenderId);
    if ((counterparties.get(lenderId)?.size ?? 0) <= 1) {
      legs.push(...own);
      continue;
    }
    const parts = repayment.perLender.get(lenderId);
    const escrow: [SettlementComponent, bigint][] = [
      ['PRINCIPAL', parts?.principalMinor ?? 0n],
      ['INTEREST', parts?.interestMinor ?? 0n],
      ['PENALTY', parts?.penaltyMinor ?? 0n],
      ['FEE', (parts?.feeMinor ?? 0n) + (parts?.spreadMinor ?? 0n)],
      ['SUSPENSE', lenderId === repayment.suspenseLenderId ? repayment.suspenseMinor : 0n],
    ];
    for (const [component, amountMinor] of escrow) {
      if (amountMinor !== 0n) legs.push({ lenderId, account: 'SETTLEMENT_CLEARING', side: 'DEBIT', amountMinor, counterparty: ESCROW, component });
    }
    legs.push(...own.filter((l) => !(l.account === 'SETTLEMENT_CLEARING' && l.counterparty === ESCROW)));
  }
  return legs;
}

function checkEntry(loanId: string, repaymentId: string, valueDate: string, currency: string): void {
  checkId(loanId, 'loanId');
  checkId(repaymentId, 'repaymentId');
  checkDate(valueDate, 'valueDate');
  assertCurrency(currency, 'currency');
}

function balancedEntry(
  loanId: string,
  repaymentId: string,
  valueDate: string,
  currency: string,
  legs: Leg[],
  now: string,
): JournalEntry {
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

function legsInBigint(repayment: RepaymentSplit): Leg[] {
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
  return legs;
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
