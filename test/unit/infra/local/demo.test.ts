import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCollectionFile } from '../../../../shared/adapters/files/collection-file.ts';
import { scheduleDueDates } from '../../../../shared/domain/schedule.ts';
import { DEMO_BUSINESS_DATE, DEMO_CLOCK_START, DEMO_LENDERS, DEMO_LOAN, DEMO_PROGRAM } from '../../../../infra/local/demo.ts';
import { REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';
import { stackClock } from '../../../../infra/local/stack.ts';

/** The demo `npm start` seeds, against what the README walks a new user through. */

const README = readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8');

/** Every JSON body the README sends with `curl -d '...'`. */
function readmeBodies(): Record<string, unknown>[] {
  return [...README.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((match) => JSON.parse(match[1]!) as Record<string, unknown>);
}

describe('the demo clock', () => {
  it('starts on the demo business date, in the morning in Beijing, and runs on', () => {
    expect(DEMO_CLOCK_START).toBe('2026-12-01T02:00:00.000Z');
    let now = 1_000_000;
    const clock = stackClock(DEMO_CLOCK_START, () => now);
    expect(clock()).toBe('2026-12-01T02:00:00.000Z');
    now += 90_000;
    expect(clock()).toBe('2026-12-01T02:01:30.000Z');
    expect(stackClock(undefined)()).toBeNull();
    expect(() => stackClock('30/11/2026')).toThrow('clockStart is not an ISO instant: 30/11/2026');
  });

  it('leaves the demo loan current: disbursed before it, its first instalment due after it', () => {
    expect(DEMO_LOAN.disbursementDate <= DEMO_BUSINESS_DATE).toBe(true);
    expect(scheduleDueDates(DEMO_LOAN.disbursementDate, DEMO_LOAN.termMonths)[0]).toBe('2026-12-02');
  });
});

describe('what the README books on the demo program', () => {
  const bodies = readmeBodies();
  const loans = bodies.filter((b) => b.programId === DEMO_PROGRAM.programId);

  it('finds the loan and the application of the walk-through', () => {
    expect(loans.map((b) => b.loanId ?? b.applicationId)).toEqual(['LOAN-0002', 'APP-0003']);
  });

  it('fits the program: amount, term, method and rate in range, every part under its lender caps', () => {
    for (const body of loans) {
      const amount = BigInt(String(body.principalMinor ?? body.amountMinor));
      expect(amount >= BigInt(DEMO_PROGRAM.amountRange.minMinor) && amount <= BigInt(DEMO_PROGRAM.amountRange.maxMinor)).toBe(true);
      const term = Number(body.termMonths);
      expect(term >= DEMO_PROGRAM.termMonthsRange.min && term <= DEMO_PROGRAM.termMonthsRange.max).toBe(true);
      expect(DEMO_PROGRAM.repaymentMethods).toContain(body.repaymentMethod);
      const rate = Number(body.annualRate);
      expect(rate >= Number(DEMO_PROGRAM.borrowerRateRange.min) && rate <= Number(DEMO_PROGRAM.borrowerRateRange.max)).toBe(true);
      for (const part of (body.fundingPlan as { lenderId: string; amountMinor: string }[] | undefined) ?? []) {
        const lender = DEMO_LENDERS.find((l) => l.lenderId === part.lenderId);
        expect(BigInt(part.amountMinor) <= BigInt(lender!.limits.perBorrowerCapMinor)).toBe(true);
      }
    }
  });

  it('dates everything before the demo business date: the days it names are closed', () => {
    const dates = bodies.flatMap((b) => [b.disbursementDate, ...((b.repayments as { valueDate: string }[] | undefined) ?? []).map((r) => r.valueDate)]).filter((d): d is string => typeof d === 'string');
    expect(dates.length).toBeGreaterThanOrEqual(3);
    for (const date of dates) expect([date, date < DEMO_BUSINESS_DATE]).toEqual([date, true]);
    for (const date of [...README.matchAll(/settle --date (\d{4}-\d{2}-\d{2})/g)].map((m) => m[1]!)) expect([date, date < DEMO_BUSINESS_DATE]).toEqual([date, true]);
  });
});

describe('the collection file the README imports', () => {
  const named = /import-collections (\S+\.csv)/.exec(README)?.[1];

  it('ships in examples/ and is read without a problem', () => {
    expect(named).toBe('examples/collections-20261129.csv');
    const path = join(REPOSITORY_ROOT, named!);
    expect(existsSync(path)).toBe(true);
    const parsed = parseCollectionFile(readFileSync(path, 'utf8'));
    expect(parsed.errors).toEqual([]);
    expect(parsed.repayments.map(({ request: r }) => [r.repaymentId, r.loanId, r.amountMinor, r.valueDate])).toEqual([
      ['C-20261129-0001', 'DEMO-LOAN-0001', 50000n, '2026-11-29'],
      ['C-20261129-0002', 'LOAN-0002', 100000n, '2026-11-29'],
      ['C-20261129-0003', 'LOAN-0002', 20000n, '2026-11-29'],
    ]);
  });
});
