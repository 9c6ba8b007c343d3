import { toJson } from '../../shared/json.ts';
import type { PublishInput } from './schema.ts';

export interface PublishDeps {
  readonly publish: (detailType: string, detail: string) => Promise<void>;
}

export const REPAYMENT_EVENTS = { booked: 'colend.repayment.booked', reversed: 'colend.repayment.reversed' } as const;

/**
 * `Publish`: the booking's result on the event bus. A replay publishes again (at least once);
 * consumers keep the first event of each repayment id and entry ids.
 */
export async function publishRepayment(deps: PublishDeps, input: PublishInput): Promise<PublishInput> {
  const detailType = input.status === 'REVERSED' ? REPAYMENT_EVENTS.reversed : REPAYMENT_EVENTS.booked;
  await deps.publish(detailType, toJson({ type: detailType, replayed: input.status === 'REPLAYED', repayment: input.repayment, entryIds: input.entryIds }));
  return input;
}
