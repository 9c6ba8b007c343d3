import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, AlarmStatusWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { METRICS, SERVICE_NAME, type MetricId } from '../../shared/ports/telemetry.ts';
import { METRICS_NAMESPACE } from '../../shared/adapters/telemetry/emf-metrics.ts';

export interface MonitoringProps {
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Each workflow by its construct id. */
  readonly workflows: ReadonlyMap<string, IStateMachine>;
  /** Each dead-letter queue by its construct id. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  readonly api: IHttpApi;
  /** An open break older than this many days raises BreaksTooOld. */
  readonly breakAlarmDays: number;
}

/** An alarm's metric math may name at most 10 metrics: the functions are watched in groups of 10. */
const FUNCTIONS_PER_ALARM = 10;
const FIVE_MINUTES = Duration.minutes(5);

/**
 * The stage's dashboard and alarms (docs/operations.md, Observability). Every alarm notifies the
 * alarm topic (encrypted with its own key, which CloudWatch may use to publish): failed or
 * timed-out executions, messages in a dead-letter queue, function errors and throttles, API 5xx,
 * the settlement deadline missed (or not checked for a day), a break open longer than the limit.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: "Encrypts the alarm topic; CloudWatch may use it to publish" });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Colend alarms', masterKey: key, enforceSSL: true });
    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number, missing: TreatMissingData = TreatMissingData.NOT_BREACHING): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: missing,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    // Metric ids are unique across a graph: each expression names its own.
    const workflowFailures = [...props.workflows].map(([name, workflow], index) => {
      const failed = new MathExpression({
        expression: `failed${index} + timedOut${index}`,
        usingMetrics: { [`failed${index}`]: workflow.metricFailed({ statistic: 'Sum' }), [`timedOut${index}`]: workflow.metricTimedOut({ statistic: 'Sum' }) },
        label: name,
        period: FIVE_MINUTES,
      });
      alarm(`${name}Failed`, `An execution of ${name} failed or timed out`, failed, 1);
      return failed;
    });
    const deadLetters = [...props.deadLetterQueues].map(([name, queue]) => {
      const depth = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label: name });
      alarm(`${name}NotEmpty`, `${name} holds a message that failed every retry`, depth, 1);
      return depth;
    });
    const functionGroups = chunks([...props.functions.values()], FUNCTIONS_PER_ALARM);
    const errors = functionGroups.map((group, index) => {
      const sum = sumOf(group.map((fn) => fn.metricErrors({ statistic: 'Sum' })), `Function errors, group ${index + 1}`, `errors${index}_`);
      alarm(`FunctionErrors${index + 1}`, `A function of group ${index + 1} (${group.map((fn) => fn.node.id).join(', ')}) failed`, sum, 1);
      return sum;
    });
    const throttles = functionGroups.map((group, index) => {
      const sum = sumOf(group.map((fn) => fn.metricThrottles({ statistic: 'Sum' })), `Function throttles, group ${index + 1}`, `throttles${index}_`);
      alarm(`FunctionThrottles${index + 1}`, `A function of group ${index + 1} (${group.map((fn) => fn.node.id).join(', ')}) was throttled`, sum, 1);
      return sum;
    });
    const serverErrors = props.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: 'API 5xx' });
    alarm('Api5xx', 'The API answered a 5xx', serverErrors, 1);
    // One check a day: a day without its datapoint is a deadline nobody confirmed.
    const late = business('settlementLate', { statistic: 'Maximum', period: Duration.days(1) });
    alarm('SettlementDeadlineMissed', "The run of the date that closed was not SETTLED by the settlement deadline, or the deadline check did not run", late, 1, TreatMissingData.BREACHING);
    const oldest = business('oldestOpenBreakAgeDays', { statistic: 'Maximum', period: Duration.days(1) });
    alarm('BreaksTooOld', `A reconciliation break has been open ${props.breakAlarmDays} days or more`, oldest, props.breakAlarmDays);

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Repayments booked', left: [search('repaymentsBooked', ['source', 'program'], 'Sum', FIVE_MINUTES)], width: 8 }),
      new GraphWidget({ title: 'Settlement duration (s)', left: [business('settlementDuration', { statistic: 'Maximum', period: Duration.days(1) })], width: 8 }),
      new GraphWidget({ title: 'Settlement late (1 = late)', left: [late], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Breaks open by age (days)', left: [search('breaksOpen', ['age'], 'Maximum', Duration.days(1))], width: 8 }),
      new GraphWidget({ title: 'Oldest open break (days)', left: [oldest], width: 8 }),
      new GraphWidget({ title: 'Webhook failures', left: [business('webhookFailures', { statistic: 'Sum', period: FIVE_MINUTES })], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Failed or timed-out executions', left: workflowFailures, width: 12 }),
      new GraphWidget({ title: 'Dead-letter queues', left: deadLetters, width: 6 }),
      new GraphWidget({ title: 'API 5xx', left: [serverErrors], width: 6 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', left: errors, width: 12 }),
      new GraphWidget({ title: 'Function throttles', left: throttles, width: 12 }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}

/** A business metric of the catalog, without labels (CloudWatch dimension `service` only). */
function business(metric: MetricId, options: { statistic: string; period: Duration }): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: METRICS[metric].name, dimensionsMap: { service: SERVICE_NAME }, ...options, label: METRICS[metric].name });
}

/** Every label set of a labelled business metric, one line each. */
function search(metric: MetricId, labels: readonly string[], statistic: string, period: Duration): MathExpression {
  const schema = [METRICS_NAMESPACE, 'service', ...labels].join(',');
  return new MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${METRICS[metric].name}"', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    label: METRICS[metric].name,
    period,
  });
}

function sumOf(metrics: readonly IMetric[], label: string, idPrefix: string): MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((metric, index) => [`${idPrefix}${index}`, metric]));
  return new MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, label, period: FIVE_MINUTES });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}
