import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCalendarFile } from '../../infra/cli/calendar.ts';
import { api, baseUrl } from './support/stack.ts';
import { createWorld, uniqueKey, type World } from './support/world.ts';

/**
 * The operator's path for a newly published year, on the local stack. It loads a far year (2189)
 * that no other test reads, so the Chinese calendar the other tests see is the package's.
 */
const YEAR = 2189;
const V1 = { holidays: [`${YEAR}-01-01`, `${YEAR}-01-02`], workingDays: [`${YEAR}-01-03`], source: 'integration test, version 1' };
const V2 = { holidays: [...V1.holidays, `${YEAR}-10-01`], workingDays: V1.workingDays, source: 'integration test, version 2' };
const path = `/v1/calendars/CN/years/${YEAR}`;

const clientIdOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { client_id: string }).client_id;

let w: World;
const dir = mkdtempSync(join(tmpdir(), 'colend-calendar-it-'));
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading a year of the Chinese calendar', () => {
  it('refuses the year before it is loaded, loads it, replays the key, refuses bad tables and callers, and serves the latest version', async () => {
    const before = await api<{ code: string; details: { year: number } }>(`/v1/calendars/CN?year=${YEAR}`, { token: w.tokens.bankA });
    expect([before.status, before.json.code, before.json.details.year]).toEqual([422, 'CALENDAR_YEAR_NOT_COVERED', YEAR]);

    const key = uniqueKey('calendar');
    const put = (token: string, body: unknown, idempotencyKey = uniqueKey('calendar')) => api<Record<string, unknown>>(path, { method: 'PUT', token, body, headers: { 'idempotency-key': idempotencyKey } });
    const first = await put(w.tokens.finance, V1, key);
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({ calendar: 'CN', year: YEAR, version: 1, ...V1, loadedBy: clientIdOf(w.tokens.finance) });

    const replay = await put(w.tokens.finance, V1, key);
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.text]).toEqual([201, 'true', first.text]);

    const bad = await put(w.tokens.finance, { ...V1, workingDays: [`${YEAR}-01-05`] });
    expect([bad.status, bad.json.code, bad.json.details]).toMatchObject([400, 'VALIDATION_FAILED', { path: 'workingDays.0', rule: 'weekend-only' }]);
    expect((await put(w.tokens.bankA, V1)).status).toBe(403);
    expect((await put(w.tokens.financeA, V1)).status).toBe(403);

    const file = join(dir, `cn-${YEAR}.json`);
    writeFileSync(file, JSON.stringify(V2));
    const second = await loadCalendarFile({ file, calendar: 'CN', year: YEAR, apiUrl: baseUrl(), token: w.tokens.lead });
    expect([second.status, second.body.version, second.body.loadedBy]).toEqual([201, 2, clientIdOf(w.tokens.lead)]);

    const view = await api<{ coveredYears: number[]; year: { source: Record<string, unknown>; holidays: string[]; businessDays: string[] } }>(`/v1/calendars/CN?year=${YEAR}`, {
      token: w.tokens.bankA,
    });
    expect(view.status).toBe(200);
    expect(view.json.coveredYears).toContain(YEAR);
    expect(view.json.year.source).toMatchObject({ kind: 'LOADED', version: 2, loadedBy: clientIdOf(w.tokens.lead), source: V2.source });
    expect(view.json.year.holidays).toEqual(V2.holidays);
    // 2189-01-01 and 02 (Thursday, Friday) are off; Saturday the 3rd is worked, Sunday the 4th is not.
    expect(view.json.year.businessDays.slice(0, 4)).toEqual([`${YEAR}-01-03`, `${YEAR}-01-05`, `${YEAR}-01-06`, `${YEAR}-01-07`]);
  });
});
