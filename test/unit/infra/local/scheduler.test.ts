import { describe, expect, it } from 'vitest';
import { parseScheduleExpression } from '../../../../infra/local/cron.ts';
import { LocalScheduler, renderTargetInput, schedulesFromTemplate } from '../../../../infra/local/scheduler.ts';
import type { LocalSchedule } from '../../../../infra/local/scheduler.ts';
import { TemplateResolver } from '../../../../infra/local/template.ts';

const template = {
  Resources: {
    LedgerCheckStateMachine533CD05B: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    DailyLedgerCheck7FC00D25: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        ScheduleExpression: 'cron(0 1 * * ? *)',
        ScheduleExpressionTimezone: 'Asia/Shanghai',
        State: 'ENABLED',
        Target: {
          Arn: { Ref: 'LedgerCheckStateMachine533CD05B' },
          Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>","schedule":"<aws.scheduler.schedule-arn>","attempt":"<aws.scheduler.attempt-number>"}',
        },
      },
    },
    Paused1A2B3C4D: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: { ScheduleExpression: 'rate(5 minutes)', State: 'DISABLED', Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:queue' } },
    },
  },
};

describe('schedules of the template', () => {
  const schedules = schedulesFromTemplate(new TemplateResolver(template));

  it('reads expression, time zone, state and target', () => {
    expect(schedules).toEqual([
      expect.objectContaining({
        logicalId: 'DailyLedgerCheck7FC00D25',
        expression: 'cron(0 1 * * ? *)',
        timezone: 'Asia/Shanghai',
        enabled: true,
        target: { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:LedgerCheckStateMachine533CD05B', input: expect.any(String) },
      }),
      expect.objectContaining({ logicalId: 'Paused1A2B3C4D', timezone: 'UTC', enabled: false }),
    ]);
  });

  it('fills in the context attributes of the target input', () => {
    const input = renderTargetInput(schedules[0] as LocalSchedule, new Date('2026-11-02T17:00:00.000Z'), 'exec-1');
    expect(JSON.parse(input)).toEqual({
      scheduledTime: '2026-11-02T17:00:00Z',
      schedule: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/DailyLedgerCheck7FC00D25',
      attempt: '1',
    });
  });

  it('starts the target execution when fired, by logical or construct id', async () => {
    const started: Array<{ stateMachineArn: string; input: string }> = [];
    const scheduler = new LocalScheduler(schedules, {
      startExecution: (request) => {
        started.push(request);
        return { executionArn: `exec-${started.length}` };
      },
      invokeFunction: async () => undefined,
    });
    expect(await scheduler.fire('DailyLedgerCheck', '2026-11-02T17:00:00Z')).toEqual({
      scheduleId: 'DailyLedgerCheck7FC00D25',
      scheduledTime: '2026-11-02T17:00:00Z',
      executionArn: 'exec-1',
    });
    expect(JSON.parse(started[0]?.input ?? '')).toMatchObject({ scheduledTime: '2026-11-02T17:00:00Z' });
    await expect(scheduler.fire('Nope', '2026-11-02T17:00:00Z')).rejects.toThrow(/No schedule Nope/);
    await expect(scheduler.fire('Paused1A2B3C4D', '2026-11-02T17:00:00Z')).rejects.toThrow(/cannot run locally/);
    expect(scheduler.unsupportedTargets()).toEqual([{ scheduleId: 'Paused1A2B3C4D', arn: 'arn:aws:sqs:us-east-1:000000000000:queue' }]);
  });

  it('fires by itself at the next time, honouring start and end dates', () => {
    const now = new Date('2026-11-02T12:00:00Z');
    const window: LocalSchedule = {
      logicalId: 'Window',
      expression: 'cron(0 1 * * ? *)',
      parsed: parseScheduleExpression('cron(0 1 * * ? *)'),
      timezone: 'Asia/Shanghai',
      enabled: true,
      startDate: new Date('2026-11-05T00:00:00Z'),
      endDate: new Date('2026-11-06T00:00:00Z'),
      target: { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:X' },
    };
    const scheduler = new LocalScheduler([window], { startExecution: () => ({ executionArn: 'x' }), invokeFunction: async () => undefined }, { now: () => now });
    expect(scheduler.nextFireTime('Window')?.toISOString()).toBe('2026-11-05T17:00:00.000Z');
    expect(scheduler.nextFireTime('Window', new Date('2026-11-05T18:00:00Z'))).toBeUndefined();
  });
});
