import { describe, expect, it } from 'vitest';
import { apiCorrelation, stepCorrelation } from '../../../../../shared/adapters/telemetry/correlation.ts';
import { withoutExecutionId } from '../../../../../shared/adapters/telemetry/index.ts';

const EXECUTION = 'arn:aws:states:cn-north-1:123456789012:execution:Settlement:2025-03-04';

describe('correlation ids', () => {
  it("an API request: API Gateway's request id, the ids of its path, then those of its body", () => {
    const event = { requestContext: { requestId: 'req-1' }, pathParameters: { loanId: 'LN-1' } };
    expect(apiCorrelation(event, undefined)).toEqual({ requestId: 'req-1', loanId: 'LN-1' });
    expect(apiCorrelation({ requestContext: { requestId: 'req-2' } }, { repayments: [{ repaymentId: 'R-1', loanId: 'LN-2', valueDate: '2025-03-04' }] })).toEqual({
      requestId: 'req-2',
      loanId: 'LN-2',
      repaymentId: 'R-1',
    });
    expect(apiCorrelation({ requestContext: { requestId: 'req-3' }, pathParameters: { date: '2025-03-04' } }, { businessDate: '2025-03-05' })).toEqual({ requestId: 'req-3', businessDate: '2025-03-04' });
  });

  it('a batch of many repayments names none of them; a value that is not a short string is left out', () => {
    const body = { repayments: [{ repaymentId: 'R-1', loanId: 'LN-1' }, { repaymentId: 'R-2', loanId: 'LN-2' }], loanId: 42 };
    expect(apiCorrelation({ requestContext: { requestId: 'req-1' } }, body)).toEqual({ requestId: 'req-1' });
    expect(apiCorrelation({}, { loanId: 'x'.repeat(257) })).toEqual({});
  });

  it("a workflow step: the execution its payload names and the business ids of its input or of the execution's", () => {
    expect(stepCorrelation({ step: 'CloseRun', businessDate: '2025-03-04', executionId: EXECUTION })).toEqual({ businessDate: '2025-03-04', executionId: EXECUTION });
    expect(stepCorrelation({ step: 'OpenRun', input: { businessDate: '2025-03-04' }, executionId: EXECUTION })).toEqual({ businessDate: '2025-03-04', executionId: EXECUTION });
    expect(stepCorrelation({ loanId: 'LN-1', rows: [] })).toEqual({ loanId: 'LN-1' });
    expect(stepCorrelation(null)).toEqual({});
  });

  it('hands a step its payload without the execution id, and any other event as it is', () => {
    expect(withoutExecutionId({ step: 'CloseRun', businessDate: '2025-03-04', executionId: EXECUTION })).toEqual({ step: 'CloseRun', businessDate: '2025-03-04' });
    const event = { Records: [] };
    expect(withoutExecutionId(event)).toBe(event);
    expect(withoutExecutionId([1])).toEqual([1]);
  });
});
