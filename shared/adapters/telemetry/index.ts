import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
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


/** The metrics of this process: what the local stack serves at `GET /metrics`. */
export const localMetrics = new PrometheusRegistry();

/** Whether this process is a Lambda function's (the runtime names the function). */
export function runsInLambda(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.AWS_LAMBDA_FUNCTION_NAME ?? '') !== '';
}

/**
 * Whether this process traces: a Lambda function with active tracing. The X-Ray SDK is loaded only
 * then: loading it hooks every promise of the process (about four times the cost of an `await`),
 * which the local stack, where every function shares one process, would pay on every call of all
 * of them for traces that go nowhere.
 */
export function traces(env: NodeJS.ProcessEnv = process.env): boolean {
  return runsInLambda(env) && env.POWERTOOLS_TRACE_ENABLED !== 'false';
}

/** The handler's trace segment (Powertools Tracer) where the function traces; no middleware elsewhere. */
export const tracing: middy.MiddlewareObj[] = traces() ? [await lambdaTracing()] : [];

async function lambdaTracing(): Promise<middy.MiddlewareObj> {
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]);
  return captureLambdaHandler(new Tracer({ serviceName: SERVICE_NAME })) as middy.MiddlewareObj;
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
    .use(tracing)
    .use({
      before: (request) => beginInvocation(request.context, stepCorrelation(request.event)),
    })
    .handler((event, context) => handle(event, context));
}
