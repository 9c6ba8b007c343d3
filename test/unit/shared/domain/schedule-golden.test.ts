import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DayCount, RemainderRule, RoundingMode } from '../../../../shared/domain/money/index.ts';
import type { RepaymentMethod } from '../../../../shared/domain/program.ts';
import type { LenderSchedule, Schedule, ScheduleFunding, ScheduleTerms } from '../../../../shared/domain/schedule.ts';
import { borrowerSchedule, lenderSchedules } from '../../../../shared/domain/schedule.ts';

/**
 * The golden schedules of test/golden/schedules, computed from docs/schedules.md by an independent
 * implementation (generate.py). Every instalment and every field must match to the minor unit.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../golden/schedules');

interface GoldenTerms {
  principalMinor: string;
  annualRate: string;
  termMonths: number;
  method: RepaymentMethod;
  disbursementDate: string;
  firstDueDate?: string;
  dayCount: DayCount;
  roundingMode: RoundingMode;
}

interface Golden {
  name: string;
  description: string;
  terms: GoldenTerms;
  schedule: unknown;
  fundingPlan?: { lenderId: string; amountMinor: string; priority?: number }[];
  rule?: RemainderRule;
  lenderSchedules?: unknown;
}

function loadGoldens(): Golden[] {
  return readdirSync(GOLDEN_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Golden);
}

function termsOf(golden: GoldenTerms): ScheduleTerms {
  const { principalMinor, firstDueDate, ...rest } = golden;
  return { ...rest, principalMinor: BigInt(principalMinor), ...(firstDueDate === undefined ? {} : { firstDueDate }) };
}

/** The engine's output in the goldens' JSON shape: minor units as decimal strings. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

function scheduleJson(schedule: Schedule): unknown {
  const { method, totalPrincipalMinor, totalInterestMinor, instalments } = schedule;
  return asJson({ method, totalPrincipalMinor, totalInterestMinor, instalments });
}

function lendersJson(lenders: readonly LenderSchedule[]): unknown {
  return asJson(
    lenders.map(({ lenderId, totalPrincipalMinor, totalInterestMinor, instalments }) => ({
      lenderId,
      totalPrincipalMinor,
      totalInterestMinor,
      instalments,
    })),
  );
}

const goldens = loadGoldens();

describe('golden schedules', () => {
  it('has the goldens: every method, lender splits under both remainder rules', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(20);
    const methods = new Set(goldens.map((g) => g.terms.method));
    expect([...methods].sort()).toEqual(['BULLET', 'EQUAL_INSTALLMENT', 'EQUAL_PRINCIPAL', 'INTEREST_ONLY']);
    const rules = new Set(goldens.flatMap((g) => (g.rule ? [g.rule.kind] : [])));
    expect([...rules].sort()).toEqual(['LARGEST_REMAINDER', 'ROUNDING_PARTY']);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, golden) => {
    const schedule = borrowerSchedule(termsOf(golden.terms));
    expect(scheduleJson(schedule)).toEqual(golden.schedule);
    if (golden.fundingPlan !== undefined && golden.rule !== undefined) {
      const plan = golden.fundingPlan.map(
        (p): ScheduleFunding => ({ ...p, amountMinor: BigInt(p.amountMinor) }),
      );
      expect(lendersJson(lenderSchedules(schedule, plan, golden.rule))).toEqual(golden.lenderSchedules);
    }
  });
});
