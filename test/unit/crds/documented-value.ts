// Checks a JSON value against a CRD schema the way the apiserver would keep it, and more strictly: every
// key must be declared (even under x-kubernetes-preserve-unknown-fields, where the apiserver would keep
// an undeclared key silently), types and enums must match, required keys must be present. So a field the
// operator writes but the CRD does not describe is reported, with its path.
import type { JsonValue, Schema } from './crd-files';

function typeOf(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(schemaType: string | undefined, actual: string): boolean {
  if (!schemaType) return true;
  return schemaType === actual || (schemaType === 'number' && actual === 'integer');
}

export function undocumentedProblems(value: JsonValue, schema: Schema, at = ''): string[] {
  const here = at || '<root>';
  const actual = typeOf(value);
  if (!typeMatches(schema.type, actual)) return [`${here}: ${actual}, the schema says ${schema.type}`];
  if (schema.enum && !schema.enum.some((e) => e === value))
    return [`${here}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  if (schema.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value)))
    return [`${here}: ${value} is not a date-time`];
  const problems: string[] = [];
  if (Array.isArray(value)) {
    const items = Array.isArray(schema.items) ? undefined : schema.items;
    if (!items) return [`${here}: an array without an items schema`];
    value.forEach((v, i) => problems.push(...undocumentedProblems(v, items, `${at}[${i}]`)));
    return problems;
  }
  if (value === null || typeof value !== 'object') return problems;
  for (const req of schema.required ?? []) if (!(req in value)) problems.push(`${at}.${req}: required, missing`);
  for (const [k, v] of Object.entries(value)) {
    const child =
      schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (!child) problems.push(`${at}.${k}: not described by the schema`);
    else problems.push(...undocumentedProblems(v, child, `${at}.${k}`));
  }
  return problems;
}
