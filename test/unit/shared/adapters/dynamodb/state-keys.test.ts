import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LOAN_SHARDS, loanShard, stateKeys } from '../../../../../shared/adapters/dynamodb/state-keys.ts';
import { QUOTA_SHARDS } from '../../../../../shared/domain/exposure.ts';

describe('stateKeys (docs/access-patterns.md S1-S23)', () => {
  it('S23 calendar years, one item per version, sorted by year then version', () => {
    expect(stateKeys.calendarYear('CN', 2027, 3)).toEqual({ pk: 'CALENDAR#CN', sk: 'YEAR#2027#V#000003' });
    expect(stateKeys.calendarPartition('CN')).toBe('CALENDAR#CN');
    expect(stateKeys.calendarYearPrefix).toBe('YEAR#');
    expect(stateKeys.calendarYear('CN', 2027, 9).sk < stateKeys.calendarYear('CN', 2027, 10).sk).toBe(true);
    expect(stateKeys.calendarYear('CN', 2027, 999).sk < stateKeys.calendarYear('CN', 2028, 1).sk).toBe(true);
  });

  it('S1/S2 lenders', () => {
    expect(stateKeys.lender('PARTNER-A')).toEqual({ pk: 'LENDER#PARTNER-A', sk: 'LENDER' });
    expect(stateKeys.lenderIndex('PARTNER-A')).toEqual({ gsi1pk: 'LENDERS', gsi1sk: 'PARTNER-A' });
    expect(stateKeys.lendersPartition).toBe('LENDERS');
  });

  it('S3-S5 program versions, padded to six digits so they sort', () => {
    expect(stateKeys.program('CONSUMER-2025', 3)).toEqual({ pk: 'PROGRAM#CONSUMER-2025', sk: 'V#000003' });
    expect(stateKeys.program('P', 123456)).toEqual({ pk: 'PROGRAM#P', sk: 'V#123456' });
    expect(stateKeys.programPartition('P')).toBe('PROGRAM#P');
    expect(stateKeys.programVersionPrefix).toBe('V#');
    expect(stateKeys.programIndex('CONSUMER-2025', 12)).toEqual({ gsi1pk: 'PROGRAMS', gsi1sk: 'CONSUMER-2025#V#000012' });
    expect(stateKeys.programsPartition).toBe('PROGRAMS');
    expect(stateKeys.program('P', 9).sk < stateKeys.program('P', 10).sk).toBe(true);
  });

  it('S6/S7 loans and their check shard', () => {
    expect(stateKeys.loan('LN-2025-000001')).toEqual({ pk: 'LOAN#LN-2025-000001', sk: 'LOAN' });
    expect(stateKeys.loanIndex('LN-2025-000001')).toEqual({ gsi1pk: 'LOANSHARD#11', gsi1sk: 'LN-2025-000001' });
    expect(stateKeys.loanShardPartition(3)).toBe('LOANSHARD#03');
    expect(stateKeys.loanShardPartition(15)).toBe('LOANSHARD#15');
  });

  it('S8/S9 idempotency records and ledger-check reports', () => {
    expect(stateKeys.idempotency('bookLoan#lead-ops#key-0001')).toEqual({ pk: 'IDEM#bookLoan#lead-ops#key-0001', sk: 'IDEM' });
    expect(stateKeys.ledgerCheck('2025-02-28')).toEqual({ pk: 'LEDGERCHECK#2025-02-28', sk: 'REPORT' });
  });
});

