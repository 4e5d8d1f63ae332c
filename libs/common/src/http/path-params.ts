import { Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { validationError } from '@reprise/domain/shared/errors';

/** What a path parameter must look like, and how the OpenAPI document says it. */
export interface PathRule {
  /** The OpenAPI schema of the parameter: a `format` or a `pattern`, so clients see the rule. */
  schema: { type: 'string'; format?: string; pattern?: string; minLength?: number; maxLength?: number };
  /** What is wrong with `value`, or null when it is well-formed. */
  problem(value: string): string | null;
  normalise?(value: string): string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every id of the API (tenants, servers, activations, schedules, API keys) is a UUID. */
export const UUID_RULE: PathRule = {
  schema: { type: 'string', format: 'uuid' },
  problem: (value) =>
    UUID.test(value) ? null : 'must be a UUID such as 3f0c1e9a-5b7d-4c2e-9f1a-2b3c4d5e6f70',
  // RFC 9562: UUIDs are compared case-insensitively; ours are stored lowercase.
  normalise: (value) => value.toLowerCase(),
};

/** A name chosen by the user (a disk's): the same length rule as the field that names it. */
export const nameRule = (max: number): PathRule => ({
  schema: { type: 'string', minLength: 1, maxLength: max },
  problem: (value) => (value.length >= 1 && value.length <= max ? null : `must be 1 to ${max} characters`),
});

class PathParamPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly name: string,
    private readonly rule: PathRule,
  ) {}

  transform(value: unknown): string {
    const problem = typeof value === 'string' ? this.rule.problem(value) : 'is required';
    if (problem)
      throw validationError('invalid-path-parameter', `path parameter ${this.name} ${problem}`, [
        { field: this.name, message: problem },
      ]);
    const text = value as string;
    return this.rule.normalise ? this.rule.normalise(text) : text;
  }
}

/**
 * The one rule for every path parameter: a malformed value answers 400 problem+json naming the
 * parameter (`errors: [{field: 'id', message: 'must be a UUID …'}]`) before anything is read or
 * written; a well-formed id of nothing (or of another tenant) answers 404. The OpenAPI document
 * shows the rule (format or pattern). Every `:param` of every route goes through this decorator.
 */
export function PathParam(name: string, rule: PathRule = UUID_RULE): ParameterDecorator {
  return (target, key, index) => {
    Param(name, new PathParamPipe(name, rule))(target, key, index);
    if (key === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor)
      ApiParam({
        name,
        required: true,
        schema: rule.schema,
        description: `${rule.schema.format === 'uuid' ? 'A UUID' : 'A name'}; malformed → 400 naming \`${name}\``,
      })(target, key, descriptor);
  };
}
