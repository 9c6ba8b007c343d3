import { describe, expect, it } from 'vitest';
import { CalendarYearNotCovered, type LoadedCalendarYear } from '../../../../shared/domain/calendar.ts';
import { ValidationError } from '../../../../shared/domain/errors.ts';
import { WriteConflict, type CalendarStore, type IdempotencyRecord } from '../../../../shared/ports/stores.ts';
import { businessCalendar, describeCalendar, loadCalendarYear } from '../../../../shared/use-cases/calendars.ts';
import { CN_2027_TABLE, CN_2027_TABLE_V2 } from '../../../support/calendar-years.ts';
import { rejectedBy } from '../../../support/expect-error.ts';
import { createInMemoryStores, sealFor } from '../../../support/in-memory-stores.ts';

const NOW = '2026-11-20T08:00:00.000Z';
const LATER = '2026-12-01T02:00:00.000Z';

function load(stores: { calendars: CalendarStore }, table: { holidays: readonly string[]; workingDays: readonly string[]; source: string }, key: string, at = NOW) {
  return loadCalendarYear(stores, { calendar: 'CN', year: 2027, ...table }, 'platform-finance-client', sealFor(key, at), at);
}

describe('businessCalendar', () => {
  it('refuses 2027 until the year is loaded, then answers with the loaded table', async () => {
    const stores = createInMemoryStores();
    const before = await businessCalendar(stores, 'CN');
    await rejectedBy(CalendarYearNotCovered, async () => before.isBusinessDay('2027-02-08'));

    await load(stores, CN_2027_TABLE, 'load-cn-2027-v1');
    const after = await businessCalendar(stores, 'CN');
    expect(after.isBusinessDay('2027-02-08')).toBe(false);
    expect(after.isBusinessDay('2027-02-20')).toBe(true);
    expect(after.addBusinessDays('2027-02-05', 1)).toBe('2027-02-15');
  });

  it('reads nothing for a plain weekday calendar, and refuses an unknown one', async () => {
    const stores = createInMemoryStores();
    expect((await businessCalendar(stores, 'IN')).isBusinessDay('2027-02-08')).toBe(true);
    expect(stores.calendars.reads).toBe(0);
    const error = await rejectedBy(ValidationError, () => businessCalendar(stores, 'US'));
    expect(error.details).toMatchObject({ path: 'calendar', rule: 'known-calendar' });
  });
});

describe('loadCalendarYear', () => {
  it('stores version 1, then version 2 of the same year, each with who loaded it and when; the latest wins', async () => {
    const stores = createInMemoryStores();
    const v1 = await load(stores, CN_2027_TABLE, 'load-cn-2027-v1');
    const v2 = await load(stores, CN_2027_TABLE_V2, 'load-cn-2027-v2', LATER);
    expect(v1).toEqual({ calendar: 'CN', year: 2027, version: 1, ...CN_2027_TABLE, loadedBy: 'platform-finance-client', loadedAt: NOW });
    expect(v2).toMatchObject({ version: 2, loadedAt: LATER, source: CN_2027_TABLE_V2.source });
    expect([...stores.db.calendarYears.keys()].sort()).toEqual(['CN#2027#1', 'CN#2027#2']);
    expect(stores.db.idempotency.get('load-cn-2027-v1')?.responseBody).toBe(JSON.stringify(v1));

    const calendar = await businessCalendar(stores, 'CN');
    expect(calendar.isBusinessDay('2027-10-01')).toBe(false);
    expect(calendar.yearSource(2027)).toEqual({ kind: 'LOADED', version: 2, loadedBy: 'platform-finance-client', loadedAt: LATER, source: CN_2027_TABLE_V2.source });
  });

  it('stores the table in date order', async () => {
    const stores = createInMemoryStores();
    const loaded = await load(stores, { ...CN_2027_TABLE, holidays: [...CN_2027_TABLE.holidays].reverse() }, 'load-cn-2027-rev');
    expect(loaded.holidays).toEqual(CN_2027_TABLE.holidays);
  });

  it('refuses a table that breaks a rule and writes nothing', async () => {
    const stores = createInMemoryStores();
    const error = await rejectedBy(ValidationError, () => load(stores, { ...CN_2027_TABLE, workingDays: ['2027-02-22'] }, 'load-cn-2027-bad'));
    expect(error.details).toMatchObject({ path: 'workingDays.0', rule: 'weekend-only' });
    expect(stores.db.calendarYears.size).toBe(0);
    expect(stores.db.idempotency.size).toBe(0);
  });

  it('takes the next version when another load of the year wrote the same one first', async () => {
    const stores = createInMemoryStores();
    let raced = false;
    const racing: CalendarStore = {
      loadedYears: (calendar) => stores.calendars.loadedYears(calendar),
      async putYear(year: LoadedCalendarYear, idempotency?: IdempotencyRecord) {
        if (!raced) {
          raced = true;
          await stores.calendars.putYear({ ...year, loadedBy: 'lead-ops-client', source: 'the other load' });
        }
        return stores.calendars.putYear(year, idempotency);
      },
    };
    const loaded = await load({ calendars: racing }, CN_2027_TABLE, 'load-cn-2027-race');
    expect(loaded.version).toBe(2);
    expect(stores.db.calendarYears.get('CN#2027#1')?.source).toBe('the other load');
  });

  it('does not retry a lost idempotency key', async () => {
    const stores = createInMemoryStores();
    await load(stores, CN_2027_TABLE, 'load-cn-2027-same');
    const error = await rejectedBy(WriteConflict, () => load(stores, CN_2027_TABLE_V2, 'load-cn-2027-same'));
    expect(error.reason).toBe('IDEMPOTENCY_KEY');
    expect(stores.db.calendarYears.size).toBe(1);
  });
});

describe('describeCalendar', () => {
  it("lists the covered years with their source, and a year's days on request", async () => {
    const stores = createInMemoryStores();
    await load(stores, CN_2027_TABLE, 'load-cn-2027-v1');
    const view = await describeCalendar(stores, 'CN', 2027);
    expect(view).toMatchObject({ calendar: 'CN', zone: 'Asia/Shanghai', kind: 'TABLE' });
    expect(view.coveredYears?.at(0)).toBe(2004);
    expect(view.coveredYears?.at(-1)).toBe(2027);
    expect(view.years.find((y) => y.year === 2026)?.source).toEqual({ kind: 'PACKAGE', package: 'chinese-days', packageVersion: '1.5.7' });
    expect(view.years.find((y) => y.year === 2027)?.source).toMatchObject({ kind: 'LOADED', version: 1, loadedBy: 'platform-finance-client', loadedAt: NOW });
    expect(view.year?.holidays).toEqual(CN_2027_TABLE.holidays);
    expect(view.year?.businessDays.slice(0, 2)).toEqual(['2027-01-04', '2027-01-05']);
    // 261 weekdays in 2027, 6 of the holidays on a weekday, 1 Saturday worked.
    expect(view.year?.businessDays).toHaveLength(256);
  });

  it('refuses a year not covered, and describes a weekday calendar', async () => {
    const stores = createInMemoryStores();
    await rejectedBy(CalendarYearNotCovered, () => describeCalendar(stores, 'CN', 2028));
    expect(await describeCalendar(stores, 'IN', null)).toEqual({ calendar: 'IN', zone: 'Asia/Kolkata', kind: 'WEEKDAYS', coveredYears: null, years: [] });
  });
});
