import { brotliDecompressSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { fieldPath } from '@reprise/common/http/field-path';
import { MAX_JSON_DEPTH } from '@reprise/common/http/request-body';

/**
 * Bad requests generated from the app's own OpenAPI document (not a spec file). Every body this
 * module generates is wrong in a known way, and says which fields are at fault: a request built
 * from it must be refused, and a 400 must name one of those fields.
 */

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  template: string;
  operation: Operation;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function routesOf(doc: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths))
    for (const method of METHODS)
      if (operations[method]) routes.push({ method, template, operation: operations[method] });
  return routes;
}

/** What one generated body sends, and which fields are at fault. */
export interface BodyCase {
  contentType?: string;
  contentEncoding?: string;
  payload: string | Uint8Array;
  faults: string[];
  label: string;
}

/** A JSON value with one known fault (before serialisation). */
interface Faulty {
  value: unknown;
  faults: string[];
  label: string;
}

/** Keys that must be refused by name wherever they appear. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Printable ASCII: what an HTTP header value can carry. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

export const keyArb = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
);

/** Times in forms the one timestamp rule refuses (week, ordinal, basic, no offset, impossible…). */
export const badTimeArb = fc.oneof(
  fc.constantFrom(
    '2027-W05-1',
    '2027-033',
    '20270105',
    '20270105T090000Z',
    '2027-01-05',
    '2027-01-05T09:00:00',
    '2027-01-05T09:00Z',
    '2027-02-30T09:00:00Z',
    '2027-01-05T24:00:00Z',
    '2027-13-01T00:00:00Z',
    '2027-01-05 09:00:00Z',
    '+002027-01-05T09:00:00Z',
    'yesterday',
    'now',
    '0',
    '',
  ),
  fc
    .date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2999-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().replace('Z', '')),
  fc.integer().map(String),
);

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10; i++) {
    if (s.$ref) s = doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] ?? {};
    else if (s.allOf?.length === 1) s = s.allOf[0];
    else break;
  }
  return s;
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

function kindOf(doc: OpenApiDocument, schema: Schema | undefined): Kind | null {
  const s = resolve(doc, schema);
  if (s.oneOf || s.anyOf) return null;
  if (s.type && ['string', 'number', 'integer', 'boolean', 'array', 'object'].includes(s.type))
    return s.type as Kind;
  return s.properties ? 'object' : null;
}

/** An object schema with properties of its own (a DTO), which the validator walks into. */
const isDto = (doc: OpenApiDocument, schema: Schema | undefined) =>
  kindOf(doc, schema) === 'object' && !!resolve(doc, schema).properties;

/** Defines `key` as an own, enumerable property (even `__proto__`), as JSON.parse would. */
function put(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** A value that looks like what the schema wants (it may or may not be valid). */
function plausible(doc: OpenApiDocument, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  if (s.oneOf?.length) return fc.oneof(...s.oneOf.map((o) => plausible(doc, o, depth)));
  switch (kindOf(doc, s)) {
    case 'string':
      if (s.format === 'date-time')
        return fc.constantFrom('2031-01-05T09:00:00Z', new Date(Date.now() + 60 * 86_400_000).toISOString());
      return fc.oneof(fc.constantFrom('web-1', 'a@b.example', 'Claire Martin'), fc.string({ maxLength: 12 }));
    case 'integer':
      return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 100 });
    case 'number':
      return fc.double({ min: s.minimum ?? 0, max: s.maximum ?? 100, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(plausible(doc, s.items, depth + 1), { maxLength: 2 });
    case 'object': {
      if (depth > 3) return fc.constant({});
      const props = s.properties ?? {};
      return fc
        .subarray(Object.keys(props))
        .chain((names) =>
          fc
            .tuple(...names.map((n) => plausible(doc, props[n], depth + 1)))
            .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]]))),
        );
    }
    default:
      return fc.constantFrom('x', 1, {});
  }
}

const notAString = fc.constantFrom<unknown>(42, true, [], {}, [['x']], { value: 'x' });
const notANumber = fc.constantFrom<unknown>('5', true, [], {}, [1], { value: 1 });

