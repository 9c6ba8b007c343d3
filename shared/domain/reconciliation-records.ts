import type { EscrowStatementLine, PartnerLoanRow, PartnerRepaymentRow } from './counterpart-records.ts';
import { ESCROW, type JournalEntry } from './ledger.ts';
import type { MatchRecord } from './reconciliation.ts';
import type { PayoutInstruction } from './settlement.ts';

/**
 * Both sides of each reconciliation brought to the matcher's shape (docs/reconciliation.md).
 * Partner files and our own files share a layout, so one function reads a row of either.
 */

/**
 * 还款明细: matched on loan and event id, then within the loan on total and value date; every
 * component compared, and the event type (the same movement under another type is booked as
 * something else: an AMOUNT_MISMATCH of `EVENT_TYPE`, docs/reconciliation.md).
 */
export function repaymentRowRecord(row: PartnerRepaymentRow): MatchRecord {
  return {
    key: `${row.loanId}|${row.eventId}`,
    group: row.loanId,
    line: row.line,
    lenderId: row.lenderId,
    currency: row.currency,
    date: row.valueDate,
    dateName: 'VALUE_DATE',
    amountsMinor: {
      PRINCIPAL: row.principalMinor,
      INTEREST: row.interestMinor,
      PENALTY: row.penaltyMinor,
      FEE: row.feeMinor,
      SUSPENSE: row.suspenseMinor,
      GUARANTEE: row.guaranteeMinor,
      LOSS: row.lossMinor,
    },
    totalMinor: row.totalMinor,
    figures: { EVENT_TYPE: row.eventType },
    attributes: {},
  };
}

/**
 * 贷款主文件: matched on the loan. The loan's principal, the funded amount, the balances and the
 * income are compared as amounts, the funding share at its six decimals, the disbursement date
 * with the date tolerance, and the class and DPD exactly.
 */
export function loanRowRecord(row: PartnerLoanRow): MatchRecord {
  return {
    key: row.loanId,
    group: row.loanId,
    line: row.line,
    lenderId: row.lenderId,
    currency: row.currency,
    date: row.disbursementDate,
    dateName: 'DISBURSEMENT_DATE',
    amountsMinor: {
      LOAN_PRINCIPAL: row.loanPrincipalMinor,
      FUNDED: row.fundedMinor,
      PRINCIPAL_BALANCE: row.principalBalanceMinor,
      INTEREST_RECEIVABLE: row.interestReceivableMinor,
      GUARANTEE_RECEIVABLE: row.guaranteeReceivableMinor,
      SUSPENSE_BALANCE: row.suspenseBalanceMinor,
      INTEREST_INCOME: row.interestIncomeMinor,
      PENALTY_INCOME: row.penaltyIncomeMinor,
      FEE_INCOME: row.feeIncomeMinor,
      FEE_EXPENSE: row.feeExpenseMinor,
      LOSS: row.lossMinor,
    },
    totalMinor: row.principalBalanceMinor,
    figures: { SHARE: shareAtSixDecimals(row.fundingShare) },
    attributes: { CLASS: row.classification, DPD: String(row.dpd) },
  };
}

/**
 * A funding share as our files write it: six decimals, half up (`0.3` and `0.3000004` are
 * `0.300000`), so a partner writing the same share with other decimals is no difference. The text
 * is a checked share (at most nine decimals, docs/files.md).
 */
export function shareAtSixDecimals(share: string): string {
  const [whole = '0', fraction = ''] = share.split('.');
  const nano = BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
  const micro = (nano + 500n) / 1_000n;
  return `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`;
}

/** What Colend expects to see on the collection account: a borrower payment (in) or its reversal (out). */
export interface ExpectedMovement {
  readonly direction: 'CREDIT' | 'DEBIT';
  /** The repayment flow number or the instruction id. */
  readonly id: string;
  /** The party the movement concerns: an instruction's other party; ESCROW for borrower money. */
  readonly lenderId: string;
  readonly currency: string;
  readonly date: string;
  readonly amountMinor: bigint;
}

/** What an entry moves on the collection account: its clearing legs with ESCROW, debits (owed by it) less credits. */
export function escrowEffectMinor(entry: Pick<JournalEntry, 'legs'>): bigint {
  let net = 0n;
  for (const leg of entry.legs) {
    if (leg.account !== 'SETTLEMENT_CLEARING' || leg.counterparty !== ESCROW) continue;
    net += leg.side === 'DEBIT' ? leg.amountMinor : -leg.amountMinor;
  }
  return net;
}

/**
 * A repayment comes in under its own flow number; a reversal goes back out under the flow number
 * of the payment it reverses. Other events move no borrower money through the account.
 */
export function entryMovement(entry: JournalEntry): ExpectedMovement | null {
  if (entry.eventType !== 'REPAYMENT' && entry.eventType !== 'REVERSAL') return null;
  const net = escrowEffectMinor(entry);
  if (net === 0n) return null;
  const id = entry.eventType === 'REVERSAL' && entry.reverses !== undefined ? entry.reverses.slice(entry.reverses.indexOf('#') + 1) : entry.eventId;
  return { direction: net > 0n ? 'CREDIT' : 'DEBIT', id, lenderId: ESCROW, currency: entry.currency, date: entry.businessDate, amountMinor: net > 0n ? net : -net };
}

/** A payout instruction from (DEBIT) or into (CREDIT) the collection account; null between two lenders. */
export function instructionMovement(instruction: PayoutInstruction, date: string): ExpectedMovement | null {
  if (instruction.payer === ESCROW) return { direction: 'DEBIT', id: instruction.instructionId, lenderId: instruction.payee, currency: instruction.currency, date, amountMinor: instruction.amountMinor };
  if (instruction.payee === ESCROW) return { direction: 'CREDIT', id: instruction.instructionId, lenderId: instruction.payer, currency: instruction.currency, date, amountMinor: instruction.amountMinor };
  return null;
}

function movementRecord(direction: string, id: string, lenderId: string, currency: string, date: string, amountMinor: bigint, line: number): MatchRecord {
  return { key: `${direction}|${id}`, group: direction, line, lenderId, currency, date, dateName: 'VALUE_DATE', amountsMinor: { TOTAL: amountMinor }, totalMinor: amountMinor, figures: {}, attributes: {} };
}

export function expectedRecord(movement: ExpectedMovement): MatchRecord {
  return movementRecord(movement.direction, movement.id, movement.lenderId, movement.currency, movement.date, movement.amountMinor, 0);
}

/**
 * A statement line, keyed by the instruction or flow number the bank format finds in it; else by
 * the bank's reference, which is an instruction's when one was recorded as executed with it.
 */
export function statementRecord(line: EscrowStatementLine, instructionOfBankReference: ReadonlyMap<string, { instructionId: string; lenderId: string }>): MatchRecord {
  const recorded = instructionOfBankReference.get(line.bankReference);
  const id = line.instructionId ?? line.repaymentId ?? recorded?.instructionId ?? line.bankReference;
  return movementRecord(line.direction, id, recorded?.lenderId ?? ESCROW, line.currency, line.valueDate, line.amountMinor, line.line);
}
