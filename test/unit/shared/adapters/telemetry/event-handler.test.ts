import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventHandler, logger } from '../../../../../shared/adapters/telemetry/index.ts';

const context = { functionName: 'colend-settlement-steps', awsRequestId: 'req-1', functionVersion: '$LATEST', memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:cn-north-1:123456789012:function:x' } as Context;

/** The JSON lines the logger wrote while `run` ran. */
async function logged(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('eventHandler', () => {
  afterEach(() => logger.resetKeys());

  it("logs a workflow step's lines with its execution id and business ids, those of the previous invocation dropped", async () => {
    const executionId = 'arn:aws:states:cn-north-1:123456789012:execution:SettlementStateMachine:settle-2025-03-04-1';
    const handler = eventHandler<Record<string, unknown>, null>(() => {
      logger.info('step ran');
      return null;
    });
    const lines = await logged(async () => {
      await handler({ step: 'CloseRun', businessDate: '2025-03-04', executionId }, context);
      await handler({ step: 'AssessShard', loanId: 'LN-1' }, context);
    });
    const ran = lines.filter((l) => l.message === 'step ran');
    expect(ran.map((l) => [l.executionId, l.businessDate, l.loanId])).toEqual([
      [executionId, '2025-03-04', undefined],
      [undefined, undefined, 'LN-1'],
    ]);
  });
});
