/**
 * The business metrics Colend emits (docs/operations.md, Observability), one catalog for both
 * sinks: CloudWatch embedded metric format in AWS (namespace `Colend`, dimension `service`), the
 * in-process registry of the local stack at `GET /metrics` (Prometheus text). A metric is recorded
 * where its fact happens; the sink decides how it is written.
 */

/** The service every log line and metric names (Powertools `service`; the EMF dimension). */
export const SERVICE_NAME = 'colend';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  /** The CloudWatch metric name (namespace `Colend`). */
  readonly name: string;
  /** The Prometheus family name of the local registry. */
  readonly prometheusName: string;
  readonly kind: MetricKind;
  /** The CloudWatch unit; Prometheus names carry the unit in their suffix. */
  readonly unit: 'Count' | 'Seconds';
  readonly help: string;
  /** The labels (CloudWatch dimensions) every sample names, in this order. */
  readonly labels: readonly string[];
  /** A histogram's upper bounds, ascending (`+Inf` is implied). */
  readonly buckets?: readonly number[];
}

export const METRICS = {
  repaymentsBooked: {
    name: 'RepaymentsBooked',
    prometheusName: 'colend_repayments_booked_total',
    kind: 'counter',
    unit: 'Count',
    help: 'Repayments booked in a loan\'s book (a repeat delivery answered again is not counted), by intake and program.',
    labels: ['source', 'program'],
  },
  settlementDuration: {
    name: 'SettlementDuration',
    prometheusName: 'colend_settlement_duration_seconds',
    kind: 'histogram',
    unit: 'Seconds',
    help: 'From opening a settlement run to marking it settled, per run that settled.',
    labels: [],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
  },
  settlementLate: {
    name: 'SettlementLate',
    prometheusName: 'colend_settlement_late',
    kind: 'gauge',
    unit: 'Count',
    help: "1 when the settlement deadline check found the closed date's run not settled, 0 when it was settled or had nothing to settle.",
    labels: [],
  },
  breaksOpen: {
    name: 'BreaksOpen',
    prometheusName: 'colend_breaks_open',
    kind: 'gauge',
    unit: 'Count',
    help: 'Reconciliation breaks open or under investigation at the daily escalation, by age band in days.',
    labels: ['age'],
  },
  oldestOpenBreakAgeDays: {
    name: 'OldestOpenBreakAgeDays',
    prometheusName: 'colend_breaks_oldest_open_age_days',
    kind: 'gauge',
    unit: 'Count',
    help: 'Age in days of the oldest break open or under investigation at the daily escalation (0 when none is open).',
    labels: [],
  },
  webhookFailures: {
    name: 'WebhookFailures',
    prometheusName: 'colend_webhook_failures_total',
    kind: 'counter',
    unit: 'Count',
    help: "Deliveries to a partner's webhook that failed (an error status or no answer); each is tried again by the rule.",
    labels: [],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricId = keyof typeof METRICS;

/** Where metrics are measured: a counter adds the value, a gauge sets it, a histogram observes it. */
export interface MetricsSink {
  measure(metric: MetricId, value: number, labels?: Readonly<Record<string, string>>): void;
}
