import { describe, expect, it } from 'vitest';
import { FunctionError, FunctionHost, functionsFromTemplate } from '../../../../infra/local/functions.ts';
import type { Invocation, LocalFunction } from '../../../../infra/local/functions.ts';
import { REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';
import { functionArn, TemplateResolver } from '../../../../infra/local/template.ts';

const FIXTURES = 'test/unit/infra/local/fixtures';

function local(logicalId: string, entry: string | undefined, environment: Record<string, string> = {}): LocalFunction {
  return { logicalId, entry, arn: functionArn(logicalId), environment, timeoutSeconds: 10, memoryMb: 512 };
}

describe('functions of the template', () => {
  it('reads entry metadata, resolved environment, timeout and memory', () => {
    const resolver = new TemplateResolver({
      Resources: {
        Table1: { Type: 'AWS::DynamoDB::Table', Properties: {} },
        Lenders1: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'colend:entry': 'functions/lenders/handler.ts' },
          Properties: { Timeout: 10, MemorySize: 512, Environment: { Variables: { STATE_TABLE: { Ref: 'Table1' }, RETRIES: 3 } } },
        },
        LogRetention1: { Type: 'AWS::Lambda::Function', Properties: {} },
      },
    });
    expect(functionsFromTemplate(resolver)).toEqual([
      { logicalId: 'Lenders1', entry: 'functions/lenders/handler.ts', arn: functionArn('Lenders1'), environment: { STATE_TABLE: 'Table1', RETRIES: '3' }, timeoutSeconds: 10, memoryMb: 512 },
      { logicalId: 'LogRetention1', entry: undefined, arn: functionArn('LogRetention1'), environment: {}, timeoutSeconds: 3, memoryMb: 128 },
    ]);
  });
});

