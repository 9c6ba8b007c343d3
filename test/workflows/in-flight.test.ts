import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InFlightExecution } from '../../infra/local/stepfunctions.ts';
import { eventually, reviewWorkflows } from './support/review-workflows.ts';
import type { ReviewWorkflows, TestHandler } from './support/review-workflows.ts';

/**
 * A joint review waiting for a partner and a disbursement waiting for the lead, when the local
 * stack stops and starts again on the same data (`--persist`): the next runtime resumes both from
 * the journal, with new task tokens, and the answers then complete them.
 */

interface Call {
  readonly fn: string;
  readonly event: Record<string, unknown>;
}

let dir: string;
let journal: string;
const calls: Call[] = [];

const handler =
  (fn: string, answer: (event: Record<string, unknown>) => unknown): TestHandler =>
  async (event) => {
    calls.push({ fn, event });
    return answer(event);
  };

const handlers = {
  'review-steps': handler('review-steps', (event) =>
    event.step === 'ChooseCandidates'
      ? { applicationId: event.applicationId, round: 1, asks: [{ applicationId: event.applicationId, lenderId: 'BANK_A', round: 1, timeoutSeconds: 600 }], outcome: 'ASK' }
      : { applicationId: event.applicationId, outcome: 'REJECT', round: 1 },
  ),
  'review-ask': handler('review-ask', () => null),
  'disbursement-steps': handler('disbursement-steps', (event) => (event.step === 'ReserveQuota' ? { applicationId: event.applicationId, timeoutSeconds: 600 } : null)),
  'disbursement-book': handler('disbursement-book', (event) => ({ loanId: `LOAN-${String(event.applicationId)}` })),
};

const tokenOf = (fn: string, applicationId: string, after: number) =>
  eventually(() => calls.slice(after).find((call) => call.fn === fn && call.event.applicationId === applicationId && typeof call.event.taskToken === 'string')?.event.taskToken as string | undefined);

const journaled = (): InFlightExecution[] => (JSON.parse(readFileSync(journal, 'utf8')) as { executions: InFlightExecution[] }).executions;

let first: ReviewWorkflows;
let second: ReviewWorkflows | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'colend-in-flight-'));
  journal = join(dir, 'executions.json');
  first = reviewWorkflows(handlers, { journal });
});

afterAll(async () => {
  await first.runtime.stop();
  await second?.runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('executions waiting for an answer when the local stack stops', () => {
  it('are kept in the journal across the stop, and resumed by the next runtime on the same data', async () => {
    first.runtime.startExecution({ stateMachineArn: first.jointReview.arn, name: 'APP-REVIEW', input: '{"applicationId":"APP-REVIEW","round":1}' });
    first.runtime.startExecution({ stateMachineArn: first.disbursement.arn, name: 'APP-DISB', input: '{"applicationId":"APP-DISB"}' });
    const oldReviewToken = await tokenOf('review-ask', 'APP-REVIEW', 0);
    const oldDisbursementToken = await tokenOf('disbursement-steps', 'APP-DISB', 0);
    expect(journaled().map((e) => [e.stateMachine.replace(/[0-9A-F]{8}$/, ''), e.name, e.input]).sort()).toEqual([
      ['DisbursementStateMachine', 'APP-DISB', '{"applicationId":"APP-DISB"}'],
      ['JointReviewStateMachine', 'APP-REVIEW', '{"applicationId":"APP-REVIEW","round":1}'],
    ]);

    await first.runtime.stop();
    expect(journaled().map((e) => e.name).sort()).toEqual(['APP-DISB', 'APP-REVIEW']);

    const before = calls.length;
    second = reviewWorkflows(handlers, { journal });
    const { resumed, notResumed } = second.runtime.resumeInFlight();
    expect(resumed.map((e) => e.name).sort()).toEqual(['APP-DISB', 'APP-REVIEW']);
    expect(notResumed).toEqual([]);

    // From the first state, with the same input: each partner and the lead are asked again, with new tokens.
    const reviewToken = await tokenOf('review-ask', 'APP-REVIEW', before);
    const disbursementToken = await tokenOf('disbursement-steps', 'APP-DISB', before);
    expect([reviewToken, disbursementToken]).not.toContain(oldReviewToken);
    expect([reviewToken, disbursementToken]).not.toContain(oldDisbursementToken);
    expect(() => second?.runtime.sendTaskSuccess(oldDisbursementToken, '{}')).toThrow(expect.objectContaining({ code: 'TaskDoesNotExist' }));

    second.runtime.sendTaskSuccess(reviewToken, JSON.stringify({ lenderId: 'BANK_A', decision: 'DECLINE' }));
    second.runtime.sendTaskSuccess(disbursementToken, JSON.stringify({ applicationId: 'APP-DISB', disbursementReference: 'TRX-1', disbursementDate: '2026-12-07' }));
    const review = await second.runtime.waitForExecution('arn:aws:states:us-east-1:000000000000:execution:' + second.jointReview.logicalId + ':APP-REVIEW');
    const disbursement = await second.runtime.waitForExecution('arn:aws:states:us-east-1:000000000000:execution:' + second.disbursement.logicalId + ':APP-DISB');
    expect([review.status, disbursement.status, disbursement.output]).toEqual(['SUCCEEDED', 'SUCCEEDED', '{"loanId":"LOAN-APP-DISB"}']);
    expect(calls.slice(before).filter((c) => c.fn === 'review-steps').map((c) => c.event.step)).toEqual(['ChooseCandidates', 'Allocate']);
    expect(journaled()).toEqual([]);
  });

  it('leaves stopped, with the reason, an execution whose state machine is gone from the template', () => {
    const gone = { stateMachine: 'SettlementStateMachine12345678', name: 'settlement-2026-12-06-1', input: '{"businessDate":"2026-12-06"}', startDate: '2026-12-06T15:00:00.000Z' };
    writeFileSync(journal, JSON.stringify({ executions: [gone] }));
    const third = reviewWorkflows(handlers, { journal });
    expect(third.runtime.resumeInFlight()).toEqual({ resumed: [], notResumed: [{ ...gone, reason: 'its state machine is not in the template any more' }] });
    expect(journaled()).toEqual([]);
  });

  it('refuses a journal it cannot read, naming the field', () => {
    writeFileSync(journal, JSON.stringify({ executions: [{ stateMachine: 'X', name: 'Y' }] }));
    expect(() => reviewWorkflows(handlers, { journal }).runtime.resumeInFlight()).toThrow(`${journal}: executions[0] needs the strings stateMachine, name, input and startDate`);
  });
});
