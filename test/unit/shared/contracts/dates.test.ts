import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { EARLIEST_DATE, LATEST_DATE, calendarDate, pastDate, pastInstant } from '../../../../shared/contracts/dates.ts';
import { validate } from '../../../../shared/contracts/validate.ts';
import { executedRequest, startRiskUpdateRequest } from '../../../../shared/contracts/schemas.ts';
import { addDays } from '../../../../shared/domain/money/calendar.ts';
import { thrownBy } from '../../../support/expect-error.ts';

const TODAY = '2026-12-06';
const body = z.strictObject({ businessDate: pastDate, from: calendarDate.optional() });

const refusal = (value: unknown, today = TODAY) => thrownBy(ValidationError, () => validate(body, value, { today }));

describe('the one validator of the dates clients send', () => {
  it.each(['2023-02-29', '2025-02-30', '2025-13-01', '2025-1-5', '0000-01-01', '20250101', '', '2025-04-31'])('refuses %j as no calendar date, naming the field', (date) => {
    const error = refusal({ businessDate: date });
    expect([error.code, error.details['path'], error.details['rule']]).toEqual(['VALIDATION_FAILED', 'businessDate', 'iso-date']);
    expect(error.message).toBe('businessDate: must be a calendar date YYYY-MM-DD');
  });

  it('refuses a date after today with DATE_OUT_OF_WINDOW, the field and the window', () => {
    const error = refusal({ businessDate: '9999-12-31' });
    expect(error.code).toBe('DATE_OUT_OF_WINDOW');
    expect(error.message).toBe(`businessDate: must be from ${EARLIEST_DATE} to ${TODAY} (today), got 9999-12-31`);
    expect(error.details).toMatchObject({ path: 'businessDate', field: 'businessDate', rule: 'date-window', from: EARLIEST_DATE, to: TODAY });
  });

  it('refuses a date before the platform window, and one after it where today does not bound', () => {
    expect(refusal({ businessDate: '0001-01-01' }).details).toMatchObject({ field: 'businessDate', from: EARLIEST_DATE, to: TODAY });
    const late = refusal({ businessDate: '2025-01-01', from: '2100-01-01' });
    expect([late.code, late.details['field'], late.details['to']]).toEqual(['DATE_OUT_OF_WINDOW', 'from', LATEST_DATE]);
  });

  it('takes today itself and any real day before it inside the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (back) => {
        const date = addDays(TODAY, -back);
        expect(validate(body, { businessDate: date }, { today: TODAY })).toEqual({ businessDate: date });
      }),
    );
  });

  it('refuses every day after today', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), (ahead) => {
        expect(refusal({ businessDate: addDays(TODAY, ahead) }).code).toBe('DATE_OUT_OF_WINDOW');
      }),
    );
  });

  it('is the validator of the risk update request: 9999-12-31 and 0000-01-01 are refused, today taken', () => {
    expect(thrownBy(ValidationError, () => validate(startRiskUpdateRequest, { businessDate: '9999-12-31' }, { today: TODAY })).code).toBe('DATE_OUT_OF_WINDOW');
    expect(thrownBy(ValidationError, () => validate(startRiskUpdateRequest, { businessDate: '0000-01-01' }, { today: TODAY })).details['rule']).toBe('iso-date');
    expect(validate(startRiskUpdateRequest, { businessDate: TODAY }, { today: TODAY })).toEqual({ businessDate: TODAY });
  });

  it('checks the platform window alone when no today is given (a workflow step re-reading what the edge took)', () => {
    expect(validate(body, { businessDate: LATEST_DATE })).toEqual({ businessDate: LATEST_DATE });
    expect(thrownBy(ValidationError, () => validate(body, { businessDate: '2100-01-01' })).code).toBe('DATE_OUT_OF_WINDOW');
  });

  it("takes an instant of something done up to the end of today on the platform's calendar, and refuses a later one or one before the window", () => {
    const executed = (executedAt: string) => validate(executedRequest, { bankReference: 'BR-1', executedAt }, { today: TODAY });
    // 2026-12-06 23:59 in Beijing is still today; 16:00 UTC that day is 00:00 on the 7th there.
    expect(executed('2026-12-06T23:59:59+08:00').executedAt).toBe('2026-12-06T23:59:59+08:00');
    expect(executed('2026-12-06T15:59:59Z').executedAt).toBe('2026-12-06T15:59:59Z');
    const tomorrow = thrownBy(ValidationError, () => executed('2026-12-06T16:00:00Z'));
    expect([tomorrow.code, tomorrow.details['field'], tomorrow.details['to']]).toEqual(['DATE_OUT_OF_WINDOW', 'executedAt', TODAY]);
    expect(tomorrow.message).toBe(`executedAt: must be on a date from ${EARLIEST_DATE} to ${TODAY} (today), got 2026-12-06T16:00:00Z`);
    expect(thrownBy(ValidationError, () => executed('9999-12-31T00:00:00Z')).code).toBe('DATE_OUT_OF_WINDOW');
    expect(thrownBy(ValidationError, () => executed('1969-12-31T00:00:00Z')).details).toMatchObject({ field: 'executedAt', from: EARLIEST_DATE });
    expect(thrownBy(ValidationError, () => executed('2026-12-06 10:00')).details).toMatchObject({ path: 'executedAt', rule: 'invalid_format' });
    // Found by the contract fuzzer: a text no clock reads was an unexpected error (500), not a refusal naming the field.
    for (const text of ['x'.repeat(2000), 'not a time', '', '2026-12-06T10:00:00Zjunk']) {
      const error = thrownBy(ValidationError, () => executed(text));
      expect([error.code, error.details['path'], error.details['rule']]).toEqual(['VALIDATION_FAILED', 'executedAt', 'invalid_format']);
    }
    // Without a today (a step re-reading what the edge took) the platform window bounds it.
    expect(pastInstant.safeParse('2099-12-31T00:00:00Z').success).toBe(true);
  });
});
