import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countBreaks, matchRecords, reconciliationIdOf, type MatchRecord } from '../../../../shared/domain/reconciliation.ts';
import { applyBreakAction, breakIdFrom, breakIdentityText, resolveByAdjustment, type ReconciliationBreak } from '../../../../shared/domain/reconciliation-break.ts';

const exact = { amountToleranceMinor: 0n, dateToleranceDays: 0 };

function repayment(loan: string, event: string, principal: bigint, interest: bigint, date = '2026-03-02', line = 0): MatchRecord {
  return {
    key: `${loan}|${event}`,
    group: loan,
    line,
    lenderId: 'JN_RCB',
    currency: 'CNY',
    date,
    dateName: 'VALUE_DATE',
    amountsMinor: { PRINCIPAL: principal, INTEREST: interest },
    totalMinor: principal + interest,
    figures: { EVENT_TYPE: 'REPAYMENT' },
    attributes: {},
  };
}

describe('matchRecords', () => {
  it('matches identical records on their ids with no break', () => {
    const ours = [repayment('L1', 'R1', 10_000n, 250n), repayment('L2', 'R2', 5_000n, 101n)];
    const theirs = ours.map((r, i) => ({ ...r, line: i + 2 }));
    const result = matchRecords(ours, theirs, exact);
    expect(result).toEqual({ matchedCount: 2, matchedMinor: { CNY: 15_351n }, matchedOnAmountCount: 0, oursCount: 2, theirsCount: 2, findings: [] });
  });

  it('finds one break per differing component, the date, and a class', () => {
    const ours = [{ ...repayment('L1', 'R1', 10_000n, 250n), attributes: { CLASS: 'NORMAL' } }];
    const theirs = [{ ...repayment('L1', 'R1', 10_000n, 249n, '2026-03-03', 7), attributes: { CLASS: 'SPECIAL_MENTION' } }];
    const result = matchRecords(ours, theirs, exact);
    expect(result.matchedCount).toBe(0);
    expect(result.findings.map((f) => [f.kind, f.component, f.oursMinor, f.theirsMinor, f.ours, f.theirs, f.lines])).toEqual([
      ['AMOUNT_MISMATCH', 'INTEREST', 250n, 249n, null, null, [7]],
      ['DATE_MISMATCH', 'VALUE_DATE', 10_250n, 10_249n, '2026-03-02', '2026-03-03', [7]],
      ['CLASSIFICATION_MISMATCH', 'CLASS', null, null, 'NORMAL', 'SPECIAL_MENTION', [7]],
    ]);
  });

  it('reports a figure compared as text (an event type) as an amount mismatch of that figure, with no money in it', () => {
    const ours = [repayment('L1', 'R1', 10_000n, 250n)];
    const theirs = [{ ...repayment('L1', 'R1', 10_000n, 250n, '2026-03-02', 4), figures: { EVENT_TYPE: 'REBOOK' } }];
    const result = matchRecords(ours, theirs, { amountToleranceMinor: 1_000n, dateToleranceDays: 5 });
    expect(result.matchedCount).toBe(0);
    expect(result.findings).toEqual([
      { kind: 'AMOUNT_MISMATCH', component: 'EVENT_TYPE', recordKey: 'L1|R1', lenderId: 'JN_RCB', currency: 'CNY', oursMinor: null, theirsMinor: null, ours: 'REPAYMENT', theirs: 'REBOOK', lines: [4] },
    ]);
  });

  it('names a date mismatch after the date the records carry', () => {
    const loan = (date: string, line: number): MatchRecord => ({ ...repayment('L1', 'L1', 30_000n, 0n, date, line), key: 'L1', dateName: 'DISBURSEMENT_DATE', figures: {} });
    const result = matchRecords([loan('2026-01-05', 0)], [loan('2026-01-06', 3)], exact);
    expect(result.findings.map((f) => [f.kind, f.component, f.recordKey, f.ours, f.theirs, f.lines])).toEqual([['DATE_MISMATCH', 'DISBURSEMENT_DATE', 'L1', '2026-01-05', '2026-01-06', [3]]]);
  });

  it('lets differences within the tolerances match', () => {
    const result = matchRecords([repayment('L1', 'R1', 10_000n, 250n)], [repayment('L1', 'R1', 10_000n, 251n, '2026-03-03', 2)], { amountToleranceMinor: 1n, dateToleranceDays: 1 });
    expect([result.matchedCount, result.matchedMinor, result.findings]).toEqual([1, { CNY: 10_250n }, []]);
  });

  it('matches what the ids leave on amount and date within the same group, then reports the rest missing', () => {
    const ours = [repayment('L1', 'R1', 10_000n, 250n), repayment('L1', 'R9', 700n, 0n)];
    const theirs = [repayment('L1', 'BANK-77', 10_000n, 250n, '2026-03-02', 3), repayment('L2', 'R5', 1n, 0n, '2026-03-02', 4)];
    const result = matchRecords(ours, theirs, exact);
    expect([result.matchedCount, result.matchedOnAmountCount, result.matchedMinor]).toEqual([1, 1, { CNY: 10_250n }]);
    expect(result.findings.map((f) => [f.kind, f.recordKey, f.oursMinor, f.theirsMinor, f.lines])).toEqual([
      ['MISSING_THEIRS', 'L1|R9', 700n, null, []],
      ['MISSING_OURS', 'L2|R5', null, 1n, [4]],
    ]);
  });

  it('reports a key twice in their file as one duplicate with every line, and matches the first', () => {
    const ours = [repayment('L1', 'R1', 10_000n, 250n)];
    const theirs = [repayment('L1', 'R1', 10_000n, 250n, '2026-03-02', 2), repayment('L1', 'R1', 10_000n, 250n, '2026-03-02', 5), repayment('L1', 'R1', 10_000n, 250n, '2026-03-02', 9)];
    const result = matchRecords(ours, theirs, exact);
    expect(result.matchedCount).toBe(1);
    expect(result.findings.map((f) => [f.kind, f.recordKey, f.theirsMinor, f.theirs, f.lines])).toEqual([['DUPLICATE', 'L1|R1', 20_500n, '3 rows', [2, 5, 9]]]);
  });

  const records = fc
    .uniqueArray(fc.record({ loan: fc.integer({ min: 1, max: 40 }), event: fc.integer({ min: 1, max: 5 }), principal: fc.bigInt({ min: 1n, max: 10_000_000n }), interest: fc.bigInt({ min: 0n, max: 99_999n }), day: fc.integer({ min: 1, max: 28 }) }), {
      selector: (r) => `${r.loan}|${r.event}`,
      minLength: 1,
      maxLength: 60,
    })
    .map((rows) => rows.map((r) => ({ ...repayment(`L${r.loan}`, `R${r.event}`, r.principal, r.interest, `2026-03-${String(r.day).padStart(2, '0')}`), attributes: { CLASS: 'NORMAL' } })));
  const perturbation = fc.constantFrom('DROP', 'AMOUNT', 'DATE', 'DUPLICATE', 'CLASS', 'EVENT_TYPE');
  const expected = { DROP: 'MISSING_THEIRS', AMOUNT: 'AMOUNT_MISMATCH', DATE: 'DATE_MISMATCH', DUPLICATE: 'DUPLICATE', CLASS: 'CLASSIFICATION_MISMATCH', EVENT_TYPE: 'AMOUNT_MISMATCH' } as const;

  it('finds every injected perturbation as a break of its kind on its record, and nothing on untouched records', () => {
    fc.assert(
      fc.property(records, fc.array(perturbation, { minLength: 1, maxLength: 10 }), fc.infiniteStream(fc.nat()), (ours, changes, picks) => {
        const touched = new Map<string, (typeof changes)[number]>();
        const it = picks[Symbol.iterator]();
        for (const change of changes) {
          const target = ours[it.next().value! % ours.length]!;
          if (!touched.has(target.key)) touched.set(target.key, change);
        }
        const theirs: MatchRecord[] = [];
        let line = 1;
        for (const record of ours) {
          const change = touched.get(record.key);
          line++;
          if (change === 'DROP') continue;
          if (change === 'AMOUNT') theirs.push({ ...record, line, amountsMinor: { ...record.amountsMinor, INTEREST: record.amountsMinor.INTEREST! + 1n }, totalMinor: record.totalMinor + 1n });
          else if (change === 'DATE') theirs.push({ ...record, line, date: record.date === '2026-03-28' ? '2026-03-27' : '2026-03-28' });
          else if (change === 'CLASS') theirs.push({ ...record, line, attributes: { CLASS: 'SUBSTANDARD' } });
          else if (change === 'EVENT_TYPE') theirs.push({ ...record, line, figures: { EVENT_TYPE: 'BUYBACK' } });
          else theirs.push({ ...record, line });
          if (change === 'DUPLICATE') theirs.push({ ...record, line: ++line });
        }
        const result = matchRecords(ours, theirs, exact);
        const found = result.findings.map((f) => `${f.recordKey}:${f.kind}`).sort();
        const wanted = [...touched].map(([key, change]) => `${key}:${expected[change]}`).sort();
        // A dropped row's record may be paired on amount and date with nothing: there is no other row in its place.
        expect(found).toEqual(wanted);
        expect(result.matchedCount).toBe(ours.length - [...touched.values()].filter((c) => c !== 'DUPLICATE').length);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same result whatever the order of either side', () => {
    fc.assert(
      fc.property(records, fc.infiniteStream(fc.double()), (ours, noise) => {
        const theirs = ours.map((r, i) => ({ ...r, line: i + 2, amountsMinor: i % 3 === 0 ? { ...r.amountsMinor, PRINCIPAL: r.amountsMinor.PRINCIPAL! + 5n } : r.amountsMinor }));
        const it = noise[Symbol.iterator]();
        const shuffled = [...theirs].sort(() => (it.next().value! < 0.5 ? -1 : 1));
        expect(matchRecords([...ours].reverse(), shuffled, exact)).toEqual(matchRecords(ours, theirs, exact));
      }),
    );
  });
});

describe('breaks', () => {
  const identity = { type: 'PARTNER_REPAYMENTS', businessDate: '2026-03-02', counterparty: 'JN_RCB', kind: 'AMOUNT_MISMATCH', component: 'INTEREST', recordKey: 'L1|R1' } as const;
  const open: ReconciliationBreak = {
    ...identity,
    breakId: breakIdFrom(identity, 'ab'.repeat(32)),
    lenderId: 'JN_RCB',
    currency: 'CNY',
    oursMinor: 250n,
    theirsMinor: 249n,
    differenceMinor: -1n,
    ours: null,
    theirs: null,
    lines: [7],
    openedOn: '2026-03-03',
    openedAt: '2026-03-03T01:00:00.000Z',
    reconciliationId: 'RC-20260302-PARTNER_REPAYMENTS-JN_RCB-abababababab',
    state: 'OPEN',
    owner: null,
    history: [],
    escalatedAt: null,
    version: 1,
  };

  it('derives the id from the identity only', () => {
    expect(open.breakId).toBe('BK-20260302-PR-abababababababababab');
    expect(breakIdentityText(identity)).toBe('PARTNER_REPAYMENTS\u00002026-03-02\u0000JN_RCB\u0000AMOUNT_MISMATCH\u0000INTEREST\u0000L1|R1');
    expect(reconciliationIdOf('PARTNER_LOANS', '2026-03-02', 'LS_IB', 'f'.repeat(64))).toBe('RC-20260302-PARTNER_LOANS-LS_IB-ffffffffffff');
  });

  it('refuses to accept without a reason, and records who moved it where', () => {
    expect(() => applyBreakAction(open, { action: 'ACCEPT', reason: '  ' }, 'fin.wang', '2026-03-04T02:00:00.000Z')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { path: 'reason', rule: 'required' } }));
    const investigating = applyBreakAction(open, { action: 'INVESTIGATE', reason: 'asked the bank' }, 'fin.wang', '2026-03-04T02:00:00.000Z');
    const accepted = applyBreakAction(investigating, { action: 'ACCEPT', reason: 'rounding agreed with JN_RCB' }, 'fin.li', '2026-03-05T02:00:00.000Z');
    expect([accepted.state, accepted.owner, accepted.version]).toEqual(['ACCEPTED', 'fin.wang', 3]);
    expect(accepted.history).toEqual([
      { at: '2026-03-04T02:00:00.000Z', by: 'fin.wang', from: 'OPEN', to: 'INVESTIGATING', reason: 'asked the bank', owner: 'fin.wang' },
      { at: '2026-03-05T02:00:00.000Z', by: 'fin.li', from: 'INVESTIGATING', to: 'ACCEPTED', reason: 'rounding agreed with JN_RCB', owner: 'fin.wang' },
    ]);
    expect(() => applyBreakAction(accepted, { action: 'INVESTIGATE', reason: 'again' }, 'fin.li', '2026-03-06T02:00:00.000Z')).toThrow(expect.objectContaining({ code: 'BREAK_CLOSED' }));
    expect(() => resolveByAdjustment(accepted, 'ADJ-1', 'fin.li', '2026-03-06T02:00:00.000Z', 'moved')).toThrow(expect.objectContaining({ code: 'BREAK_CLOSED' }));
    const resolved = resolveByAdjustment(open, 'ADJ-1', 'fin.li', '2026-03-06T02:00:00.000Z', 'booked');
    expect(resolveByAdjustment(resolved, 'ADJ-1', 'fin.li', '2026-03-07T02:00:00.000Z', 'booked')).toBe(resolved);
  });

  it('counts breaks by kind and age and nets the money ones per currency', () => {
    const counts = countBreaks(
      [
        { kind: 'AMOUNT_MISMATCH', openedOn: '2026-03-03', currency: 'CNY', differenceMinor: -1n },
        { kind: 'MISSING_OURS', openedOn: '2026-02-20', currency: 'CNY', differenceMinor: 500n },
        { kind: 'DATE_MISMATCH', openedOn: '2026-01-01', currency: 'CNY', differenceMinor: 9n },
      ],
      '2026-03-05',
    );
    expect(counts.byKind).toEqual({ MISSING_OURS: 1, MISSING_THEIRS: 0, AMOUNT_MISMATCH: 1, DATE_MISMATCH: 1, DUPLICATE: 0, CLASSIFICATION_MISMATCH: 0 });
    expect(counts.byAge).toEqual({ '0-1': 0, '2-3': 1, '4-7': 0, '8-30': 1, '31+': 1 });
    expect(counts.netDifferenceMinor).toEqual({ CNY: 499n });
  });
});
