import { withoutPersonalData } from '../../shared/use-cases/personal-data.ts';
import { invariant } from '../../shared/domain/errors.ts';
import { outcomeOf } from '../../shared/domain/review.ts';
import type { ApplicationStore, LenderStore, PartnerNotifier, TaskResumer } from '../../shared/ports/stores.ts';

export interface AskDeps {
  readonly applications: ApplicationStore;
  readonly lenders: LenderStore;
  readonly notifier: PartnerNotifier;
  readonly tasks: TaskResumer;
}

/**
 * Asks one partner: keeps the task token with the ask (the decision API resumes the review with
 * it) and notifies the partner. A decision that arrived before the token was kept resumes the
 * review here; a retried step notifies again, which partners handle by the delivery id.
 */
export async function askPartner(deps: AskDeps, input: { applicationId: string; lenderId: string; round: number; taskToken: string }): Promise<void> {
  const { applicationId, lenderId, round, taskToken } = input;
  await deps.applications.setAskToken(applicationId, lenderId, taskToken);
  const ask = await deps.applications.ask(applicationId, lenderId);
  invariant(ask, 'an ask exists before its partner is notified', { applicationId, lenderId });
  if (ask.state !== 'PENDING') {
    await deps.tasks.succeed(taskToken, outcomeOf(ask));
    return;
  }
  const [lender, record] = await Promise.all([deps.lenders.get(lenderId), deps.applications.get(applicationId)]);
  invariant(lender && record, 'the lender and application of an ask exist', { applicationId, lenderId });
  const { application } = record;
  await deps.notifier.reviewRequested(lender, {
    applicationId,
    lenderId,
    round,
    askedAmountMinor: ask.askedAmountMinor,
    minimumAmountMinor: ask.minimumAmountMinor,
    deadline: ask.deadline,
    application: {
      programId: application.programId,
      programVersion: application.programVersion,
      // Personal data never leaves in a review request, not even sealed: an entitled partner reads it through the API.
      borrower: withoutPersonalData(application.borrower),
      amountMinor: application.amountMinor,
      termMonths: application.termMonths,
      repaymentMethod: application.repaymentMethod,
      annualRate: application.annualRate,
      purpose: application.purpose,
      leadApproval: application.leadApproval,
    },
  });
}
