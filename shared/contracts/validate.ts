import { ValidationError } from '../domain/errors.ts';

/** zod issues become one ValidationError naming the first field and listing every issue. */
export function validate<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[] } } }, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message, rule: i.code }));
  const first = issues[0] ?? { path: 'body', message: 'invalid', rule: 'invalid' };
  throw new ValidationError(`${first.path}: ${first.message}`, { path: first.path, rule: first.rule, issues });
}
