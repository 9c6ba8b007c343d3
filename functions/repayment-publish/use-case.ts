import { toJson } from '../../shared/json.ts';
import type { PublishInput } from './schema.ts';

export interface PublishDeps {
  readonly publish: (detailType: string, detail: string) => Promise<void>;
}

export const LOAN_LEDGER_EVENTS = {
  booked: 'colend.repayment.booked',
  reversed: 'colend.repayment.reversed',
  COMPENSATION: 'colend.loan.compensated',
  WRITE_OFF: 'colend.loan.written-off',
  TRANSFER: 'colend.loan.share-transferred',
} as const;

/**
 * `Publish`: the change's result on the event bus. A replay publishes again (at least once);
 * consumers keep the first event of each repayment or event id.
 */
export async function publishChange(deps: PublishDeps, input: PublishInput): Promise<PublishInput> {
  const replayed = input.status === 'REPLAYED';
  const event = (input as { event?: { type: 'COMPENSATION' | 'WRITE_OFF' | 'TRANSFER' } }).event;
  if (event !== undefined) {
    const detailType = LOAN_LEDGER_EVENTS[event.type];
    await deps.publish(detailType, toJson({ type: detailType, replayed, event, entryIds: input.entryIds }));
    return input;
  }
  const { repayment } = input as { repayment: unknown };
  const detailType = input.status === 'REVERSED' ? LOAN_LEDGER_EVENTS.reversed : LOAN_LEDGER_EVENTS.booked;
  await deps.publish(detailType, toJson({ type: detailType, replayed, repayment, entryIds: input.entryIds }));
  return input;
}
