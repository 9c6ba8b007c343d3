import { canonicalJson, sha256 } from '../../shared/json.ts';
import { callApi, readJsonFile, type ApiAnswer, type CommandApi } from './api-client.ts';

/**
 * `colend calendar load <file.json> --calendar CN --year 2027` and `colend calendar show CN
 * [--year 2026]`: the operator's path for a newly published year (docs/calendar.md), through the
 * API, so the load is checked, versioned and recorded with who loaded it exactly as a call is.
 */
export type CalendarApi = CommandApi;
export type CalendarAnswer = ApiAnswer;

/**
 * The Idempotency-Key of a load: the calendar, the year and the file's content. Loading the same
 * file again answers the version it stored (nothing new is written); a changed file is a new version.
 */
export function loadKey(calendar: string, year: number, body: unknown): string {
  return `calendar:${calendar}:${year}:${sha256(canonicalJson(body)).slice(0, 32)}`;
}

const send = (api: CalendarApi, method: 'GET' | 'PUT', path: string, init: { body?: unknown; key?: string } = {}): Promise<CalendarAnswer> => callApi(api, method, path, init.body, init.key);

export async function loadCalendarFile(options: CalendarApi & { readonly file: string; readonly calendar: string; readonly year: number }): Promise<CalendarAnswer> {
  const body = await readJsonFile(options.file);
  const path = `/v1/calendars/${encodeURIComponent(options.calendar)}/years/${options.year}`;
  return send(options, 'PUT', path, { body, key: loadKey(options.calendar, options.year, body) });
}

export async function showCalendar(options: CalendarApi & { readonly calendar: string; readonly year?: number }): Promise<CalendarAnswer> {
  const query = options.year === undefined ? '' : `?year=${options.year}`;
  return send(options, 'GET', `/v1/calendars/${encodeURIComponent(options.calendar)}${query}`);
}

interface Source {
  readonly kind: string;
  readonly package?: string;
  readonly packageVersion?: string;
  readonly version?: number;
  readonly loadedBy?: string;
  readonly loadedAt?: string;
  readonly source?: string;
}

function describeSource(source: Source): string {
  if (source.kind === 'PACKAGE') return `package ${source.package}@${source.packageVersion}`;
  if (source.kind === 'LOADED') return `loaded version ${source.version} by ${source.loadedBy} at ${source.loadedAt}: ${source.source}`;
  return 'plain weekdays';
}

/** The refusal of a call: its code and message, then each field at fault with its rule. */
export function formatRefusal(answer: CalendarAnswer): string[] {
  const { code, message, details } = answer.body as { code?: string; message?: string; details?: { issues?: { path: string; rule: string; message: string }[] } };
  const lines = [`REFUSED ${answer.status} ${code ?? ''}: ${message ?? ''}`];
  for (const issue of details?.issues ?? []) lines.push(`  ${issue.path} (${issue.rule}): ${issue.message}`);
  return lines;
}

export function formatLoad(answer: CalendarAnswer): string[] {
  if (answer.status !== 201) return formatRefusal(answer);
  const y = answer.body as { calendar: string; year: number; version: number; holidays: string[]; workingDays: string[]; loadedBy: string; loadedAt: string };
  return [
    `${answer.replayed ? 'ALREADY LOADED' : 'LOADED'} ${y.calendar} ${y.year} version ${y.version} by ${y.loadedBy} at ${y.loadedAt}: ${y.holidays.length} holidays, ${y.workingDays.length} worked weekend days`,
  ];
}

export function formatShow(answer: CalendarAnswer): string[] {
  if (answer.status !== 200) return formatRefusal(answer);
  const c = answer.body as {
    calendar: string;
    zone: string;
    kind: string;
    years: { year: number; source: Source }[];
    year?: { year: number; source: Source; holidays: string[]; workingDays: string[]; businessDays: string[] };
  };
  const lines = [`${c.calendar} (${c.zone}): ${c.kind === 'WEEKDAYS' ? 'Monday to Friday, every year' : 'a table per year; other years are refused'}`];
  for (const y of c.years) lines.push(`  ${y.year}  ${describeSource(y.source)}`);
  if (c.year) {
    lines.push(`${c.year.year}: ${c.year.businessDays.length} business days (${describeSource(c.year.source)})`);
    lines.push(`  holidays: ${c.year.holidays.join(' ') || '-'}`);
    lines.push(`  worked weekend days: ${c.year.workingDays.join(' ') || '-'}`);
  }
  return lines;
}
