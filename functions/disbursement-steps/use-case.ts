import { RuleViolation, invariant } from '../../shared/domain/errors.ts';
import { releaseQuota, reserveQuota, takeQuota, type QuotaUsage, type Reservation } from '../../shared/domain/exposure.ts';
import type { Lender } from '../../shared/domain/lender.ts';
import { REGULATORY_PROFILES } from '../../shared/domain/regulatory-profile.ts';
import { FINAL_STATUSES, type ApplicationStatus } from '../../shared/domain/review.ts';
import { quotaUsageNow } from '../../shared/use-cases/outstanding.ts';
import { OPTIMISTIC_ATTEMPTS, WriteConflict, type ApplicationStore, type Clock, type ExposureStore, type LenderStore, type ProgramStore } from '../../shared/ports/stores.ts';

export interface DisbursementDeps {
  readonly applications: ApplicationStore;
  readonly exposure: ExposureStore;
  readonly lenders: LenderStore;
  readonly programs: ProgramStore;
  readonly clock: Clock;
}

/** Raised to the workflow by name; its Catch routes to Release. */
export class QuotaUnavailable extends Error {
  override readonly name = 'QuotaUnavailable';
}

/** Reads the quota, decides, writes on the versions read; another writer in between means read again. */
async function onFreshQuota(deps: DisbursementDeps, lender: Lender, write: (usage: QuotaUsage) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write(await quotaUsageNow(deps, lender));
      return;
    } catch (error) {
      if (!(error instanceof WriteConflict && error.entity === 'quota') || attempt >= OPTIMISTIC_ATTEMPTS) throw error;
    }
  }
}

/**
 * Reserves every lender's part of the plan, the lenders at once. Each reservation is its own
 * conditional write with the quota it takes from, so two plans racing for a lender's last quota
 * cannot both get it; a reservation already made (a retried step) refuses the write that would
 * make it again, and is kept as it is.
 */
export async function reserve(deps: DisbursementDeps, applicationId: string): Promise<{ applicationId: string; timeoutSeconds: number }> {
  const record = await deps.applications.get(applicationId);
  invariant(record?.plan, 'a plan exists before its quota is reserved', { applicationId });
  const plan = record.plan;
  const [program, lenders] = await Promise.all([
    deps.programs.get(record.application.programId, record.application.programVersion),
    deps.lenders.getMany(plan.map((l) => l.lenderId)),
  ]);
  invariant(program, 'the program version of an application exists', { applicationId });
  const at = deps.clock.now();
  // Read only when a lender's quota looks short: it may be this plan's own reservation, made before a retry.
  const reservedBefore = async (lenderId: string) => (await deps.exposure.reservations(applicationId)).some((r) => r.lenderId === lenderId);
  const outcomes = await Promise.allSettled(
    plan.map(async (line) => {
      const lender = lenders.get(line.lenderId);
      invariant(lender, 'plan lenders exist', { lenderId: line.lenderId });
      try {
        await onFreshQuota(deps, lender, (usage) => {
          const takes = takeQuota(lender, usage, line.amountMinor, applicationId);
          const reservation: Reservation = { applicationId, lenderId: line.lenderId, amountMinor: line.amountMinor, takes, state: 'RESERVED', at };
          return deps.exposure.reserve(reservation, reserveQuota(usage, takes));
        });
      } catch (error) {
        if (error instanceof WriteConflict && error.entity === 'reservation') return;
        if (error instanceof RuleViolation) {
          if (await reservedBefore(line.lenderId)) return;
          throw new QuotaUnavailable(error.message);
        }
        throw error;
      }
    }),
  );
  // Every lender's write has ended before the step fails, so Release finds whatever was reserved.
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  const profile = REGULATORY_PROFILES[program.regulatoryProfile];
  const cap = profile.partnerTakeWithinDays === null ? Infinity : profile.partnerTakeWithinDays * 86_400;
  return { applicationId, timeoutSeconds: Math.min(program.disbursementTimeoutSeconds, cap) };
}

/** Parks the saga until the lead reports the disbursement (or the wait times out). */
export async function awaitDisbursement(deps: DisbursementDeps, applicationId: string, taskToken: string): Promise<void> {
  await deps.applications.setDisbursementToken(applicationId, taskToken);
  await deps.applications.change(applicationId, {
    step: 'AwaitDisbursement',
    at: deps.clock.now(),
    event: 'AWAITING_DISBURSEMENT',
    detail: {},
    set: { status: 'AWAITING_DISBURSEMENT' },
  });
}

const FINAL_BY_CAUSE: Readonly<Record<string, ApplicationStatus>> = {
  QuotaUnavailable: 'REJECTED',
  DisbursementFailed: 'DISBURSEMENT_FAILED',
  DisbursementCancelled: 'CANCELLED',
  'States.Timeout': 'EXPIRED',
  BookingRefused: 'DISBURSEMENT_FAILED',
};

/**
 * Compensation: every reservation still held is released (each release is conditional on the
 * reservation still being RESERVED, so a retried release gives nothing back twice), then the
 * application's final status records why.
 */
export async function release(deps: DisbursementDeps, applicationId: string, cause: string): Promise<{ applicationId: string; status: ApplicationStatus }> {
  const at = deps.clock.now();
  const held = (await deps.exposure.reservations(applicationId)).filter((r) => r.state === 'RESERVED');
  const lenders = await deps.lenders.getMany(held.map((r) => r.lenderId));
  for (const reservation of held) {
    const lender = lenders.get(reservation.lenderId);
    invariant(lender, 'a reservation names an existing lender', { lenderId: reservation.lenderId });
    const released: Reservation = { ...reservation, state: 'RELEASED', at };
    try {
      await onFreshQuota(deps, lender, (usage) => deps.exposure.release(released, releaseQuota(usage, reservation.takes)));
    } catch (error) {
      if (!(error instanceof WriteConflict && error.entity === 'reservation')) throw error;
    }
  }
  const record = await deps.applications.get(applicationId);
  if (record && FINAL_STATUSES.includes(record.status)) return { applicationId, status: record.status };
  const status = FINAL_BY_CAUSE[cause] ?? 'DISBURSEMENT_FAILED';
  await deps.applications.change(applicationId, { step: 'Release', at, event: status, detail: { cause }, set: { status } });
  return { applicationId, status };
}
