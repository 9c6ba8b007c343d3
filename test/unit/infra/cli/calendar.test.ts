import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLoad, formatShow, loadCalendarFile, loadKey, showCalendar } from '../../../../infra/cli/calendar.ts';
import { CN_2027_TABLE, loadedYear } from '../../../support/calendar-years.ts';
import { fakeApi } from '../../../support/fake-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'colend-calendar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('colend calendar load', () => {
  const file = join(dir, 'cn-2027.json');
  writeFileSync(file, JSON.stringify(CN_2027_TABLE));

  it('puts the file to the year with a key made of the calendar, the year and the content', async () => {
    const stored = loadedYear({ loadedBy: 'platform-finance-client' });
    const api = fakeApi(201, stored);
    const answer = await loadCalendarFile({ file, calendar: 'CN', year: 2027, apiUrl: 'https://api.colend.test/', token: 't', fetch: api.fetch });
    expect(api.calls).toEqual([
      {
        url: 'https://api.colend.test/v1/calendars/CN/years/2027',
        method: 'PUT',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'idempotency-key': loadKey('CN', 2027, CN_2027_TABLE) },
        body: CN_2027_TABLE,
      },
    ]);
    expect(loadKey('CN', 2027, CN_2027_TABLE)).toMatch(/^calendar:CN:2027:[0-9a-f]{32}$/);
    expect(loadKey('CN', 2028, CN_2027_TABLE)).not.toBe(loadKey('CN', 2027, CN_2027_TABLE));
    expect(formatLoad(answer)).toEqual(['LOADED CN 2027 version 1 by platform-finance-client at 2026-11-20T08:00:00.000Z: 8 holidays, 1 worked weekend days']);
  });

  it('prints each field a refusal names', async () => {
    const api = fakeApi(400, {
      code: 'VALIDATION_FAILED',
      message: 'workingDays.0: 2027-02-22 is a weekday',
      details: { path: 'workingDays.0', rule: 'weekend-only', issues: [{ path: 'workingDays.0', rule: 'weekend-only', message: 'workingDays.0: 2027-02-22 is a weekday' }] },
    });
    const answer = await loadCalendarFile({ file, calendar: 'CN', year: 2027, apiUrl: 'https://api.colend.test', token: 't', fetch: api.fetch });
    expect(formatLoad(answer)).toEqual(['REFUSED 400 VALIDATION_FAILED: workingDays.0: 2027-02-22 is a weekday', '  workingDays.0 (weekend-only): workingDays.0: 2027-02-22 is a weekday']);
  });

  it('refuses a file that is not JSON before calling', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{holidays:');
    const api = fakeApi(201, {});
    await expect(loadCalendarFile({ file: bad, calendar: 'CN', year: 2027, apiUrl: 'https://api.colend.test', token: 't', fetch: api.fetch })).rejects.toThrow(/is not JSON/);
    expect(api.calls).toHaveLength(0);
  });
});

describe('colend calendar show', () => {
  it('prints the covered years with their source, and a year on request', async () => {
    const api = fakeApi(200, {
      calendar: 'CN',
      zone: 'Asia/Shanghai',
      kind: 'TABLE',
      coveredYears: [2026, 2027],
      years: [
        { year: 2026, source: { kind: 'PACKAGE', package: 'chinese-days', packageVersion: '1.5.7' } },
        { year: 2027, source: { kind: 'LOADED', version: 2, loadedBy: 'ops', loadedAt: '2026-12-01T02:00:00.000Z', source: 'notice' } },
      ],
      year: { year: 2027, source: { kind: 'LOADED', version: 2, loadedBy: 'ops', loadedAt: '2026-12-01T02:00:00.000Z', source: 'notice' }, holidays: ['2027-01-01'], workingDays: [], businessDays: ['2027-01-04'] },
    });
    const answer = await showCalendar({ calendar: 'CN', year: 2027, apiUrl: 'https://api.colend.test', token: 't', fetch: api.fetch });
    expect(api.calls[0]?.url).toBe('https://api.colend.test/v1/calendars/CN?year=2027');
    expect(api.calls[0]?.method).toBe('GET');
    expect(formatShow(answer)).toEqual([
      'CN (Asia/Shanghai): a table per year; other years are refused',
      '  2026  package chinese-days@1.5.7',
      '  2027  loaded version 2 by ops at 2026-12-01T02:00:00.000Z: notice',
      '2027: 1 business days (loaded version 2 by ops at 2026-12-01T02:00:00.000Z: notice)',
      '  holidays: 2027-01-01',
      '  worked weekend days: -',
    ]);
  });
});
