import { describe, expect, it } from 'vitest';
import { runsInLambda, traces, tracing } from '../../../../../shared/adapters/telemetry/index.ts';

describe('tracing', () => {
  it('is on in a Lambda function unless the function is not traced, and off outside Lambda', () => {
    expect(traces({ AWS_LAMBDA_FUNCTION_NAME: 'Colend-Repayments' })).toBe(true);
    expect(traces({ AWS_LAMBDA_FUNCTION_NAME: 'Colend-Repayments', POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
    expect(traces({ AWS_LAMBDA_FUNCTION_NAME: 'Colend-Repayments', POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(traces({ POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(false);
    expect(traces({ AWS_LAMBDA_FUNCTION_NAME: '' })).toBe(false);
    expect(runsInLambda({})).toBe(false);
  });

  it('outside Lambda adds no middleware, so the X-Ray SDK is never loaded into the process', () => {
    expect(tracing).toEqual([]);
  });
});
