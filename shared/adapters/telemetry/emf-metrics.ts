import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricDefinition, type MetricId, type MetricsSink } from '../../ports/telemetry.ts';

/** The CloudWatch namespace of Colend's business metrics. */
export const METRICS_NAMESPACE = 'Colend';

/**
 * Metrics in the CloudWatch embedded metric format (Powertools Metrics): each record is written
 * at once as its own EMF document, with the dimension `service` and the metric's labels as
 * dimensions. CloudWatch keeps the values; a histogram's percentiles come from them.
 */
export class EmfMetrics implements MetricsSink {
  constructor(private readonly metrics: Metrics) {}

  measure(metric: MetricId, value: number, labels: Readonly<Record<string, string>> = {}): void {
    const definition: MetricDefinition = METRICS[metric];
    const single = this.metrics.singleMetric();
    const dimensions = Object.fromEntries(definition.labels.map((name) => [name, labels[name] ?? '']));
    if (definition.labels.length > 0) single.addDimensions(dimensions);
    single.addMetric(definition.name, definition.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
  }
}
