import { describe, expect, it } from 'vitest';
import { failureOf } from '../../../../shared/contracts/step-failure.ts';

describe("a failed step's code and message", () => {
  it("are the domain error's when the cause carries it, else the Lambda error's, else the state's", () => {
    expect(failureOf({ Error: 'StateConflict', Cause: JSON.stringify({ errorType: 'StateConflict', errorMessage: 'the run is DONE', code: 'REGULATORY_REPORT_NOT_RUNNING' }) })).toEqual({
      code: 'REGULATORY_REPORT_NOT_RUNNING',
      message: 'the run is DONE',
    });
    expect(failureOf({ Error: 'TableUnreachable', Cause: JSON.stringify({ errorType: 'TableUnreachable', errorMessage: 'unreachable' }) })).toEqual({ code: 'TableUnreachable', message: 'unreachable' });
    expect(failureOf({ Error: 'States.Timeout', Cause: 'the task timed out' })).toEqual({ code: 'States.Timeout', message: 'the task timed out' });
    expect(failureOf({})).toEqual({ code: 'FAILED', message: 'the run failed' });
  });
});
