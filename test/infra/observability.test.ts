import { Template, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { parseBreakAlarmDays, parseTracing } from '../../infra/config.ts';
import { resourcesOf, type Resources } from './support/template.ts';

let template: Template;
let resources: Resources;

beforeAll(() => {
  template = Template.fromStack(buildApp({ bundling: false }).stack);
  resources = resourcesOf(template);
});

function alarm(name: string): Record<string, unknown> {
  const found = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith(`Monitoring${name}`));
  expect(found, name).toHaveLength(1);
  return found[0]![1].Properties as Record<string, unknown>;
}

interface MetricStat {
  readonly Metric: { readonly Namespace: string; readonly MetricName: string; readonly Dimensions?: { Name: string; Value: unknown }[] };
  readonly Stat: string;
  readonly Period: number;
}

/** An alarm's metrics as stats, whether it names one metric or metric math. */
function statsOf(props: Record<string, unknown>): MetricStat[] {
  return ((props.Metrics ?? []) as { MetricStat?: MetricStat }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat] : []));
}

/** The functions of Colend's own code (not the CDK's custom-resource handlers). */
const ownFunctions = (of: Resources) => Object.entries(of).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && (r as { Metadata?: Record<string, unknown> }).Metadata?.['colend:entry'] !== undefined);

