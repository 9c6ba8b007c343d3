import { METRICS, type MetricDefinition, type MetricId, type MetricsSink } from '../../ports/telemetry.ts';

/**
 * The metrics of one process, kept in memory and written in the Prometheus text exposition format
 * (version 0.0.4): the local stack serves them at `GET /metrics`. Every family of the catalog is
 * described (HELP, TYPE) even before its first sample; samples are sorted by their labels, so the
 * same records give the same text.
 */

interface HistogramState {
  readonly counts: number[];
  sum: number;
  count: number;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class PrometheusRegistry implements MetricsSink {
  private readonly values = new Map<MetricId, Map<string, number>>();
  private readonly histograms = new Map<MetricId, Map<string, HistogramState>>();

  measure(metric: MetricId, value: number, labels: Readonly<Record<string, string>> = {}): void {
    const definition: MetricDefinition = METRICS[metric];
    if (!Number.isFinite(value)) throw new RangeError(`${definition.prometheusName}: ${value} is not a finite number`);
    if (definition.kind === 'counter' && value < 0) throw new RangeError(`${definition.prometheusName}: a counter only goes up, ${value} was given`);
    const key = labelText(definition, labels);
    if (definition.kind === 'histogram') {
      this.observe(metric, definition, key, value);
      return;
    }
    let samples = this.values.get(metric);
    if (samples === undefined) {
      samples = new Map();
      this.values.set(metric, samples);
    }
    samples.set(key, definition.kind === 'counter' ? (samples.get(key) ?? 0) + value : value);
  }

  private observe(metric: MetricId, definition: MetricDefinition, key: string, value: number): void {
    let states = this.histograms.get(metric);
    if (states === undefined) {
      states = new Map();
      this.histograms.set(metric, states);
    }
    const buckets = definition.buckets ?? [];
    let state = states.get(key);
    if (state === undefined) {
      state = { counts: buckets.map(() => 0), sum: 0, count: 0 };
      states.set(key, state);
    }
    buckets.forEach((bound, index) => {
      if (value <= bound) state.counts[index] = (state.counts[index] ?? 0) + 1;
    });
    state.sum += value;
    state.count += 1;
  }

  /** Every family in the catalog's order, as Prometheus scrapes it. */
  render(): string {
    const lines: string[] = [];
    for (const metric of Object.keys(METRICS) as MetricId[]) {
      const definition: MetricDefinition = METRICS[metric];
      lines.push(`# HELP ${definition.prometheusName} ${escapeHelp(definition.help)}`, `# TYPE ${definition.prometheusName} ${definition.kind}`);
      if (definition.kind === 'histogram') {
        for (const [key, state] of sorted(this.histograms.get(metric))) lines.push(...histogramLines(definition, key, state));
      } else {
        for (const [key, value] of sorted(this.values.get(metric))) lines.push(`${definition.prometheusName}${braces(key)} ${formatNumber(value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** Forgets every sample (a test that starts from nothing). */
  clear(): void {
    this.values.clear();
    this.histograms.clear();
  }
}

function histogramLines(definition: MetricDefinition, key: string, state: HistogramState): string[] {
  const name = definition.prometheusName;
  const withLe = (le: string): string => braces(key === '' ? `le="${le}"` : `${key},le="${le}"`);
  return [
    ...(definition.buckets ?? []).map((bound, index) => `${name}_bucket${withLe(formatNumber(bound))} ${state.counts[index] ?? 0}`),
    `${name}_bucket${withLe('+Inf')} ${state.count}`,
    `${name}_sum${braces(key)} ${formatNumber(state.sum)}`,
    `${name}_count${braces(key)} ${state.count}`,
  ];
}

/** The labels as `name="value"` in the catalog's order; a label missing or not in the catalog is an error. */
function labelText(definition: MetricDefinition, labels: Readonly<Record<string, string>>): string {
  const unknown = Object.keys(labels).filter((name) => !definition.labels.includes(name));
  if (unknown.length > 0) throw new RangeError(`${definition.prometheusName} has no label ${unknown.join(', ')}; its labels are: ${definition.labels.join(', ') || 'none'}`);
  return definition.labels
    .map((name) => {
      const value = labels[name];
      if (value === undefined) throw new RangeError(`${definition.prometheusName} needs the label ${name}`);
      return `${name}="${escapeLabel(value)}"`;
    })
    .join(',');
}

const braces = (key: string): string => (key === '' ? '' : `{${key}}`);

function sorted<V>(samples: Map<string, V> | undefined): [string, V][] {
  return [...(samples ?? new Map<string, V>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
}
