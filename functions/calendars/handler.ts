import { systemClock } from '../../shared/adapters/clock.ts';
import { auditStoreFromEnv, createDocumentClient, createStores, tablesFromEnv } from '../../shared/adapters/dynamodb/index.ts';
import { apiHandler, callerOf, idempotentWrite, platformOnly } from '../../shared/http/api.ts';
import { validate } from '../../shared/contracts/validate.ts';
import { calendarPath, calendarQuery, calendarYearPath, type LoadCalendarYearRequest } from '../../shared/contracts/schemas.ts';
import { describeCalendar, loadCalendarYear } from '../../shared/use-cases/calendars.ts';
import { STORES } from './stores.ts';

const stores = createStores(createDocumentClient(), tablesFromEnv(), STORES);
const deps = { ...stores, clock: systemClock };

export const handler = apiHandler(
  {
    'PUT /v1/calendars/{calendar}/years/{year}': (req) => {
      const { calendar, year } = validate(calendarYearPath, platformOnly(req, 'calendars').pathParameters);
      return idempotentWrite(req, deps, async (seal, now) => {
        await loadCalendarYear(deps, { calendar, year, ...(req.body as LoadCalendarYearRequest) }, callerOf(req).userId, seal, now);
      });
    },
    'GET /v1/calendars/{calendar}': async (req) => {
      const { year } = validate(calendarQuery, req.query);
      return { statusCode: 200, body: await describeCalendar(deps, validate(calendarPath, req.pathParameters).calendar, year ?? null) };
    },
  },
  { audit: auditStoreFromEnv() },
);