/** A value the validator must refuse for this schema, or null when the schema does not say enough. */
function wrong(doc: OpenApiDocument, schema: Schema | undefined): fc.Arbitrary<unknown> | null {
  const s = resolve(doc, schema);
  switch (kindOf(doc, s)) {
    case 'string': {
      const options: Array<fc.Arbitrary<unknown>> = [notAString];
      if (s.enum?.length)
        options.push(
          fc
            .string({ maxLength: 20 })
            .map((x) => `not-${x}`)
            .filter((x) => !s.enum!.includes(x)),
        );
      if (s.format === 'date-time') options.push(badTimeArb);
      if (s.maxLength !== undefined) options.push(fc.constant('x'.repeat(s.maxLength + 1)));
      return fc.oneof(...options);
    }
    case 'integer':
    case 'number': {
      const options: Array<fc.Arbitrary<unknown>> = [notANumber];
      if (s.maximum !== undefined) options.push(fc.constant(s.maximum + 1));
      if (s.minimum !== undefined) options.push(fc.constant(s.minimum - 1));
      if (kindOf(doc, s) === 'integer') options.push(fc.constant(1.5));
      return fc.oneof(...options);
    }
    case 'boolean':
      return fc.constantFrom<unknown>('true', 1, [], {});
    case 'array':
      return isDto(doc, s.items)
        ? fc.constantFrom<unknown>({}, 'x', 7, [[]], [[{}]], [1], ['x'])
        : fc.constantFrom<unknown>({}, 'x', 7, [[]], [{}]);
    case 'object':
      return fc.constantFrom<unknown>([], [[]], [{}], 'x', 7, true);
    default:
      return null;
  }
}

/** `{"a":{"a":…}}` or `[[…]]` deeper than the API reads, spliced in for a marker after serialisation. */
const DEEP = '\u0001deep';
const deepArb = fc.record({
  depth: fc.integer({ min: MAX_JSON_DEPTH + 1, max: 5000 }),
  arrays: fc.boolean(),
});
function deepText(depth: number, arrays: boolean): string {
  return arrays
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** An object for `schema` with exactly one kind of fault, named from `prefix`. */
function faultyObject(doc: OpenApiDocument, schema: Schema, prefix: string, depth = 0): fc.Arbitrary<Faulty> {
  const s = resolve(doc, schema);
  const props = s.properties ?? {};
  const names = Object.keys(props);
  const base = plausible(doc, s, depth) as fc.Arbitrary<Record<string, unknown>>;
  const cases: Array<fc.Arbitrary<Faulty>> = [
    fc
      .tuple(
        base,
        keyArb.filter((k) => !names.includes(k)),
        plausible(doc, undefined),
      )
      .map(([b, key, v]) => ({
        value: put({ ...b }, key, v),
        faults: [fieldPath(prefix, key)],
        label: `unknown field ${JSON.stringify(key)}`,
      })),
    fc.tuple(base, fc.constantFrom(...(names.length ? names : ['a'])), deepArb).map(([b, name, d]) => ({
      value: put({ ...b }, name, `${DEEP}:${d.depth}:${d.arrays}`),
      faults: [fieldPath(prefix, name)],
      label: `${name} nested ${d.depth} levels`,
    })),
  ];
  const typed = names.filter((n) => wrong(doc, props[n]) !== null);
  if (typed.length)
    cases.push(
      fc.constantFrom(...typed).chain((name) =>
        fc.tuple(base, wrong(doc, props[name])!).map(([b, v]) => ({
          value: put({ ...b }, name, v),
          faults: [fieldPath(prefix, name)],
          label: `${name} = ${JSON.stringify(v)?.slice(0, 60)}`,
        })),
      ),
    );
  const required = (s.required ?? []).filter((n) => names.includes(n));
  if (required.length)
    cases.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([b, name]) => {
        const value = { ...b };
        delete value[name];
        return { value, faults: [fieldPath(prefix, name)], label: `${name} missing` };
      }),
    );
  // A fault one level down, inside a nested DTO or an element of an array of DTOs.
  const nested =
    depth < 2 ? names.filter((n) => isDto(doc, props[n]) || isDto(doc, resolve(doc, props[n]).items)) : [];
  if (nested.length)
    cases.push(
      fc.constantFrom(...nested).chain((name) => {
        const inArray = kindOf(doc, props[name]) === 'array';
        const inner = inArray ? resolve(doc, props[name]).items! : props[name];
        const path = inArray ? `${fieldPath(prefix, name)}[0]` : fieldPath(prefix, name);
        return fc.tuple(base, faultyObject(doc, inner, path, depth + 1)).map(([b, f]) => ({
          value: put({ ...b }, name, inArray ? [f.value] : f.value),
          faults: f.faults,
          label: `${name}: ${f.label}`,
        }));
      }),
    );
  return fc.oneof(...cases);
}

