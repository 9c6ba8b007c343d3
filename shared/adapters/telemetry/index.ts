import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SERVICE_NAME, type MetricsSink } from '../../ports/telemetry.ts';
import { stepCorrelation, type CorrelationIds } from './correlation.ts';
import { EmfMetrics, METRICS_NAMESPACE } from './emf-metrics.ts';
import { PrometheusRegistry } from './prometheus-registry.ts';

/**
 * The one logger, tracer and metrics sink of a function (docs/operations.md, Observability).
 * Logs are JSON (Powertools Logger) with the invocation's correlation ids; traces go to X-Ray when
 * the function runs in Lambda with tracing on; metrics are EMF documents in Lambda and, in the
 * local stack's single process, samples of the registry that `GET /metrics` serves.
 */

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/** The metrics of this process: what the local stack serves at `GET /metrics`. */
export const localMetrics = new PrometheusRegistry();

/** Whether this process is a Lambda function's (the runtime names the function). */
export function runsInLambda(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.AWS_LAMBDA_FUNCTION_NAME ?? '') !== '';
}

export const metrics: MetricsSink = runsInLambda() ? new EmfMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME })) : localMetrics;

/**
 * Starts an invocation's log context: the Lambda context (request id, function, cold start) and
 * the invocation's correlation ids, after the keys of the previous invocation are dropped.
 */
export function beginInvocation(context: Context, ids: CorrelationIds): void {
  logger.resetKeys();
  logger.addContext(context);
  logger.appendKeys({ ...ids });
}

/** Adds ids found later in the invocation (an API request's body, once parsed). */
export function appendCorrelation(ids: CorrelationIds): void {
  if (Object.keys(ids).length > 0) logger.appendKeys({ ...ids });
}

/**
 * The handler of a function invoked by a workflow, a schedule, a rule or a stream: traced, its
 * log lines carrying the business ids of its event.
 */
export function eventHandler<TEvent, TResult>(handle: (event: TEvent, context: Context) => Promise<TResult> | TResult) {
  return middy<TEvent, TResult>()
    .use(captureLambdaHandler(tracer))
    .use({
      before: (request) => beginInvocation(request.context, stepCorrelation(request.event)),
    })
    .handler((event, context) => handle(event, context));
}
