// Loading and typing of the project's CRD files (crds/**). Shared by the unit tests in this directory
// and by test/integration/crds.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const CRDS_DIR = path.join(REPO_ROOT, 'crds');
/** ../shared seen from the repository root (read-only upstream reference data and seeds). */
export const SHARED_DIR = path.resolve(REPO_ROOT, '../shared');
export const ISTIO_REF_DIR = path.join(SHARED_DIR, 'reference/istio-1.30.3');

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
}

/** The subset of JSONSchemaProps (apiextensions.k8s.io/v1) this project's CRDs use. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema | Schema[];
  required?: string[];
  enum?: JsonValue[];
  default?: JsonValue;
  nullable?: boolean;
  maxItems?: number;
  maxLength?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  anyOf?: Schema[];
  allOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: CelRule[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema: Schema };
  subresources?: { status?: Record<string, never>; scale?: JsonObject };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind?: string;
      plural: string;
      singular?: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
    conversion?: { strategy: string };
    preserveUnknownFields?: boolean;
  };
}

export interface CrdFile {
  /** Path relative to the repository root, e.g. crds/istiooperator.yaml. */
  file: string;
  crd: Crd;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses every YAML document of a file (aliases expanded); throws on YAML errors. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = YAML.parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Minimal shape check before the value is treated as a Crd; the tests check the rest. */
export function asCrd(value: unknown, source: string): Crd {
  if (!isObject(value) || !isObject(value.metadata) || !isObject(value.spec)) {
    throw new Error(`${source}: not a Kubernetes object with metadata and spec`);
  }
  const spec = value.spec;
  if (!isObject(spec.names) || !Array.isArray(spec.versions) || typeof spec.group !== 'string') {
    throw new Error(`${source}: spec lacks group, names or versions`);
  }
  // The checks above are the type guard for the fields the tests read.
  return value as unknown as Crd;
}

function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listYamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** Every CRD under crds/, one entry per YAML document. */
export function loadProjectCrds(): CrdFile[] {
  const out: CrdFile[] = [];
  for (const full of listYamlFiles(CRDS_DIR)) {
    const rel = path.relative(REPO_ROOT, full);
    for (const doc of parseYamlDocuments(fs.readFileSync(full, 'utf8'), rel)) {
      out.push({ file: rel, crd: asCrd(doc, rel) });
    }
  }
  return out;
}

export function storageVersion(crd: Crd): CrdVersion {
  const storage = crd.spec.versions.filter((v) => v.storage);
  if (storage.length !== 1) throw new Error(`${crd.metadata.name}: ${storage.length} storage versions`);
  return storage[0];
}

export function rootSchema(version: CrdVersion, crdName: string): Schema {
  if (!version.schema) throw new Error(`${crdName} ${version.name}: no schema`);
  return version.schema.openAPIV3Schema;
}

/** The upstream Istio 1.30.3 CRDs (read-only reference, used for conformance comparisons). */
export function loadUpstreamIstioCrds(): Crd[] {
  const file = path.join(ISTIO_REF_DIR, 'charts/base/files/crd-all.gen.yaml');
  return parseYamlDocuments(fs.readFileSync(file, 'utf8'), file).map((d) => asCrd(d, file));
}

/** Visits every schema node with a JSON-path-like location. */
export function walkSchema(schema: Schema, visit: (node: Schema, at: string, ancestors: Schema[]) => void): void {
  const rec = (node: Schema, at: string, ancestors: Schema[]): void => {
    visit(node, at, ancestors);
    const next = [...ancestors, node];
    for (const [k, child] of Object.entries(node.properties ?? {})) rec(child, `${at}.${k}`, next);
    if (isObject(node.additionalProperties)) rec(node.additionalProperties as Schema, `${at}.*`, next);
    if (Array.isArray(node.items)) node.items.forEach((s, i) => rec(s, `${at}[${i}]`, next));
    else if (node.items) rec(node.items, `${at}[]`, next);
    for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
      (node[key] ?? []).forEach((s, i) => rec(s, `${at}<${key}${i}>`, next));
    }
    if (node.not) rec(node.not, `${at}<not>`, next);
  };
  rec(schema, '', []);
}

/**
 * Resolves a dotted field path (.spec.mtls.mode) in a schema, stepping into the items of arrays on
 * the way (spec.servers.port); undefined when it does not exist.
 */
export function schemaAt(schema: Schema, dotted: string): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const part of dotted.split('.').filter((p) => p !== '')) {
    if (!node) return undefined;
    if (node.type === 'array' && node.items && !Array.isArray(node.items)) node = node.items;
    node = node.properties?.[part];
  }
  return node;
}