/** Serialises, splicing the deep markers in. */
function serialise(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001deep:(\d+):(true|false)"/g, (_m, depth, arrays) =>
    deepText(Number(depth), arrays === 'true'),
  );
}

/** Text that is not a JSON object or array (so strict JSON parsing refuses it). */
const malformedJson = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.constantFrom(
      '{"a":',
      '{"a" 1}',
      "{'a':1}",
      '[1,]',
      '{"a":1}}',
      'null',
      '"x"',
      '17',
      'true',
      '\u00ff\u00fe',
    ),
  )
  .filter((text) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed === null || typeof parsed !== 'object';
    } catch {
      return text.trim().length > 0;
    }
  });

const WRONG_TYPES = [
  'application/xml',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/octet-stream',
  'application/jsonx',
  'image/png',
  'text/csv',
  '*/*',
  '/',
  ';',
  'application/json, text/plain',
];

function decompresses(encoding: string, text: string): boolean {
  const decode = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[encoding]!;
  try {
    decode(Buffer.from(text));
    return true;
  } catch {
    return false;
  }
}

/** Failures of the transport: content type, encoding, charset, size. */
function transportFaults(payload: fc.Arbitrary<string>, accepted: string[]): fc.Arbitrary<BodyCase> {
  const wrongType = fc
    .tuple(fc.constantFrom(...WRONG_TYPES.filter((t) => !accepted.includes(t)), 'none'), payload)
    .map(([type, text]) => ({
      contentType: type === 'none' ? undefined : type,
      payload: type === 'none' ? new TextEncoder().encode(text || 'x') : text || 'x',
      faults: ['Content-Type'],
      label: `Content-Type ${type}`,
    }));
  const notCompressed = fc
    .tuple(fc.constantFrom('gzip', 'deflate', 'br'), payload)
    // A few bytes can be a valid (empty) deflate or brotli stream: those are not a fault.
    .filter(([encoding, text]) => !decompresses(encoding, text || '{}'))
    .map(([encoding, text]) => ({
      contentType: 'application/json',
      contentEncoding: encoding,
      payload: text || '{}',
      faults: ['body'],
      label: `Content-Encoding ${encoding} on a body that is not`,
    }));
  const unknownEncoding = fc
    .tuple(fc.constantFrom('compress', 'x-zip', 'zstd2', 'gzip, br', 'identity, gzip'), payload)
    .map(([encoding, text]) => ({
      contentType: 'application/json',
      contentEncoding: encoding,
      payload: text || '{}',
      faults: ['Content-Encoding'],
      label: `Content-Encoding ${encoding}`,
    }));
  const charset = fc
    .tuple(fc.constantFrom('klingon', 'latin-42', 'utf-9', 'ebcdic'), payload)
    .map(([name, text]) => ({
      contentType: `application/json; charset=${name}`,
      payload: text || '{}',
      faults: ['Content-Type', 'body'],
      label: `charset ${name}`,
    }));
  const tooLarge = fc.constant<BodyCase>({
    contentType: 'application/json',
    payload: JSON.stringify({ padding: 'x'.repeat(1_100_000) }),
    faults: ['body'],
    label: 'a body over 1 MB',
  });
  return fc.oneof(
    { weight: 4, arbitrary: wrongType },
    { weight: 3, arbitrary: notCompressed },
    { weight: 2, arbitrary: unknownEncoding },
    { weight: 2, arbitrary: charset },
    { weight: 1, arbitrary: tooLarge },
  );
}

/** Optionally gzips a JSON body (a valid encoding: the fault must still be found inside). */
const maybeGzip = (body: BodyCase): fc.Arbitrary<BodyCase> =>
  fc.boolean().map((zip) =>
    zip && typeof body.payload === 'string'
      ? {
          ...body,
          contentEncoding: 'gzip',
          payload: gzipSync(body.payload),
          label: `${body.label} (gzipped)`,
        }
      : body,
  );

/**
 * Bad bodies for one route: a request body that breaks the route's schema in one known way, or a
 * transport fault; for a route without a body, any non-empty body.
 */
