import { borrowerOutstanding, checkTransferBuyer, lenderOutstanding, personOwed, quotaUsageOf, type BorrowerExposure, type BorrowerOutstanding, type BorrowerPrincipal, type LenderOutstanding, type PersonMeasure, type QuotaUsage } from '../domain/exposure.ts';
import type { Lender } from '../domain/lender.ts';
import type { Loan } from '../domain/loan.ts';
import { otherBorrowerIds, personHashOf, type Person } from '../domain/person.ts';
import type { ExposureStore, LenderStore } from '../ports/stores.ts';
import { lendersOnDate, type FiguresDeps } from './regulatory-figures.ts';

/**
 * The one read of the outstanding principal that every limit is judged by (docs/allocation.md):
 * a lender's quota shards with its principal shards, a borrower's exposure with its principal.
 * The review, the reservation of a plan, a booking and an application's admission all read here.
 */
export interface OutstandingDeps {
  readonly exposure: Pick<ExposureStore, 'quotaShards' | 'principalShards' | 'borrowerExposure' | 'borrowerPrincipal' | 'person'>;
}

async function readQuota(deps: OutstandingDeps, lenderId: string): Promise<Pick<QuotaUsage, 'shards' | 'moves'>> {
  const [shards, moves] = await Promise.all([deps.exposure.quotaShards(lenderId), deps.exposure.principalShards(lenderId)]);
  return { shards, moves };
}

/** A lender's quota as it stands: its shards, and what changes moved since booking. */
export async function quotaUsageNow(deps: OutstandingDeps, lender: Lender): Promise<QuotaUsage> {
  const { shards, moves } = await readQuota(deps, lender.lenderId);
  return quotaUsageOf(lender, shards, moves);
}

/** A lender's outstanding principal, in total and per lead, and its quota reserved. */
export async function lenderOutstandingNow(deps: OutstandingDeps, lenderId: string): Promise<LenderOutstanding> {
  return lenderOutstanding(await readQuota(deps, lenderId));
}

/** What the caps of a borrower are judged on: its own items, its person, and what the person owes now across all its ids. */
export interface BorrowerNow {
  /** The borrower id's exposure item as bookings wrote it (S17). */
  readonly booked: BorrowerExposure;
  /** What changes of the id's loans moved since (S36). */
  readonly moved: BorrowerPrincipal;
  /** The person the id is measured as (S41), at the version read; null when no identity hash names one. */
  readonly person: Person | null;
  /** The person's other ids and what each owes now, for `addBorrowerExposure`. */
  readonly measure: PersonMeasure;
  /** What the borrower owes now: the person's sum over its ids, or the id's own when there is no person. */
  readonly owed: BorrowerOutstanding;
}

/**
 * A borrower's figures now (docs/personal-data.md, matching one person): its own exposure and
 * principal, and, when the request carries an identity hash or the id was booked with one, the
 * person's other borrower ids, each read the same way and added. Without a person this is the
 * two reads it always was; with one, one more read for the person and two per other id.
 */
export async function borrowerNow(deps: OutstandingDeps, borrower: string | { readonly borrowerId: string; readonly personalData?: { readonly identityHash: string | null } | undefined }): Promise<BorrowerNow> {
  const subject = typeof borrower === 'string' ? { borrowerId: borrower } : borrower;
  const requested = subject.personalData?.identityHash ?? null;
  const [booked, moved, requestedPerson] = await Promise.all([
    deps.exposure.borrowerExposure(subject.borrowerId),
    deps.exposure.borrowerPrincipal(subject.borrowerId),
    requested === null ? Promise.resolve(null) : deps.exposure.person(requested),
  ]);
  const own = borrowerOutstanding(booked, moved);
  const identityHash = personHashOf(subject, booked);
  if (identityHash === null) return { booked, moved, person: null, measure: { identityHash: null, others: [] }, owed: own };
  const person = requestedPerson ?? (await deps.exposure.person(identityHash));
  const others = await Promise.all(
    otherBorrowerIds(person, subject.borrowerId).map(async (borrowerId) => {
      const [b, m] = await Promise.all([deps.exposure.borrowerExposure(borrowerId), deps.exposure.borrowerPrincipal(borrowerId)]);
      return borrowerOutstanding(b, m);
    }),
  );
  return { booked, moved, person, measure: { identityHash, others }, owed: personOwed(own, others) };
}

export interface TransferLimitsDeps extends OutstandingDeps, FiguresDeps {
  readonly lenders: Pick<LenderStore, 'getMany'>;
}

/**
 * A share transfer's buyer, judged as a booking judges a lender (docs/allocation.md): its quota,
 * its cap per borrower and the ratio rules with its figures in force on `today`, on what it holds
 * now. Read before the change is booked: a booking of the same buyer at the same moment is not
 * serialized with it (the transfer writes no quota shard), so both may pass on the same room.
 */
export async function checkTransferLimits(deps: TransferLimitsDeps, loan: Loan, transfer: { toLenderId: string; principalMinor: bigint }, today: string): Promise<void> {
  const participant = loan.terms.participants.find((p) => p.lenderId === transfer.toLenderId);
  if (participant === undefined || (participant.role !== 'LEAD' && participant.role !== 'PARTNER')) return; // refused by the book as no funding participant
  const buyer = (await lendersOnDate(deps, [transfer.toLenderId], today)).get(transfer.toLenderId);
  if (buyer === undefined) return;
  const [usage, borrower] = await Promise.all([quotaUsageNow(deps, buyer), borrowerNow(deps, loan.borrower)]);
  checkTransferBuyer(buyer, participant.role, usage, { borrowerId: loan.borrower.borrowerId, owed: borrower.owed }, transfer.principalMinor, loan.terms.leadLenderId, loan.terms.regulatoryProfile);
}