describe('the function host', () => {
  it('merges the functions’ variables, leaving runtime settings out and warning on conflicts', () => {
    const warnings: string[] = [];
    const host = new FunctionHost(
      [
        local('A', `${FIXTURES}/work-handler.ts`, { STATE_TABLE: 'S', NODE_OPTIONS: '--enable-source-maps', MODE: 'a' }),
        local('B', `${FIXTURES}/echo-handler.ts`, { STATE_TABLE: 'S', MODE: 'b' }),
        local('Helper', undefined, { ONLY_HELPER: 'x' }),
      ],
      { rootDir: REPOSITORY_ROOT, log: (line) => warnings.push(line) },
    );
    expect(host.environment({ AWS_REGION: 'us-east-1' })).toEqual({ STATE_TABLE: 'S', MODE: 'a', AWS_REGION: 'us-east-1' });
    expect(warnings).toEqual(['warning: MODE is a for A but b for B; locally all functions see a']);
    expect(host.isRunnable('A')).toBe(true);
    expect(host.isRunnable('Helper')).toBe(false);
    expect(host.resolve(`${functionArn('B')}:$LATEST`)?.logicalId).toBe('B');
  });

  it('imports a module once, passes a Lambda context, and crosses a JSON boundary both ways', async () => {
    let imports = 0;
    const seen: Array<{ event: unknown; context: Record<string, unknown> }> = [];
    const host = new FunctionHost([local('Work', `${FIXTURES}/work-handler.ts`)], {
      rootDir: REPOSITORY_ROOT,
      loadModule: async () => {
        imports += 1;
        return {
          handler: async (event: unknown, context: Record<string, unknown> & { getRemainingTimeInMillis(): number }) => {
            seen.push({ event, context: { ...context, remaining: context.getRemainingTimeInMillis() } });
            return { at: new Date('2026-01-01T00:00:00Z'), skipped: undefined };
          },
        };
      },
    });
    expect(await host.invoke('Work', { when: new Date('2026-01-02T00:00:00Z'), gone: undefined })).toEqual({ at: '2026-01-01T00:00:00.000Z' });
    await host.invoke('Work', {});
    expect(imports).toBe(1);
    expect(seen[0]?.event).toEqual({ when: '2026-01-02T00:00:00.000Z' });
    expect(seen[0]?.context).toMatchObject({
      functionName: 'Work',
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn('Work'),
      memoryLimitInMB: '512',
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      logGroupName: '/aws/lambda/Work',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(seen[0]?.context.remaining).toBeGreaterThan(9_000);
    expect(seen[0]?.context.awsRequestId).not.toBe(seen[1]?.context.awsRequestId);
    expect(host.invocationCounts()).toEqual({ Work: 2 });
  });

  it("tells each ended invocation's event, duration and outcome to its listeners, and adds up each function's duration", async () => {
    const host = new FunctionHost([local('Steps', `${FIXTURES}/work-handler.ts`)], {
      rootDir: REPOSITORY_ROOT,
      loadModule: async () => ({
        handler: async (event: { step: string; waitMs: number }) => {
          await new Promise((resolve) => setTimeout(resolve, event.waitMs));
          if (event.step === 'Fails') throw new Error('no shard 99');
          return { step: event.step };
        },
      }),
    });
    const seen: Invocation[] = [];
    const stop = host.onInvocation((invocation) => seen.push(invocation));
    await host.invoke('Steps', { step: 'OpenRun', waitMs: 30 });
    await expect(host.invoke('Steps', { step: 'Fails', waitMs: 10 })).rejects.toThrow('no shard 99');
    stop();
    await host.invoke('Steps', { step: 'CloseRun', waitMs: 0 });
    expect(seen.map((i) => [i.functionId, i.event, i.failed])).toEqual([
      ['Steps', { step: 'OpenRun', waitMs: 30 }, false],
      ['Steps', { step: 'Fails', waitMs: 10 }, true],
    ]);
    expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(29);
    expect(seen[1]!.startedAt).toBeGreaterThanOrEqual(seen[0]!.startedAt + seen[0]!.durationMs);
    const total = host.invocationDurations()['Steps']!;
    expect(total).toBeGreaterThanOrEqual(seen[0]!.durationMs + seen[1]!.durationMs);
    host.resetInvocationCounts();
    expect(host.invocationDurations()).toEqual({});
    expect(host.invocationCounts()).toEqual({});
  });

  it('reports a thrown error as Lambda does, and supports callback handlers', async () => {
    class LoanNotFoundError extends Error {
      override name = 'LoanNotFoundError';
    }
    const host = new FunctionHost([local('Fails', `${FIXTURES}/work-handler.ts`), local('Callback', `${FIXTURES}/echo-handler.ts`)], {
      rootDir: REPOSITORY_ROOT,
      loadModule: async (url) =>
        url.endsWith('work-handler.ts')
          ? { handler: async () => Promise.reject(new LoanNotFoundError('no loan L1')) }
          : { handler: (_event: unknown, _context: unknown, callback: (error: unknown, result?: unknown) => void) => callback(null, { ok: true }) },
    });
    const error = await host.invoke('Fails', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).payload).toMatchObject({ errorType: 'LoanNotFoundError', errorMessage: 'no loan L1', trace: expect.any(Array) });
    expect(await host.invoke('Callback', {})).toEqual({ ok: true });
  });

  it('logs a module that cannot load at start, without stopping the others', async () => {
    const logged: string[] = [];
    const host = new FunctionHost([local('Broken', `${FIXTURES}/work-handler.ts`), local('Fine', `${FIXTURES}/echo-handler.ts`)], {
      rootDir: REPOSITORY_ROOT,
      log: (line) => logged.push(line),
      loadModule: async (url) => (url.endsWith('work-handler.ts') ? { notAHandler: true } : { handler: async () => 'ok' }),
    });
    await host.preload();
    expect(logged).toEqual([`warning: ${FIXTURES}/work-handler.ts (function Broken) did not load: ${FIXTURES}/work-handler.ts (function Broken) does not export a handler function`]);
    expect(await host.invoke('Fine', {})).toBe('ok');
    await expect(host.invoke('Nobody', {})).rejects.toThrow(/No function Nobody/);
  });
});