export function badBodies(doc: OpenApiDocument, route: Route): fc.Arbitrary<BodyCase> {
  const content = route.operation.requestBody?.content;
  const json = content?.['application/json']?.schema;
  const accepted = Object.keys(content ?? {});
  if (!json) {
    const someKeys = fc.uniqueArray(keyArb, { minLength: 1, maxLength: 3 }).map((keys) => ({
      value: keys.reduce((o, k) => put(o, k, 'x'), {} as Record<string, unknown>),
      faults: keys.map((k) => fieldPath('', k)),
      label: `fields ${keys.join(', ')} on a route without a body`,
    }));
    const jsonCase = fc
      .oneof(
        someKeys,
        fc.constant<Faulty>({ value: [1], faults: ['body'], label: 'an array on a route without a body' }),
      )
      .map((f) => ({
        contentType: 'application/json',
        payload: serialise(f.value),
        faults: f.faults,
        label: f.label,
      }));
    return fc.oneof(jsonCase.chain(maybeGzip), transportFaults(fc.constant('<x/>'), []));
  }
  const s = resolve(doc, json);
  const isArray = kindOf(doc, s) === 'array';
  const structural: fc.Arbitrary<Faulty> = isArray
    ? fc
        .tuple(fc.array(plausible(doc, s.items), { maxLength: 2 }), faultyObject(doc, s.items ?? {}, '[0]'))
        .map(([rest, f]) => ({ value: [f.value, ...rest], faults: f.faults, label: `[0] ${f.label}` }))
    : faultyObject(doc, s, '');
  const wrongShape = fc
    .constantFrom<unknown>(...(isArray ? [{}, { a: 1 }] : [[], [[]], [{}]]))
    .map((value) => ({ value, faults: ['body'], label: `body ${JSON.stringify(value)}` }));
  const deepBody = deepArb.map((d) => ({
    value: `${DEEP}:${d.depth}:${d.arrays}`,
    faults: [d.arrays ? '[0]' : 'a'],
    label: `body nested ${d.depth} levels`,
  }));
  const jsonCases = fc
    .oneof({ arbitrary: structural, weight: 6 }, wrongShape, deepBody)
    .map((f) => ({
      contentType: 'application/json',
      payload: serialise(f.value),
      faults: f.faults,
      label: f.label,
    }))
    .chain(maybeGzip);
  const malformed = malformedJson.map((text) => ({
    contentType: 'application/json',
    payload: text,
    faults: ['body'],
    label: `malformed JSON ${JSON.stringify(text)}`,
  }));
  const cases: Array<fc.Arbitrary<BodyCase>> = [
    jsonCases,
    jsonCases,
    jsonCases,
    malformed,
    transportFaults(malformedJson, accepted),
  ];
  if (accepted.includes('text/csv'))
    cases.push(
      fc.string({ maxLength: 60 }).map((rest) => ({
        contentType: 'text/csv',
        payload: `bogus,${rest}\n1,2\n`,
        faults: ['body', 'header'],
        label: 'a CSV whose header names an unknown column',
      })),
    );
  return fc.oneof(...cases);
}

/** Path segments that are not a well-formed id: prototype names, traversal, very long, unicode. */
export const badIdArb = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'prototype',
    'valueOf',
    'null',
    'undefined',
    '0',
    '-1',
    '%2e%2e',
    '..%2f..%2fetc%2fpasswd',
    '%E0%A4%A',
    '%00',
    '%20',
  ),
  fc.string({ minLength: 1, maxLength: 2000 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.uuid().map((u) => `${u}x`),
  fc.uuid().map((u) => u.replace(/-/g, '')),
);

/** Noise sent along: If-Match, Authorization, query strings. */
export const ifMatchArb = fc.option(
  fc.oneof(headerText(40), fc.constantFrom('*', '"x"', 'W/', '1, 2', '9'.repeat(30))),
  { nil: undefined },
);

export const queryArb = fc.option(
  fc
    .array(fc.tuple(keyArb, fc.oneof(fc.string({ maxLength: 30 }), badTimeArb)), {
      minLength: 1,
      maxLength: 3,
    })
    .map((pairs) => ({
      text: `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
      keys: pairs.map(([k]) => k),
    })),
  { nil: undefined },
);

export const garbageAuthArb = fc.oneof(
  fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer', 'Token abc'),
  headerText(300).map((t) => `Bearer ${t}`),
);
