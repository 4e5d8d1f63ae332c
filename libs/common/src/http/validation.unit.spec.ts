import { IsInt, IsOptional, IsString } from 'class-validator';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, tooDeep } from './request-body';
import { InputValidationPipe, NestedArray, NestedObject, validateInput } from './validation';

class Inner {
  @IsString() name: string;
}

class Outer {
  @IsInt() size: number;
  @NestedObject(() => Inner) owner: Inner;
  @IsOptional() @NestedArray(() => Inner) items?: Inner[];
}

const fields = (raw: unknown, prefix = '') => validateInput(Outer, raw, prefix).errors.map((e) => e.field);
const valid = { size: 1, owner: { name: 'a' }, items: [{ name: 'b' }] };

describe('validateInput: the one validation of client input', () => {
  it('accepts a valid object and builds the DTO', () => {
    const result = validateInput(Outer, valid);
    expect(result.errors).toEqual([]);
    expect(result.value).toBeInstanceOf(Outer);
    expect(result.value?.owner).toBeInstanceOf(Inner);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])(
    'names %s as an unknown field wherever it is, with every other error',
    (key) => {
      const raw = JSON.parse(
        `{"${key}":{"polluted":true},"size":"x","owner":{"name":"a","${key}":1},"items":[{"name":"b","${key}":2}]}`,
      );
      expect(fields(raw, '[4]').sort()).toEqual(
        [`[4].${key}`, `[4].items[0].${key}`, `[4].owner.${key}`, '[4].size'].sort(),
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('names an array where an object is expected, alone or inside an array, beside other errors', () => {
    expect(fields({ size: 'x', owner: [], items: [[]] }).sort()).toEqual(['items', 'owner', 'size']);
    expect(fields({ size: 1, owner: [{ name: 'a' }] })).toEqual(['owner']);
    expect(fields({ size: 1, owner: { name: 'a' }, items: [{ name: 'b' }, ['x']] })).toContain('items');
  });

  it('names the body itself when it is not an object', () => {
    for (const raw of [[], [valid], 'x', 3, null]) expect(fields(raw)).toEqual(['body']);
    expect(fields([], '[2]')).toEqual(['[2]']);
  });

  it('lets path parameters and built-in types through the pipe untouched', () => {
    const pipe = new InputValidationPipe();
    expect(pipe.transform('constructor', { type: 'param', metatype: String, data: 'id' })).toBe(
      'constructor',
    );
    expect(pipe.transform(['x'], { type: 'body', metatype: Object })).toEqual(['x']);
    expect(() => pipe.transform({ size: 'x' }, { type: 'body', metatype: Outer })).toThrow();
  });
});

describe('tooDeep: the depth guard of every JSON body', () => {
  const nest = (depth: number, arrays: boolean) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    return value;
  };

  it(`accepts ${MAX_JSON_DEPTH} levels and names the first value deeper`, () => {
    expect(tooDeep(nest(MAX_JSON_DEPTH, false))).toBeNull();
    expect(tooDeep(nest(MAX_JSON_DEPTH + 1, false))).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
    expect(tooDeep({ ok: 1, os: nest(MAX_JSON_DEPTH, true) })).toBe(`os${'[0]'.repeat(MAX_JSON_DEPTH - 1)}`);
  });

  it('walks a million levels without recursion', () => {
    expect(tooDeep(nest(1_000_000, true))).toMatch(/^\[0\]/);
  });

  it('passes any JSON within the limit, and finds the limit crossed under any of it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, arrays) => {
        expect(tooDeep(value)).toBeNull();
        expect(tooDeep({ value, deep: nest(MAX_JSON_DEPTH, arrays) })).toMatch(/^deep/);
      }),
    );
  });
});
