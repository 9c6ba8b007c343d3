import { describe, expect, it } from 'vitest';
import { TaskFailure, TaskTokenRegistry } from '../../../../infra/local/task-tokens.ts';

const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:Flow:run-1';

describe('task tokens', () => {
  it('hands out one token per Task state, claimed from the input that carries it', () => {
    const tokens = new TaskTokenRegistry();
    const token = tokens.tokenFor(EXECUTION);
    expect(tokens.tokenFor(EXECUTION)).toBe(token);
    expect(tokens.claim(EXECUTION, { Payload: { taskToken: token } })).toEqual([token]);
    expect(tokens.tokenFor(EXECUTION)).not.toBe(token);
  });

  it('resolves with the output of SendTaskSuccess and rejects with the error of SendTaskFailure', async () => {
    const tokens = new TaskTokenRegistry();
    const answered = tokens.tokenFor(EXECUTION);
    tokens.claim(EXECUTION, answered);
    const waiting = tokens.wait(answered);
    tokens.succeed(answered, '{"decision":"APPROVE"}');
    await expect(waiting).resolves.toEqual({ decision: 'APPROVE' });

    const failed = tokens.tokenFor(EXECUTION);
    tokens.claim(EXECUTION, failed);
    const failing = tokens.wait(failed);
    tokens.fail(failed, 'DisbursementCancelled', 'by the lead');
    await expect(failing).rejects.toEqual(new TaskFailure('DisbursementCancelled', 'by the lead'));
    await expect(failing).rejects.toMatchObject({ name: 'DisbursementCancelled' });
  });

  it('expires a token at its deadline: later answers are refused, and the timeout is left to the waiting task', async () => {
    const tokens = new TaskTokenRegistry();
    const token = tokens.tokenFor(EXECUTION);
    tokens.claim(EXECUTION, token);
    let settled = false;
    void tokens.wait(token, { deadline: Date.now() + 50 }).finally(() => (settled = true));
    expect(tokens.openTokens(EXECUTION)).toEqual([token]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(tokens.openTokens(EXECUTION)).toEqual([]);
    expect(() => tokens.succeed(token, '{}')).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
    expect(() => tokens.fail(token, 'Late')).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
    expect(settled).toBe(false);
  });

  it('expires at once a token whose deadline passed while its function was still running', async () => {
    const tokens = new TaskTokenRegistry();
    const token = tokens.tokenFor(EXECUTION);
    tokens.claim(EXECUTION, token);
    void tokens.wait(token, { deadline: Date.now() - 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(() => tokens.succeed(token, '{}')).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));
  });

  it('refuses malformed tokens and unknown ones', () => {
    const tokens = new TaskTokenRegistry();
    expect(() => tokens.succeed('nope', '{}')).toThrow(expect.objectContaining({ code: 'InvalidToken' }));
    expect(() => tokens.succeed(`AQ${'x'.repeat(64)}`, '{}')).toThrow(expect.objectContaining({ code: 'TaskDoesNotExist' }));
  });
});
