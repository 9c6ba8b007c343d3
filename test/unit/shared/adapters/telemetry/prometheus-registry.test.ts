import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrometheusRegistry } from '../../../../../shared/adapters/telemetry/prometheus-registry.ts';
import { METRICS } from '../../../../../shared/ports/telemetry.ts';

const linesOf = (registry: PrometheusRegistry, family: string): string[] => registry.render().split('\n').filter((line) => line.startsWith(family));

describe('PrometheusRegistry', () => {
  it('describes every family of the catalog, in its order, before any sample', () => {
    const text = new PrometheusRegistry().render();
    const described = text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(described).toEqual([
      '# TYPE colend_repayments_booked_total counter',
      '# TYPE colend_settlement_duration_seconds histogram',
      '# TYPE colend_settlement_late gauge',
      '# TYPE colend_breaks_open gauge',
      '# TYPE colend_breaks_oldest_open_age_days gauge',
      '# TYPE colend_webhook_failures_total counter',
    ]);
    expect(text.startsWith(`# HELP colend_repayments_booked_total ${METRICS.repaymentsBooked.help}\n`)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('adds a counter per label set, sorted by labels, in the catalog order of the labels', () => {
    const registry = new PrometheusRegistry();
    registry.measure('repaymentsBooked', 2, { program: 'P-2', source: 'BATCH' });
    registry.measure('repaymentsBooked', 1, { source: 'API', program: 'P-1' });
    registry.measure('repaymentsBooked', 3, { source: 'BATCH', program: 'P-2' });
    expect(linesOf(registry, 'colend_repayments_booked_total{')).toEqual([
      'colend_repayments_booked_total{source="API",program="P-1"} 1',
      'colend_repayments_booked_total{source="BATCH",program="P-2"} 5',
    ]);
  });

  it('sets a gauge to the last value recorded', () => {
    const registry = new PrometheusRegistry();
    registry.measure('settlementLate', 1);
    registry.measure('settlementLate', 0);
    expect(linesOf(registry, 'colend_settlement_late ')).toEqual(['colend_settlement_late 0']);
  });

  it('counts a histogram into cumulative buckets, with +Inf, sum and count', () => {
    const registry = new PrometheusRegistry();
    for (const seconds of [0.5, 30, 4000]) registry.measure('settlementDuration', seconds);
    expect(linesOf(registry, 'colend_settlement_duration_seconds_')).toEqual([
      'colend_settlement_duration_seconds_bucket{le="1"} 1',
      'colend_settlement_duration_seconds_bucket{le="5"} 1',
      'colend_settlement_duration_seconds_bucket{le="15"} 1',
      'colend_settlement_duration_seconds_bucket{le="30"} 2',
      'colend_settlement_duration_seconds_bucket{le="60"} 2',
      'colend_settlement_duration_seconds_bucket{le="120"} 2',
      'colend_settlement_duration_seconds_bucket{le="300"} 2',
      'colend_settlement_duration_seconds_bucket{le="600"} 2',
      'colend_settlement_duration_seconds_bucket{le="1800"} 2',
      'colend_settlement_duration_seconds_bucket{le="3600"} 2',
      'colend_settlement_duration_seconds_bucket{le="+Inf"} 3',
      'colend_settlement_duration_seconds_sum 4030.5',
      'colend_settlement_duration_seconds_count 3',
    ]);
  });

  it('escapes backslash, double quote and line feed in a label value', () => {
    const registry = new PrometheusRegistry();
    registry.measure('repaymentsBooked', 1, { source: 'API', program: 'a"b\\c\nd' });
    expect(linesOf(registry, 'colend_repayments_booked_total{')).toEqual(['colend_repayments_booked_total{source="API",program="a\\"b\\\\c\\nd"} 1']);
  });

  it('refuses a label the metric does not have, a label missing, a counter going down and a value that is not a number, recording nothing', () => {
    const registry = new PrometheusRegistry();
    const before = registry.render();
    expect(() => registry.measure('webhookFailures', 1, { lender: 'X' })).toThrow('colend_webhook_failures_total has no label lender; its labels are: none');
    expect(() => registry.measure('repaymentsBooked', 1, { source: 'API' })).toThrow('colend_repayments_booked_total needs the label program');
    expect(() => registry.measure('webhookFailures', -1)).toThrow('colend_webhook_failures_total: a counter only goes up, -1 was given');
    expect(() => registry.measure('settlementDuration', Number.NaN)).toThrow('colend_settlement_duration_seconds: NaN is not a finite number');
    expect(registry.render()).toBe(before);
  });

  it('property: a counter reads the sum of what was added, and a histogram counts every value once in +Inf', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 30 }), (values) => {
        const registry = new PrometheusRegistry();
        for (const value of values) {
          registry.measure('webhookFailures', value);
          registry.measure('settlementDuration', value);
        }
        const total = values.reduce((a, b) => a + b, 0);
        expect(linesOf(registry, 'colend_webhook_failures_total ')).toEqual(values.length === 0 ? [] : [`colend_webhook_failures_total ${total}`]);
        if (values.length > 0) {
          expect(linesOf(registry, 'colend_settlement_duration_seconds_bucket{le="+Inf"}')).toEqual([`colend_settlement_duration_seconds_bucket{le="+Inf"} ${values.length}`]);
          expect(linesOf(registry, 'colend_settlement_duration_seconds_count')).toEqual([`colend_settlement_duration_seconds_count ${values.length}`]);
        }
      }),
    );
  });
});
