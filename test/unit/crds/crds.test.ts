// Every file under crds/ is a well-formed apiextensions.k8s.io/v1 CRD with structural schemas, and
// the set of CRDs is exactly what Meshwright itself installs: the IstioOperator CRD. The Istio API CRDs
// come from the Base chart of the release an IstioOperator installs, never from this repository.
import * as path from 'node:path';
import { loadProjectCrds, rootSchema, schemaAt, storageVersion, walkSchema, type CrdFile } from './crd-files';
import { structuralProblems } from './structural';

const OPERATOR_CRD = 'istiooperators.install.istio.io';
/** Meshwright's own revision tag API (cluster-scoped: a tag is a cluster-wide name). */
const TAG_CRD = 'istiorevisiontags.meshwright.io';
const OWN_CRDS: Record<string, string> = {
  [OPERATOR_CRD]: 'crds/istiooperator.yaml',
  [TAG_CRD]: 'crds/istiorevisiontag.yaml',
};

const files: CrdFile[] = loadProjectCrds();
const byName = (name: string): CrdFile => {
  const f = files.find((x) => x.crd.metadata.name === name);
  if (!f) throw new Error(`no CRD ${name}`);
  return f;
};

describe('crds/ contents', () => {
  it("holds exactly the project's own CRDs: IstioOperator and IstioRevisionTag, one file each", () => {
    expect(files.map((f) => [f.crd.metadata.name, f.file.split(path.sep).join('/')]).sort()).toEqual(
      Object.entries(OWN_CRDS).sort(),
    );
  });
});

describe.each(files.map((f) => [f.crd.metadata.name, f] as const))('%s', (_name, { crd }) => {
  it('is an apiextensions.k8s.io/v1 CustomResourceDefinition', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
  });

  it('has consistent names: <plural>.<group>, lower-case plural/singular, <Kind>List', () => {
    const { names, group } = crd.spec;
    expect(crd.metadata.name).toBe(`${names.plural}.${group}`);
    expect(names.plural).toMatch(/^[a-z][a-z0-9]*$/);
    expect(names.singular).toBe(names.kind.toLowerCase());
    expect(names.listKind).toBe(`${names.kind}List`);
    expect(names.kind).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    for (const s of names.shortNames ?? []) expect(s).toMatch(/^[a-z][a-z0-9]*$/);
  });

  it('is namespaced and needs no conversion webhook', () => {
    expect(crd.spec.scope).toBe(crd.metadata.name === TAG_CRD ? 'Cluster' : 'Namespaced');
    expect(crd.spec.conversion === undefined || crd.spec.conversion.strategy === 'None').toBe(true);
    expect(crd.spec.preserveUnknownFields).not.toBe(true);
  });

  it('has exactly one storage version, all versions served and with the status subresource', () => {
    const names = crd.spec.versions.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(crd.spec.versions.filter((v) => v.storage)).toHaveLength(1);
    for (const v of crd.spec.versions) {
      expect(v.name).toMatch(/^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/);
      expect(v.served).toBe(true);
      expect(v.subresources?.status).toEqual({});
    }
  });

  it('shares one schema across versions (no conversion needed)', () => {
    const storage = JSON.stringify(storageVersion(crd).schema);
    for (const v of crd.spec.versions) expect(JSON.stringify(v.schema)).toBe(storage);
  });

  it('has structural schemas', () => {
    for (const v of crd.spec.versions) {
      expect(structuralProblems(rootSchema(v, crd.metadata.name))).toEqual([]);
    }
  });

  it('types spec and status as objects and describes the root', () => {
    const root = rootSchema(storageVersion(crd), crd.metadata.name);
    expect(root.properties?.spec?.type).toBe('object');
    expect(root.properties?.status?.type).toBe('object');
    expect((root.description ?? '').length).toBeGreaterThan(10);
  });

  it('has printer columns that point at fields of its schema', () => {
    for (const v of crd.spec.versions) {
      const root = rootSchema(v, crd.metadata.name);
      for (const col of v.additionalPrinterColumns ?? []) {
        expect(['string', 'integer', 'number', 'boolean', 'date']).toContain(col.type);
        expect(col.jsonPath.startsWith('.')).toBe(true);
        if (col.jsonPath !== '.metadata.creationTimestamp') {
          expect({ column: col.name, found: schemaAt(root, col.jsonPath) !== undefined }).toEqual({ column: col.name, found: true });
        }
      }
    }
  });

  it('carries no Helm or other installer annotations', () => {
    expect(Object.keys(crd.metadata.annotations ?? {})).toEqual([]);
    expect(Object.keys(crd.metadata.labels ?? {}).filter((k) => k.startsWith('helm.sh/'))).toEqual([]);
    expect(crd.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
  });

  it('keeps descriptions short (one line of help, not a manual)', () => {
    walkSchema(rootSchema(storageVersion(crd), crd.metadata.name), (node, at) => {
      if (node.description !== undefined) {
        expect({ at, ok: node.description.length > 0 && node.description.length <= 300 }).toEqual({ at, ok: true });
      }
    });
  });
});

describe('labels', () => {
  it('labels the IstioOperator CRD as part of Meshwright', () => {
    expect(byName(OPERATOR_CRD).crd.metadata.labels?.['app.kubernetes.io/part-of']).toBe('meshwright');
  });
});
