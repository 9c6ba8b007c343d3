import { describe, expect, it } from 'vitest';
import { apiCorrelation, stepCorrelation } from '../../../../../shared/adapters/telemetry/correlation.ts';

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

  it("a workflow step: the business ids of its payload, or of the execution's input it is handed", () => {
    expect(stepCorrelation({ step: 'CloseRun', businessDate: '2025-03-04' })).toEqual({ businessDate: '2025-03-04' });
    expect(stepCorrelation({ step: 'OpenRun', input: { businessDate: '2025-03-04' } })).toEqual({ businessDate: '2025-03-04' });
    expect(stepCorrelation({ loanId: 'LN-1', rows: [] })).toEqual({ loanId: 'LN-1' });
    expect(stepCorrelation(null)).toEqual({});
  });

  it("a workflow step: its execution's id, with the business ids beside it", () => {
    const executionId = 'arn:aws:states:cn-north-1:000000000000:execution:Settlement:settle-2025-03-04';
    expect(stepCorrelation({ step: 'CloseRun', executionId, businessDate: '2025-03-04' })).toEqual({ executionId, businessDate: '2025-03-04' });
    expect(stepCorrelation({ step: 'AssessShard', executionId, shard: 3, input: { businessDate: '2025-03-04' } })).toEqual({ executionId, businessDate: '2025-03-04' });
    expect(stepCorrelation({ executionId: 7, loanId: 'LN-1' })).toEqual({ loanId: 'LN-1' });
  });
});