const topicRef = (): unknown => {
  const [topicId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')!;
  return { Ref: topicId };
};

describe('alarms', () => {
  it('sends every alarm to the one alarm topic, encrypted with a rotated key that CloudWatch may use', () => {
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(24);
    for (const a of alarms) expect((a.Properties as { AlarmActions: unknown[] }).AlarmActions).toEqual([topicRef()]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  it('raises on a failed or timed-out execution of each of the nine workflows', () => {
    for (const workflow of ['LedgerCheck', 'JointReview', 'Disbursement', 'RepaymentBatch', 'RiskUpdate', 'Settlement', 'ProfitSharing', 'RegulatoryReport', 'Reconciliation']) {
      const props = alarm(`${workflow}StateMachineFailed`);
      expect(props).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
      const names = (props.Metrics as { MetricStat?: { Metric: { MetricName: string; Namespace: string } } }[]).flatMap((m) => (m.MetricStat ? [`${m.MetricStat.Metric.Namespace}/${m.MetricStat.Metric.MetricName}`] : []));
      expect(names.sort()).toEqual(['AWS/States/ExecutionsFailed', 'AWS/States/ExecutionsTimedOut']);
    }
  });

  it('raises on a message in any dead-letter queue, every queue of the stack being one', () => {
    const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(queues.sort()).toEqual(['InvocationDeadLetters', 'PublishDeadLetters', 'ScheduleDeadLetters', 'WebhookDeadLetters']);
    for (const queue of queues) {
      const props = alarm(`${queue}NotEmpty`);
      expect(props.Threshold).toBe(1);
      expect(statsOf(props)).toMatchObject([{ Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }, Stat: 'Maximum', Period: 300 }]);
    }
  });

  it('watches the errors and the throttles of every function, ten to an alarm', () => {
    const functionIds = ownFunctions(resources).map(([id]) => id);
    expect(functionIds).toHaveLength(35);
    for (const metric of ['Errors', 'Throttles']) {
      const watched = [1, 2, 3, 4].flatMap((group) =>
        statsOf(alarm(`Function${metric}${group}`)).map((stat) => {
          expect(stat.Metric.MetricName).toBe(metric);
          return (stat.Metric.Dimensions![0]!.Value as { Ref: string }).Ref;
        }),
      );
      expect(watched.sort(), metric).toEqual([...functionIds].sort());
    }
  });

  it("raises on the API's 5xx, a missed settlement deadline (or a check that did not run) and a break open 30 days", () => {
    const api = alarm('Api5xx');
    expect(api.Threshold).toBe(1);
    expect(statsOf(api)).toMatchObject([{ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx' }, Stat: 'Sum', Period: 300 }]);
    const deadline = alarm('SettlementDeadlineMissed');
    expect(deadline).toMatchObject({ Threshold: 1, TreatMissingData: 'breaching' });
    expect(statsOf(deadline)).toEqual([{ Metric: { Namespace: 'Colend', MetricName: 'SettlementLate', Dimensions: [{ Name: 'service', Value: 'colend' }] }, Stat: 'Maximum', Period: 86400 }]);
    const breaks = alarm('BreaksTooOld');
    expect(breaks).toMatchObject({ Threshold: 30, TreatMissingData: 'notBreaching' });
    expect(statsOf(breaks)).toEqual([{ Metric: { Namespace: 'Colend', MetricName: 'OldestOpenBreakAgeDays', Dimensions: [{ Name: 'service', Value: 'colend' }] }, Stat: 'Maximum', Period: 86400 }]);
  });

  it("takes the breaks' limit from the stage", () => {
    const stack = buildApp({ bundling: false, context: { 'colend:breakAlarmDays': '7' } }).stack;
    const [, breaks] = Object.entries(resourcesOf(Template.fromStack(stack))).find(([id]) => id.startsWith('MonitoringBreaksTooOld'))!;
    expect((breaks.Properties as { Threshold: number }).Threshold).toBe(7);
    expect(() => parseBreakAlarmDays('0')).toThrow('Invalid colend:breakAlarmDays: "0" is not a whole number of days from 1 to 365');
    expect(() => parseBreakAlarmDays('two')).toThrow('Invalid colend:breakAlarmDays: "two" is not a whole number of days from 1 to 365');
  });
});

describe('the settlement deadline check', () => {
  it("invokes the settlement steps' CheckDeadline at 07:00 in Beijing with the scheduler's time", () => {
    const [stepsId] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('SettlementStepsFunction'))!;
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: { Arn: { 'Fn::GetAtt': [stepsId, 'Arn'] }, Input: JSON.stringify({ step: 'CheckDeadline', scheduledTime: '<aws.scheduler.scheduled-time>' }) },
    });
  });
});

describe('the dashboard', () => {
  it('shows the business metrics, the workflows, the queues, the API, the functions and every alarm', () => {
    const dashboards = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify((dashboards[0]!.Properties as { DashboardBody: unknown }).DashboardBody);
    for (const title of ['Repayments booked', 'Settlement duration (s)', 'Settlement late (1 = late)', 'Breaks open by age (days)', 'Oldest open break (days)', 'Webhook failures', 'Failed or timed-out executions', 'Dead-letter queues', 'API 5xx', 'Function errors', 'Function throttles', 'Alarms']) {
      expect(body, title).toContain(`\\"title\\":\\"${title.replace(/[()]/g, (c) => c)}\\"`);
    }
    expect(body).toContain(`SEARCH('{Colend,service,source,program} MetricName=\\\\\\"RepaymentsBooked\\\\\\"', 'Sum', 300)`);
    expect(body).toContain(`SEARCH('{Colend,service,age} MetricName=\\\\\\"BreaksOpen\\\\\\"', 'Maximum', 86400)`);
  });
});

describe('tracing', () => {
  it('is active on every function and every state machine by default, and the tracer is told so', () => {
    for (const [, fn] of ownFunctions(resources)) {
      const props = fn.Properties as { TracingConfig?: { Mode: string }; Environment?: { Variables: Record<string, unknown> } };
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.Environment?.Variables.POWERTOOLS_TRACE_ENABLED).toBe('true');
    }
    for (const machine of Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
      expect((machine.Properties as { TracingConfiguration: unknown }).TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('is off everywhere on a stage that sets colend:tracing to false; anything else is refused', () => {
    const off = resourcesOf(Template.fromStack(buildApp({ bundling: false, context: { 'colend:tracing': 'false' } }).stack));
    for (const [, fn] of ownFunctions(off)) {
      const props = fn.Properties as { TracingConfig?: { Mode: string }; Environment?: { Variables: Record<string, unknown> } };
      expect(props.TracingConfig?.Mode ?? 'PassThrough').toBe('PassThrough');
      expect(props.Environment?.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
    for (const machine of Object.values(off).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
      expect((machine.Properties as { TracingConfiguration: unknown }).TracingConfiguration).toEqual({ Enabled: false });
    }
    expect(() => parseTracing('off')).toThrow('Invalid colend:tracing: "off" is not true or false');
  });
});
