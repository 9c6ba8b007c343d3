import { borrowerOutstanding, checkTransferBuyer, lenderOutstanding, quotaUsageOf, type BorrowerExposure, type BorrowerOutstanding, type BorrowerPrincipal, type LenderOutstanding, type QuotaUsage } from '../domain/exposure.ts';
import type { Lender } from '../domain/lender.ts';
import type { Loan } from '../domain/loan.ts';
import type { ExposureStore, LenderStore } from '../ports/stores.ts';
import { lendersOnDate, type FiguresDeps } from './regulatory-figures.ts';

/**
 * The one read of the outstanding principal that every limit is judged by (docs/allocation.md):
 * a lender's quota shards with its principal shards, a borrower's exposure with its principal.
 * The review, the reservation of a plan, a booking and an application's admission all read here.
 */
export interface OutstandingDeps {
  readonly exposure: Pick<ExposureStore, 'quotaShards' | 'principalShards' | 'borrowerExposure' | 'borrowerPrincipal'>;
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

/** A borrower's exposure item as bookings wrote it, what changes moved since, and what it owes now. */
export async function borrowerNow(deps: OutstandingDeps, borrowerId: string): Promise<{ booked: BorrowerExposure; moved: BorrowerPrincipal; owed: BorrowerOutstanding }> {
  const [booked, moved] = await Promise.all([deps.exposure.borrowerExposure(borrowerId), deps.exposure.borrowerPrincipal(borrowerId)]);
  return { booked, moved, owed: borrowerOutstanding(booked, moved) };
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
  const [usage, borrower] = await Promise.all([quotaUsageNow(deps, buyer), borrowerNow(deps, loan.borrower.borrowerId)]);
  checkTransferBuyer(buyer, participant.role, usage, { borrowerId: loan.borrower.borrowerId, owed: borrower.owed }, transfer.principalMinor, loan.terms.leadLenderId, loan.terms.regulatoryProfile);
}
