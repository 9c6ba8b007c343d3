/**
 * Named domain errors. Every refusal carries a machine code, a human message and details
 * (the field path and the rule or figures) so a caller can tell exactly what was wrong.
 */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/** Input that breaks a rule of shape or range; `details.path` names the field. */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  constructor(message: string, details: ErrorDetails & { path: string }, code = 'VALIDATION_FAILED') {
    super(code, message, details);
  }
}

/** A business rule refused the action (limits, regulatory profile, unknown references). */
export class RuleViolation extends DomainError {
  override readonly name = 'RuleViolation';
  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

/** An invariant that must hold before anything is written did not; a defect, never input. */
export class InvariantViolation extends DomainError {
  override readonly name = 'InvariantViolation';
  constructor(message: string, details: ErrorDetails = {}) {
    super('INVARIANT_VIOLATED', message, details);
  }
}

export function invariant(condition: unknown, message: string, details: ErrorDetails = {}): asserts condition {
  if (!condition) throw new InvariantViolation(message, details);
}

/** The action does not fit the current state (already decided, closed, final). */
export class StateConflict extends DomainError {
  override readonly name = 'StateConflict';
  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

/** What was asked for does not exist, or the caller may not see it (and must not learn which). */
/** The caller holds a role the route is open to, but not the standing the action needs (a partner's finance team asking for a person). */
export class Forbidden extends DomainError {
  override readonly name = 'Forbidden';
  constructor(message: string, details: ErrorDetails = {}) {
    super('FORBIDDEN', message, details);
  }
}

export class NotFound extends DomainError {
  override readonly name = 'NotFound';
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`, { [`${what}Id`]: id });
  }
}
