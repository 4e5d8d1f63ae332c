import {
  applyDecorators,
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  type Type as ClassType,
  ValidationError,
} from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsObject,
  registerDecorator,
  validateSync,
  ValidateNested,
  ValidatorOptions,
} from 'class-validator';
import type { ValidationOptions } from 'class-validator';
import type { FieldError } from '@reprise/domain/shared/errors';
import { isTimestamp, TIMESTAMP_RULE } from '@reprise/domain/shared/timestamp';
import { fieldPath, shortField } from './field-path';
import { InvalidInputException } from './problem-details.filter';

export { fieldPath };

const UNKNOWN_FIELD = 'is not a known field';

/** Flattens nested class-validator errors into `{field: "disks[0].sizeGiB", message}`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = fieldPath(parent, error.property);
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({
        field,
        message: message.replace(/^property (\S+) should not exist$/, UNKNOWN_FIELD),
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * Keys that name Object.prototype's machinery (`__proto__`, `constructor`, `toString`, …) and
 * `prototype`. class-transformer drops them silently (or worse, `__proto__` would set the
 * prototype of the DTO), so they would never be reported as the unknown fields they are: they are
 * refused by name, at any depth, before the DTO is built.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function prototypeKeyErrors(raw: unknown, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Array<[unknown, string]> = [[raw, prefix]];
  while (stack.length) {
    const [node, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      const field = fieldPath(path, key);
      if (PROTOTYPE_KEYS.has(key)) errors.push({ field, message: UNKNOWN_FIELD });
      else stack.push([child, field]);
    }
  }
  return errors;
}

/** A copy without the keys above (the body is at most MAX_JSON_DEPTH deep: the guard saw to it). */
function withoutPrototypeKeys(node: unknown): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map(withoutPrototypeKeys);
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node))
    if (!PROTOTYPE_KEYS.has(key)) copy[key] = withoutPrototypeKeys(child);
  return copy;
}

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/**
 * The one validation of client input against a DTO class, used by the global pipe and by the
 * routes that validate rows themselves (bulk import, authorised persons). Every invalid field is
 * listed, named from `prefix` (`[3].disks[0].sizeGiB` for row 3 of an import): wrong types,
 * missing and unknown fields, prototype names, arrays where objects are expected.
 */
export function validateInput<T extends object>(
  type: ClassType<T>,
  raw: unknown,
  prefix = '',
): { value: T; errors: FieldError[] } | { value: null; errors: FieldError[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { value: null, errors: [{ field: prefix || 'body', message: 'must be a JSON object' }] };
  const forbidden = prototypeKeyErrors(raw, prefix);
  const value = plainToInstance(type, forbidden.length ? withoutPrototypeKeys(raw) : raw);
  const errors = [...forbidden, ...flattenValidationErrors(validateSync(value, VALIDATOR_OPTIONS), prefix)];
  return { value, errors: errors.map((e) => ({ ...e, field: shortField(e.field) })) };
}

const BUILT_IN = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date]);

/**
 * Global pipe for `@Body()` and `@Query()` DTOs: whitelist, refuse unknown fields, transform, and
 * list every invalid field at once. Path parameters have their own rule (`@IdParam`).
 */
@Injectable()
export class InputValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { type, metatype } = metadata;
    if ((type !== 'body' && type !== 'query') || !metatype || BUILT_IN.has(metatype)) return value;
    const result = validateInput(metatype as ClassType<object>, value ?? {});
    if (result.errors.length) throw new InvalidInputException(result.errors);
    return result.value;
  }
}

/** A nested object field: a JSON object (an array or a scalar is refused by name), validated as `type`. */
export const NestedObject = (type: () => ClassType<object>) =>
  applyDecorators(IsObject(), ValidateNested(), Type(type));

/** An array of nested objects: every element a JSON object (not an array), each validated as `type`. */
export const NestedArray = (type: () => ClassType<object>) =>
  applyDecorators(IsArray(), IsObject({ each: true }), ValidateNested({ each: true }), Type(type));

/** A time field or query: the one timestamp rule of the API (`parseTimestamp`). */
export function IsTimestamp(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimestamp',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => isTimestamp(value),
        defaultMessage: (args) => `${args?.property} ${TIMESTAMP_RULE}`,
      },
    });
}
