import { expect } from 'vitest';
import type { DomainError } from '../../../../../shared/domain/errors.ts';
import { ValidationError } from '../../../../../shared/domain/errors.ts';

/** Runs `action`, expects it to throw, and returns the error for further checks. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

/** Expects a ValidationError naming `path` (and `rule`, when given). */
export function expectValidation(action: () => unknown, path: string, rule?: string): ValidationError {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(ValidationError);
  const validation = error as ValidationError;
  expect(validation.details.path).toBe(path);
  if (rule !== undefined) expect(validation.details.rule).toBe(rule);
  expect(validation.message).toContain(path);
  return validation;
}

/** Expects a DomainError of the given class with the given code. */
export function expectDomainError(action: () => unknown, type: new (...args: never[]) => DomainError, code: string): DomainError {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(type);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}
