import { describe, expect, it } from 'vitest';
import { publishInput, type PublishInput } from '../../../../functions/repayment-publish/schema.ts';
import { LOAN_LEDGER_EVENTS, publishChange } from '../../../../functions/repayment-publish/use-case.ts';
import { validate } from '../../../../shared/http/api.ts';
import { LOAN_ID } from '../../../support/builders.ts';

function recorder() {
  const published: { detailType: string; detail: string }[] = [];
  return {
    published,
    deps: {
      publish: async (detailType: string, detail: string): Promise<void> => {
        published.push({ detailType, detail });
      },
    },
  };
}

const repayment = { repaymentId: 'R-1', loanId: LOAN_ID, amountMinor: '86642', entryId: 'REPAYMENT#R-1', generation: 0 };

function input(status: 'BOOKED' | 'REVERSED' | 'REPLAYED', entryIds: string[]): PublishInput {
  return validate(publishInput, { status, repayment, entryIds });
}

describe('publishChange: repayments', () => {
  it('puts colend.repayment.booked with the repayment and the entry ids, and passes its input on', async () => {
    const { published, deps } = recorder();
    const booked = input('BOOKED', ['REPAYMENT#R-1', 'REBOOK#R-0#1']);
    expect(await publishChange(deps, booked)).toBe(booked);
    expect(published).toEqual([
      {
        detailType: 'colend.repayment.booked',
        detail: JSON.stringify({ type: 'colend.repayment.booked', replayed: false, repayment, entryIds: ['REPAYMENT#R-1', 'REBOOK#R-0#1'] }),
      },
    ]);
  });

  it('puts colend.repayment.reversed for a reversal', async () => {
    const { published, deps } = recorder();
    await publishChange(deps, input('REVERSED', ['REVERSAL#V-1']));
    expect(published.map((p) => p.detailType)).toEqual(['colend.repayment.reversed']);
    expect(JSON.parse(published[0]!.detail)).toEqual({ type: 'colend.repayment.reversed', replayed: false, repayment, entryIds: ['REVERSAL#V-1'] });
  });

  it('publishes a replay again, marked replayed, as a booking', async () => {
    const { published, deps } = recorder();
    await publishChange(deps, input('REPLAYED', []));
    expect(published).toEqual([
      { detailType: 'colend.repayment.booked', detail: JSON.stringify({ type: 'colend.repayment.booked', replayed: true, repayment, entryIds: [] }) },
    ]);
  });

  it('names the two repayment detail types', () => {
    expect([LOAN_LEDGER_EVENTS.booked, LOAN_LEDGER_EVENTS.reversed]).toEqual(['colend.repayment.booked', 'colend.repayment.reversed']);
  });

  it('lets a failure to publish fail the task', async () => {
    const failing = { publish: async (): Promise<void> => Promise.reject(new Error('bus unavailable')) };
    await expect(publishChange(failing, input('BOOKED', ['REPAYMENT#R-1']))).rejects.toThrow('bus unavailable');
  });
});
