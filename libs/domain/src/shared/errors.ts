/**
 * Typed domain errors. The domain throws (or returns) these; one exception filter in the HTTP layer
 * maps them to problem+json. No HTTP types here.
 *
 * - `validation`: well-formed input that names an invalid field (400)
 * - `not-found`: the resource does not exist for this tenant (404)
 * - `forbidden`: a rule forbids this actor (403)
 * - `conflict`: wrong state, duplicate or concurrent change (409)
 * - `rule`: well-formed but breaks a domain rule (422)
 */
export type DomainErrorKind = 'validation' | 'not-found' | 'forbidden' | 'conflict' | 'rule';

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** Stable machine-readable code, e.g. `dependency-cycle`. */
    readonly code: string,
    message: string,
    readonly details: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationError = (code: string, message: string, errors: FieldError[] = []) =>
  new DomainError('validation', code, message, { errors });
export const notFound = (what: string, id: string) =>
  new DomainError('not-found', `${what}-not-found`, `${what} ${id} not found`);
export const forbidden = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError('forbidden', code, message, details);
export const conflict = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError('conflict', code, message, details);
export const ruleViolation = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError('rule', code, message, details);
