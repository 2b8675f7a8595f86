// The checker and the offline validator used by the other CRD tests must catch what they claim to
// catch; otherwise a clean result would mean nothing.
import type { Schema } from './crd-files';
import { structuralProblems } from './structural';
import { validateValue } from './validate';

const obj = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({ type: 'object', properties, ...extra });

function problemsOf(spec: Schema): string[] {
  return structuralProblems(obj({ spec }));
}

describe('structuralProblems', () => {
  it('accepts a typical structural schema', () => {
    const spec = obj({
      name: { type: 'string', maxLength: 63, 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')", message: 'lower case' }] },
      port: { 'x-kubernetes-int-or-string': true },
      anything: { 'x-kubernetes-preserve-unknown-fields': true },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      list: {
        type: 'array',
        maxItems: 8,
        items: obj({ n: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self >= 0', message: 'n >= 0' }] } }),
        'x-kubernetes-validations': [{ rule: 'self.all(x, x.n < 10)', message: 'small' }],
      },
      conditions: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        items: obj({ type: { type: 'string' } }, { required: ['type'] }),
      },
    });
    expect(problemsOf(spec)).toEqual([]);
  });

  it.each<[string, Schema, RegExp]>([
    ['a missing type', obj({ a: { description: 'untyped' } }), /\.spec\.a: missing type/],
    ['properties with additionalProperties', { type: 'object', properties: {}, additionalProperties: { type: 'string' } }, /mutually exclusive/],
    ['an array without items', { type: 'array' } as Schema, /array needs a single items schema/],
    ['int-or-string with a type', { type: 'string', 'x-kubernetes-int-or-string': true }, /must not set type/],
    ['oneOf', { type: 'object', oneOf: [{ required: ['a'] } as Schema] }, /allOf\/oneOf\/not/],
    ['an undeclared required field', obj({}, { required: ['x'] }), /required field x is not declared/],
    ['a list-map key that is not required', {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['k'],
      items: obj({ k: { type: 'string' } }),
    } as Schema, /must be required or defaulted/],
    ['an enum value of the wrong type', { type: 'integer', enum: ['a'] }, /enum value "a" is not a integer/],
    ['a default of the wrong type', { type: 'boolean', default: 'no' }, /default does not match/],
    ['a rule without a message', { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0' }] }, /no message/],
    ['a multi-line message', { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'a\nb' }] }, /one non-empty line/],
    ['an unsupported reason', {
      type: 'integer',
      'x-kubernetes-validations': [{ rule: 'self > 0', message: 'm', reason: 'FieldValueNotSupported' }],
    }, /reason FieldValueNotSupported/],
    ['a regex rule on an unbounded string', {
      type: 'string',
      'x-kubernetes-validations': [{ rule: "self.matches('^a$')", message: 'm' }],
    }, /without maxLength/],
    ['an iterating rule on an unbounded array', {
      type: 'array',
      items: { type: 'string', maxLength: 3 },
      'x-kubernetes-validations': [{ rule: 'self.all(x, x != "")', message: 'm' }],
    }, /without maxItems/],
    [
      'a messageExpression that iterates',
      {
        type: 'array',
        maxItems: 4,
        items: { type: 'string', maxLength: 3 },
        'x-kubernetes-validations': [{ rule: 'true', message: 'm', messageExpression: "self.map(x, x).join(',')" }],
      },
      /messageExpression iterates/,
    ],
    [
      'a regex rule on an unbounded int-or-string',
      {
        'x-kubernetes-int-or-string': true,
        'x-kubernetes-validations': [{ rule: "type(self) == int || string(self).matches('^a$')", message: 'm' }],
      },
      /without maxLength/,
    ],
    ['a rule below an unbounded array', {
      type: 'array',
      items: obj({ n: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'm' }] } }),
    }, /below unbounded list\/map/],
  ])('reports %s', (_what, spec, expected) => {
    const problems = problemsOf(spec);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });
});

describe('validateValue', () => {
  const schema = obj({
    spec: obj({
      name: { type: 'string', maxLength: 5 },
      mode: { type: 'string', enum: ['A', 'B'] },
      count: { type: 'integer' },
      tag: { 'x-kubernetes-int-or-string': true },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      any: { 'x-kubernetes-preserve-unknown-fields': true },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      items: { type: 'array', maxItems: 2, items: obj({ k: { type: 'string' } }, { required: ['k'] }) },
      opt: { type: 'object', nullable: true },
    }),
  });

  it('accepts a valid object, null where nullable, and any apiVersion/kind/metadata', () => {
    const v = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: { name: 'abc', mode: 'A', count: 3, tag: 2, free: { x: [1] }, any: 'str', labels: { a: 'b' }, items: [{ k: 'v' }], opt: null },
    };
    expect(validateValue(v, schema)).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown field', { spec: { nope: 1 } }, /unknown field "nope"/],
    ['null for a field that is not nullable', { spec: { count: null } }, /\.spec\.count: must be integer, got null/],
    ['a wrong type', { spec: { count: '3' } }, /\.spec\.count: must be integer, got string/],
    ['a float where an integer is required', { spec: { count: 1.5 } }, /must be integer, got number/],
    ['a value outside the enum', { spec: { mode: 'C' } }, /not in enum/],
    ['a float for int-or-string', { spec: { tag: 1.3 } }, /integer or a string/],
    ['a too long string', { spec: { name: 'abcdef' } }, /longer than 5/],
    ['too many items', { spec: { items: [{ k: 'a' }, { k: 'b' }, { k: 'c' }] } }, /more than 2 items/],
    ['a missing required field', { spec: { items: [{}] } }, /missing required field k/],
    ['a non-string map value', { spec: { labels: { a: 1 } } }, /\.spec\.labels\.a: must be string/],
  ])('rejects %s', (_what, value, expected) => {
    const problems = validateValue(value, schema);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });
});
