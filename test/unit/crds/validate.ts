// Offline validation of an object against a CRD schema, close to what the apiserver does before
// CEL: null only where the schema is nullable (or untyped), types, enums, required fields, bounds, and
// strict field validation (a field the schema does not know, outside preserve-unknown-fields, is an
// error as with `kubectl apply --validate=strict`). CEL rules are NOT evaluated here; the
// integration test does that against a real apiserver.
import type { Schema } from './crd-files';

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateValue(value: unknown, schema: Schema, at = ''): string[] {
  const where = at === '' ? '<root>' : at;
  const problems: string[] = [];
  if (schema['x-kubernetes-int-or-string'] === true) {
    const t = typeOf(value);
    if (t !== 'integer' && t !== 'string') problems.push(`${where}: must be an integer or a string, got ${t}`);
    return problems;
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (schema.type === undefined) return problems; // untyped preserve-unknown node: anything goes
  const t = typeOf(value);
  if (value === null && schema.nullable === true) return problems;
  const ok = schema.type === t || (schema.type === 'number' && t === 'integer');
  if (!ok) return [`${where}: must be ${schema.type}, got ${t}`];
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    problems.push(`${where}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'string' && schema.maxLength !== undefined && value.length > schema.maxLength) {
    problems.push(`${where}: longer than ${schema.maxLength}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${where}: more than ${schema.maxItems} items`);
    const items = schema.items;
    if (items && !Array.isArray(items)) value.forEach((v, i) => problems.push(...validateValue(v, items, `${at}[${i}]`)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) {
      if (obj[r] === undefined || obj[r] === null) problems.push(`${where}: missing required field ${r}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      // The apiserver validates apiVersion, kind and metadata of custom resources itself.
      if (at === '' && ['apiVersion', 'kind', 'metadata'].includes(k)) continue;
      const child = schema.properties?.[k];
      const extra = schema.additionalProperties;
      if (child) problems.push(...validateValue(v, child, `${at}.${k}`));
      else if (typeof extra === 'object') problems.push(...validateValue(v, extra, `${at}.${k}`));
      else if (!preserve) {
        problems.push(`${where}: unknown field "${k}"`);
      }
    }
  }
  return problems;
}
