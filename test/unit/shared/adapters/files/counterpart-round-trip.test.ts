import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCounterpartFile } from '../../../../../shared/adapters/files/counterpart-reader.ts';
import { loanMasterFile, repaymentDetailFile, type DetailRow, type LoanMasterRow } from '../../../../../shared/adapters/files/settlement-files.ts';
import { CLASSIFICATIONS } from '../../../../../shared/domain/delinquency.ts';
import { SETTLEMENT_COMPONENTS, type JournalEntry } from '../../../../../shared/domain/ledger.ts';
import type { CounterpartFileType, CounterpartRecord } from '../../../../../shared/domain/counterpart-records.ts';

/**
 * What our settlement file writer writes, a partner's system can send back unchanged, and the
 * reader reads the same values: ids, dates, every amount to the fen.
 */
async function readAll<T extends CounterpartFileType>(body: Buffer, type: T, chunkSize: number): Promise<CounterpartRecord<T>[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const records: CounterpartRecord<T>[] = [];
  for await (const record of readCounterpartFile(Readable.from(chunks), { type })) records.push(record);
  return records;
}

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,15}$/);
const day = fc.integer({ min: 0, max: 3650 }).map((n) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
const amount = fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n });
const currency = fc.constantFrom('CNY', 'INR');

/** One repayment entry of the lender: a movement per component with the escrow account, the amounts as given. */
const detailRow = fc.record({
  loanId: id,
  eventType: fc.constantFrom('REPAYMENT', 'REVERSAL', 'REBOOK') as fc.Arbitrary<'REPAYMENT' | 'REVERSAL' | 'REBOOK'>,
  eventId: fc.oneof(id, id.map((i) => `${i}#2`)),
  valueDate: day,
  bookedOn: day,
  currency,
  parts: fc.array(amount.filter((a) => a !== 0n), { minLength: 7, maxLength: 7 }),
  reverses: fc.option(id.map((i) => `REPAYMENT#${i}`), { nil: undefined }),
});

describe('round trip: our settlement files read back to the same values', () => {
  it('repayment detail (还款明细)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(detailRow, { maxLength: 20 }), fc.integer({ min: 1, max: 300 }), async (rows, chunkSize) => {
        const detail: DetailRow[] = rows.map((r) => ({
          entry: { entryId: `${r.eventType}#${r.eventId}`, eventType: r.eventType, eventId: r.eventId, loanId: r.loanId, currency: r.currency, businessDate: r.valueDate, bookedOn: r.bookedOn, legs: [], createdAt: '2026-03-02T00:00:00.000Z', ...(r.reverses ? { reverses: r.reverses } : {}) } as JournalEntry,
          movements: SETTLEMENT_COMPONENTS.map((component, i) => ({ lenderId: 'BANK-A', counterparty: 'ESCROW', component, amountMinor: r.parts[i] as bigint })),
        }));
        const file = repaymentDetailFile('2026-03-02', 'BANK-A', detail);
        const read = await readAll(file.body, 'PARTNER_REPAYMENTS', chunkSize);
        expect(read).toEqual(
          rows.map((r, i) => {
            const [principalMinor, interestMinor, penaltyMinor, feeMinor, suspenseMinor, guaranteeMinor, lossMinor] = r.parts as bigint[];
            return {
              line: i + 2,
              businessDate: '2026-03-02',
              lenderId: 'BANK-A',
              loanId: r.loanId,
              eventType: r.eventType,
              eventId: r.eventId,
              valueDate: r.valueDate,
              bookedOn: r.bookedOn,
              currency: r.currency,
              principalMinor,
              interestMinor,
              penaltyMinor,
              feeMinor,
              suspenseMinor,
              guaranteeMinor,
              lossMinor,
              totalMinor: r.parts.reduce((s, p) => s + p, 0n),
              correctsEntry: r.reverses ?? null,
            };
          }),
        );
        expect(read.map((r) => r.totalMinor).reduce((s, t) => s + t, 0n)).toBe(file.totals.total_amount);
      }),
      { numRuns: 150 },
    );
  });

  it('loan master (贷款主文件)', async () => {
    const positive = fc.bigInt({ min: 1n, max: 10n ** 14n });
    const loanRow = fc.record({
      loanId: id,
      programId: id,
      currency,
      disbursementDate: day,
      loanPrincipalMinor: positive,
      share: fc.integer({ min: 0, max: 100 }),
      principal: fc.bigInt({ min: 0n, max: 10n ** 14n }),
      interest: amount,
      guarantee: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      suspense: amount,
      income: fc.array(amount, { minLength: 3, maxLength: 3 }),
      feeExpense: amount,
      loss: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      dpd: fc.integer({ min: 0, max: 5000 }),
      classification: fc.constantFrom(...CLASSIFICATIONS),
      riskAsOf: fc.option(day, { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(loanRow, { maxLength: 15 }), fc.integer({ min: 1, max: 400 }), async (rows, chunkSize) => {
        const master: LoanMasterRow[] = rows.map((r) => ({
          loanId: r.loanId,
          programId: r.programId,
          currency: r.currency,
          disbursementDate: r.disbursementDate,
          loanPrincipalMinor: r.loanPrincipalMinor,
          fundedMinor: (r.loanPrincipalMinor * BigInt(r.share)) / 100n,
          balancesMinor: {
            PRINCIPAL_RECEIVABLE: r.principal,
            INTEREST_RECEIVABLE: r.interest,
            GUARANTEE_RECEIVABLE: r.guarantee,
            SUSPENSE: -r.suspense,
            INTEREST_INCOME: -(r.income[0] as bigint),
            PENALTY_INCOME: -(r.income[1] as bigint),
            FEE_INCOME: -(r.income[2] as bigint),
            FEE_EXPENSE: r.feeExpense,
            LOSSES: r.loss,
          },
          dpd: r.dpd,
          classification: r.classification,
          riskAsOf: r.riskAsOf,
        }));
        const file = loanMasterFile('2026-03-02', 'BANK-A', master);
        const read = await readAll(file.body, 'PARTNER_LOANS', chunkSize);
        expect(read.map(({ line, fundingShare, ...rest }) => ({ line, share: fundingShare, rest }))).toEqual(
          rows.map((r, i) => ({
            line: i + 2,
            share: file.table.rows[i]?.[8],
            rest: {
              businessDate: '2026-03-02',
              lenderId: 'BANK-A',
              loanId: r.loanId,
              programId: r.programId,
              currency: r.currency,
              disbursementDate: r.disbursementDate,
              loanPrincipalMinor: r.loanPrincipalMinor,
              fundedMinor: (r.loanPrincipalMinor * BigInt(r.share)) / 100n,
              principalBalanceMinor: r.principal,
              interestReceivableMinor: r.interest,
              guaranteeReceivableMinor: r.guarantee,
              suspenseBalanceMinor: r.suspense,
              interestIncomeMinor: r.income[0],
              penaltyIncomeMinor: r.income[1],
              feeIncomeMinor: r.income[2],
              feeExpenseMinor: r.feeExpense,
              lossMinor: r.loss,
              dpd: r.dpd,
              classification: r.classification,
              riskAsOf: r.riskAsOf,
            },
          })),
        );
      }),
      { numRuns: 100 },
    );
  });
});
