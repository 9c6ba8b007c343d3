import { z } from 'zod';
import { calendarDate } from './dates.ts';
import { pageParams } from './paging.ts';

/** `GET /v1/audit?date=YYYY-MM-DD&limit=&cursor=`: a day's audit records (UTC day), a page at a time. */
export const auditQuery = z.strictObject({
  date: calendarDate.describe('the UTC day whose audit records to list'),
  ...pageParams(),
});
export type AuditQuery = z.output<typeof auditQuery>;
