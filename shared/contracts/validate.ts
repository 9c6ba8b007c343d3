import { ValidationError } from '../domain/errors.ts';
import { parsingOn } from './dates.ts';

export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code: string;
  /** A refinement's figures; `params.code` names the error when the refinement has its own (DATE_OUT_OF_WINDOW, AMOUNT_TOO_LARGE). */
  readonly params?: Readonly<Record<string, unknown>>;
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: readonly Issue[] } } };

/**
 * zod issues become one ValidationError naming the first field and listing every issue. `today`
 * is the date the dates that may not be after today are checked against (shared/contracts/dates.ts).
 */
export function validate<T>(schema: Schema<T>, value: unknown, options: { readonly today?: string } = {}): T {
  const result = options.today === undefined ? schema.safeParse(value) : parsingOn(options.today, () => schema.safeParse(value));
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message, rule: ruleOf(i) }));
  const firstIssue = result.error.issues[0];
  const first = issues[0] ?? { path: 'body', message: 'invalid', rule: 'invalid' };
  const { code, ...figures } = firstIssue?.params ?? {};
  const named = typeof code === 'string' ? { field: first.path, ...figures } : {};
  const details = { path: first.path, rule: first.rule, ...named, issues };
  throw new ValidationError(`${first.path}: ${first.message}`, details, typeof code === 'string' ? code : undefined);
}

/** The rule an issue breaks: a refinement's own (`params.rule`), or zod's code. */
export function ruleOf(issue: Issue): string {
  const rule = issue.params?.['rule'];
  return typeof rule === 'string' ? rule : issue.code;
}
