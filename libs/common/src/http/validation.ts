import { ValidationError, ValidationPipe } from '@nestjs/common';
import type { FieldError } from '@reprise/domain/shared/errors';
import { InvalidInputException } from './problem-details.filter';

/** Flattens nested class-validator errors into `{field: "disks[0].sizeGiB", message}`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent
      ? /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`
      : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({
        field,
        message: message.replace(/^property (\S+) should not exist$/, 'is not a known field'),
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** Global pipe: whitelist, refuse unknown fields, transform, and list every invalid field at once. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidInputException(flattenValidationErrors(errors)),
  });
}

/**
 * Validates `value` as `type` exactly as the global pipe validates a body (same errors, same 400),
 * for a body whose shape depends on who calls.
 */
export function validateInput<T extends object>(type: new () => T, value: unknown): Promise<T> {
  return createValidationPipe().transform(value, { type: 'body', metatype: type, data: undefined });
}
