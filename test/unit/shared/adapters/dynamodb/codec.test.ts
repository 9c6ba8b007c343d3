import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, stripKeys } from '../../../../../shared/adapters/dynamodb/codec.ts';
import { applyEntry, openPosition, type Position } from '../../../../../shared/domain/ledger.ts';
import type { Lender } from '../../../../../shared/domain/lender.ts';
import { bookLoan, type Loan } from '../../../../../shared/domain/loan.ts';
import type { Program } from '../../../../../shared/domain/program.ts';
import type { QuotaShard, Reservation } from '../../../../../shared/domain/exposure.ts';
import { LEAD_ID, NOW, aBookLoanRequest, aLender, aParticipant, aProgram, aQuotaShard, aReservation, lenderMap } from '../../../../support/builders.ts';

describe('encode', () => {
  it('writes every *Minor amount as a decimal string and leaves everything else alone', () => {
    const lender = aLender({ netTier1CapitalMinor: 123_456_789_012_345_678_901n, totalLoansMinor: null });
    const item = encode(lender) as Record<string, unknown>;
    expect(item.limits).toEqual({ exposureQuotaMinor: '100000000000', perBorrowerCapMinor: '50000000', minShareBps: 0, maxShareBps: 10_000 });
    expect(item.netTier1CapitalMinor).toBe('123456789012345678901');
    expect(item.totalLoansMinor).toBeNull();
    expect(item.roles).toEqual(['PARTNER']);
    expect(item.createdAt).toBe(NOW);
  });

  it('writes the values of a *Minor map as strings', () => {
    const position: Position = { lenderId: 'L', loanId: 'LN', currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: 300_000n, SETTLEMENT_CLEARING: -300_000n }, version: 1 };
    expect(encode(position)).toEqual({ lenderId: 'L', loanId: 'LN', currency: 'CNY', balancesMinor: { PRINCIPAL_RECEIVABLE: '300000', SETTLEMENT_CLEARING: '-300000' }, version: 1 });
  });

  it('writes amounts inside arrays of records (legs, funding plans)', () => {
    expect(encode({ legs: [{ amountMinor: 5n, side: 'DEBIT' }], listMinor: [1n, 2n] })).toEqual({ legs: [{ amountMinor: '5', side: 'DEBIT' }], listMinor: ['1', '2'] });
  });

  it('drops undefined members', () => {
    expect(encode({ a: undefined, b: { c: undefined, d: 1 } })).toEqual({ b: { d: 1 } });
  });

  it('refuses a bigint outside an amount field, naming the field', () => {
    expect(() => encode({ version: 1n })).toThrow(new TypeError('bigint outside an amount field: version'));
    expect(() => encode({ limits: { minShareBps: 3000n } })).toThrow('bigint outside an amount field: minShareBps');
    expect(() => encode(5n)).toThrow(TypeError);
  });
});

describe('decode', () => {
  it('reads *Minor strings back as bigint, and leaves other digit strings as strings', () => {
    expect(decode({ principalMinor: '20000001', accountNumber: '6222000011112222', annualRate: '0.0725', version: 2 })).toEqual({
      principalMinor: 20_000_001n,
      accountNumber: '6222000011112222',
      annualRate: '0.0725',
      version: 2,
    });
    expect(decode({ balancesMinor: { PRINCIPAL_RECEIVABLE: '-1' }, fixedAmountMinor: null })).toEqual({ balancesMinor: { PRINCIPAL_RECEIVABLE: -1n }, fixedAmountMinor: null });
  });
});

describe('round trip', () => {
  const { loan, entry } = bookLoan(aBookLoanRequest({ principalMinor: 12_345_679n }), aProgram(), lenderMap(), NOW);
  const records: [string, unknown][] = [
    ['a lender', aLender({ totalLoansMinor: null })],
    ['a program with fixed and minimum amounts', aProgram({ participants: [...aProgram().participants, aParticipant('G', 'GUARANTOR', null, { fixedAmountMinor: 1n, minAmountMinor: 2n })] }) satisfies Program],
    ['a loan with its copied terms', loan satisfies Loan],
    ['a journal entry', entry],
    ['a position', applyEntry(openPosition('LEAD-BANK', loan.loanId, 'CNY'), entry)],
    ['a quota shard', aQuotaShard({ shard: 7, allotmentMinor: 125_000_001n, reservedMinor: 1n, committedMinor: 2n, committedByLeadMinor: { [LEAD_ID]: 2n } }) satisfies QuotaShard],
    [
      'a reservation taken from two shards',
      aReservation({
        amountMinor: 300_000n,
        takes: [
          { shard: 7, amountMinor: 1n },
          { shard: 0, amountMinor: 299_999n },
        ],
      }) satisfies Reservation,
    ],
  ];
  it.each(records)('%s survives encode and decode unchanged', (_name, record) => {
    expect(decode(JSON.parse(JSON.stringify(encode(record))))).toEqual(record);
  });

  it('keeps any amount exact (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (amount) => {
        const record = { amountMinor: amount, balancesMinor: { LOSSES: amount } };
        expect(decode<typeof record>(encode(record))).toEqual(record);
      }),
    );
  });

  it('a lender comes back with its own type', () => {
    const lender = decode<Lender>(encode(aLender()));
    expect(lender.limits.perBorrowerCapMinor).toBe(50_000_000n);
  });
});

describe('stripKeys', () => {
  it('removes the keys and the entity type, and nothing else', () => {
    expect(stripKeys({ pk: 'LOAN#1', sk: 'LOAN', gsi1pk: 'LOANSHARD#05', gsi1sk: '1', entityType: 'Loan', loanId: '1', version: 3 })).toEqual({ loanId: '1', version: 3 });
  });
});
