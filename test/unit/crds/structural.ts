// A small checker for the apiextensions.k8s.io/v1 rules this project relies on: structural schemas
// (every node typed unless int-or-string or preserve-unknown; no junctors beyond the int-or-string
// pattern; properties and additionalProperties exclusive; arrays have one items schema), list-type
// constraints, CEL rule hygiene and bounds that keep CEL cost estimates finite. It is deliberately
// stricter than the apiserver in a few places (noted inline) so mistakes show up before a cluster.
import type { JsonValue, Schema } from './crd-files';

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'duration', 'uri', 'quantity']);
const CEL_REASONS = new Set(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']);
const ITERATING = /\.(all|exists|exists_one|filter|map)\(/;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueMatchesType(v: JsonValue, type: string | undefined): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

function isIntOrStringAnyOf(anyOf: Schema[] | undefined): boolean {
  if (anyOf === undefined) return true;
  const types = anyOf.map((s) => s.type).sort();
  return anyOf.length === 2 && types[0] === 'integer' && types[1] === 'string' && anyOf.every((s) => Object.keys(s).length === 1);
}

/**
 * Returns human-readable problems with a CRD version's openAPIV3Schema (empty when fine).
 * `root` must be the openAPIV3Schema node.
 */
export function structuralProblems(root: Schema): string[] {
  const problems: string[] = [];
  const rec = (node: unknown, at: string, unbounded: string[]): void => {
    const where = at === '' ? '<root>' : at;
    if (!isSchema(node)) {
      problems.push(`${where}: schema node is not an object`);
      return;
    }
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;

    // Types.
    if (intOrString) {
      if (node.type !== undefined) problems.push(`${where}: x-kubernetes-int-or-string must not set type`);
      if (!isIntOrStringAnyOf(node.anyOf)) problems.push(`${where}: int-or-string anyOf must be [integer, string]`);
    } else if (node.type === undefined) {
      if (!preserve) problems.push(`${where}: missing type`);
      // Stricter than the apiserver: an untyped node must not describe structure it cannot enforce.
      if (node.properties || node.items || node.additionalProperties !== undefined) {
        problems.push(`${where}: untyped node declares properties/items`);
      }
    } else if (!TYPES.has(node.type)) {
      problems.push(`${where}: unknown type ${node.type}`);
    }
    if (node.format !== undefined && !FORMATS.has(node.format)) problems.push(`${where}: unknown format ${node.format}`);

    // Junctors: only the int-or-string anyOf is allowed (stricter: no allOf/oneOf/not at all).
    if (node.allOf || node.oneOf || node.not) problems.push(`${where}: allOf/oneOf/not are not used in structural schemas here`);
    if (node.anyOf && !intOrString) problems.push(`${where}: anyOf outside the int-or-string pattern`);

    // Object shape.
    if (node.properties !== undefined && node.additionalProperties !== undefined) {
      problems.push(`${where}: properties and additionalProperties are mutually exclusive`);
    }
    if (node.additionalProperties !== undefined && !isSchema(node.additionalProperties)) {
      problems.push(`${where}: additionalProperties must be a schema`);
    }
    if (preserve && node.additionalProperties !== undefined) {
      problems.push(`${where}: x-kubernetes-preserve-unknown-fields with additionalProperties`);
    }
    if ((node.properties || node.additionalProperties !== undefined) && node.type !== 'object') {
      problems.push(`${where}: properties on a node of type ${String(node.type)}`);
    }
    for (const r of node.required ?? []) {
      if (!node.properties || !(r in node.properties)) problems.push(`${where}: required field ${r} is not declared`);
    }

    // Arrays.
    if (node.type === 'array') {
      if (!isSchema(node.items)) problems.push(`${where}: array needs a single items schema`);
    } else if (node.items !== undefined) {
      problems.push(`${where}: items on a node of type ${String(node.type)}`);
    }
    const listType = node['x-kubernetes-list-type'];
    if (listType !== undefined) {
      if (node.type !== 'array') problems.push(`${where}: list-type on a non-array`);
      if (!['atomic', 'set', 'map'].includes(listType)) problems.push(`${where}: unknown list-type ${listType}`);
      if (listType === 'map') {
        const keys = node['x-kubernetes-list-map-keys'] ?? [];
        const items = isSchema(node.items) ? node.items : undefined;
        if (keys.length === 0) problems.push(`${where}: list-type map without list-map-keys`);
        for (const k of keys) {
          const keySchema = items?.properties?.[k];
          if (!keySchema) problems.push(`${where}: list-map-key ${k} is not an item property`);
          else if (!(items?.required ?? []).includes(k) && keySchema.default === undefined) {
            problems.push(`${where}: list-map-key ${k} must be required or defaulted`);
          }
        }
      }
    }

    // Enums and defaults agree with the type.
    for (const e of node.enum ?? []) {
      if (!valueMatchesType(e, node.type)) problems.push(`${where}: enum value ${JSON.stringify(e)} is not a ${String(node.type)}`);
    }
    if (node.default !== undefined) {
      if (!valueMatchesType(node.default, node.type)) problems.push(`${where}: default does not match type ${String(node.type)}`);
      if (node.enum && !node.enum.includes(node.default)) problems.push(`${where}: default is not in enum`);
    }

    // metadata may only restrict name/generateName.
    if (at === '.metadata' && node.properties) {
      for (const k of Object.keys(node.properties)) {
        if (k !== 'name' && k !== 'generateName') problems.push(`${where}: metadata may only constrain name/generateName`);
      }
    }

    // CEL rules.
    const rules = node['x-kubernetes-validations'] ?? [];
    for (const [i, r] of rules.entries()) {
      const id = `${where} rule ${i}`;
      if (typeof r.rule !== 'string' || r.rule.trim() === '') problems.push(`${id}: empty rule`);
      if (r.message === undefined && r.messageExpression === undefined) problems.push(`${id}: no message (clear messages are a project rule)`);
      if (r.message !== undefined && (r.message.trim() === '' || /[\r\n]/.test(r.message))) {
        problems.push(`${id}: message must be one non-empty line`);
      }
      if (r.reason !== undefined && !CEL_REASONS.has(r.reason)) problems.push(`${id}: reason ${r.reason} is not allowed`);
      // Allowed by the apiserver, but it reports a bare "Duplicate value" and drops the message.
      if (r.reason === 'FieldValueDuplicate') problems.push(`${id}: reason FieldValueDuplicate hides the message`);
      const text = `${r.rule} ${r.messageExpression ?? ''}`;
      const stringLike = node.type === 'string' || intOrString;
      if (/\.matches\(|\bself\.size\(\)/.test(text) && stringLike && node.maxLength === undefined) {
        problems.push(`${id}: string rule without maxLength (unbounded CEL cost)`);
      }
      // The apiserver estimates any messageExpression that walks a list far above its budget, even
      // with maxItems (seen with kube-apiserver 1.35); keep messageExpressions to scalars.
      if (r.messageExpression !== undefined && ITERATING.test(r.messageExpression)) {
        problems.push(`${id}: messageExpression iterates (over the apiserver's cost budget)`);
      }
      if (ITERATING.test(text) && node.type === 'array' && node.maxItems === undefined) {
        problems.push(`${id}: iterating rule on an array without maxItems`);
      }
      if (ITERATING.test(text) && node.type === 'object' && node.maxProperties === undefined && node.additionalProperties !== undefined) {
        problems.push(`${id}: iterating rule on a map without maxProperties`);
      }
      // Stricter than the apiserver: rules under unbounded lists/maps multiply the cost estimate.
      if (unbounded.length > 0) problems.push(`${id}: rule below unbounded list/map ${unbounded.join(', ')}`);
    }

    // Recurse.
    for (const [k, child] of Object.entries(node.properties ?? {})) rec(child, `${at}.${k}`, unbounded);
    if (isSchema(node.additionalProperties)) {
      rec(node.additionalProperties, `${at}.*`, node.maxProperties === undefined ? [...unbounded, where] : unbounded);
    }
    if (isSchema(node.items)) rec(node.items, `${at}[]`, node.maxItems === undefined ? [...unbounded, where] : unbounded);
    for (const s of node.anyOf ?? []) rec(s, `${at}<anyOf>`, unbounded);
  };

  if (!isSchema(root) || root.type !== 'object') problems.push('<root>: openAPIV3Schema must be type object');
  rec(root, '', []);
  return problems;
}