describe('stateKeys of the joint review (docs/joint-review.md S10-S17) and schedules', () => {
  it('S10/S11 applications, indexed by status then creation', () => {
    expect(stateKeys.application('APP-1')).toEqual({ pk: 'APP#APP-1', sk: 'APP' });
    expect(stateKeys.applicationPartition('APP-1')).toBe('APP#APP-1');
    expect(stateKeys.applicationIndex('IN_REVIEW', '2025-03-01T02:00:00.000Z', 'APP-1')).toEqual({ gsi1pk: 'APPSTATUS#IN_REVIEW', gsi1sk: '2025-03-01T02:00:00.000Z#APP-1' });
    expect(stateKeys.applicationStatusPartition('BOOKED')).toBe('APPSTATUS#BOOKED');
  });

  it('S12-S14 asks, in the application partition and in the awaiting index by deadline', () => {
    expect(stateKeys.ask('APP-1', 'PARTNER-A')).toEqual({ pk: 'APP#APP-1', sk: 'ASK#PARTNER-A' });
    expect(stateKeys.askPrefix).toBe('ASK#');
    expect(stateKeys.awaitingIndex('PARTNER-A', '2025-03-02T02:00:00.000Z', 'APP-1')).toEqual({ gsi1pk: 'AWAITING#PARTNER-A', gsi1sk: '2025-03-02T02:00:00.000Z#APP-1' });
    expect(stateKeys.awaitingPartition('PARTNER-A')).toBe('AWAITING#PARTNER-A');
  });

  it('S15-S17 reservations, quotas and borrower exposure', () => {
    expect(stateKeys.reservation('APP-1', 'PARTNER-A')).toEqual({ pk: 'APP#APP-1', sk: 'RESV#PARTNER-A' });
    expect(stateKeys.reservationPrefix).toBe('RESV#');
    expect(stateKeys.quotaShard('PARTNER-A', 0)).toEqual({ pk: 'QUOTA#PARTNER-A', sk: 'SHARD#00' });
    expect(stateKeys.quotaShard('PARTNER-A', 7)).toEqual({ pk: 'QUOTA#PARTNER-A', sk: 'SHARD#07' });
    expect(stateKeys.quotaPartition('PARTNER-A')).toBe('QUOTA#PARTNER-A');
    expect(stateKeys.quotaShard('PARTNER-A', 3).pk).toBe(stateKeys.quotaPartition('PARTNER-A'));
    expect(stateKeys.borrowerExposure('BRW-1')).toEqual({ pk: 'BORROWER#BRW-1', sk: 'EXPOSURE' });
  });

  it("S35/S36 principal moved since booking: a lender's principal shards beside its quota shards, under a prefix of their own; the borrower's beside its exposure", () => {
    expect(stateKeys.principalShard('PARTNER-A', 'LEAD-BANK', 5)).toEqual({ pk: 'QUOTA#PARTNER-A', sk: 'PRINCIPAL#LEAD-BANK#05' });
    expect(stateKeys.principalShard('PARTNER-A', 'LEAD-BANK', 5).pk).toBe(stateKeys.quotaPartition('PARTNER-A'));
    expect(stateKeys.principalShardPrefix).toBe('PRINCIPAL#');
    // Neither prefix reads the other's items.
    expect(stateKeys.principalShard('PARTNER-A', 'SHARD', 0).sk.startsWith(stateKeys.quotaShardPrefix)).toBe(false);
    expect(stateKeys.quotaShard('PARTNER-A', 0).sk.startsWith(stateKeys.principalShardPrefix)).toBe(false);
    expect(stateKeys.borrowerPrincipal('BRW-1')).toEqual({ pk: 'BORROWER#BRW-1', sk: 'PRINCIPAL' });
  });

  it("a lender's quota shards share one partition and sort by shard number", () => {
    const sks = Array.from({ length: QUOTA_SHARDS }, (_, shard) => stateKeys.quotaShard('LEAD-BANK', shard).sk);
    expect(sks).toEqual(['SHARD#00', 'SHARD#01', 'SHARD#02', 'SHARD#03', 'SHARD#04', 'SHARD#05', 'SHARD#06', 'SHARD#07']);
    expect([...sks].sort()).toEqual(sks);
  });

  it("schedules live in the loan's partition, beside the loan", () => {
    expect(stateKeys.borrowerSchedule('LN-1')).toEqual({ pk: 'LOAN#LN-1', sk: 'SCHEDULE#BORROWER' });
    expect(stateKeys.lenderSchedule('LN-1', 'PARTNER-A')).toEqual({ pk: 'LOAN#LN-1', sk: 'SCHEDULE#LENDER#PARTNER-A' });
    expect(stateKeys.schedulePrefix).toBe('SCHEDULE#');
    expect(stateKeys.borrowerSchedule('LN-1').pk).toBe(stateKeys.loan('LN-1').pk);
  });
});

describe('loanShard', () => {
  it('is FNV-1a of the id modulo 16, pinned: stored items depend on it', () => {
    expect(LOAN_SHARDS).toBe(16);
    expect(loanShard('LN-2025-000001')).toBe(11);
    expect(loanShard('LN-2025-000002')).toBe(14);
    expect(loanShard('LN-1')).toBe(5);
    expect(loanShard('A')).toBe(12);
    expect(loanShard('')).toBe(5);
  });

  it('is stable and always within 0..15', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (id) => {
        const shard = loanShard(id);
        expect(Number.isInteger(shard)).toBe(true);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThanOrEqual(15);
        expect(loanShard(id)).toBe(shard);
      }),
      { numRuns: 500 },
    );
  });

  it('spreads sequential loan ids evenly', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[loanShard(`LN-${i}`)] = (counts[loanShard(`LN-${i}`)] ?? 0) + 1;
    for (const count of counts) expect(count).toBeGreaterThan(900);
  });
});
