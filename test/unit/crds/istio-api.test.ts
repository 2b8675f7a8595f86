// The Istio API CRDs serve what upstream Istio 1.30 serves (versions, storage version, names, short
// names, categories, printer columns, top-level fields), accept the Istio examples of the seeds and
// the Bookinfo samples (offline OpenAPI validation; CEL is covered by the integration test), and
// share no description text with the upstream CRDs.
import {
  loadProjectCrds,
  loadUpstreamIstioCrds,
  rootSchema,
  storageVersion,
  walkSchema,
  type Crd,
  type Schema,
} from './crd-files';
import { bookinfoExamples, groupOf, seedExamples, type Example } from './examples';
import { validateValue } from './validate';

const ours: Crd[] = loadProjectCrds()
  .map((f) => f.crd)
  .filter((c) => c.spec.group.endsWith('.istio.io') && c.spec.group !== 'install.istio.io');
const upstream: Crd[] = loadUpstreamIstioCrds();

function upstreamOf(crd: Crd): Crd {
  const u = upstream.find((x) => x.metadata.name === crd.metadata.name);
  if (!u) throw new Error(`upstream has no ${crd.metadata.name}`);
  return u;
}

function specOf(crd: Crd): Schema {
  const spec = rootSchema(storageVersion(crd), crd.metadata.name).properties?.spec;
  if (!spec) throw new Error(`${crd.metadata.name}: no spec schema`);
  return spec;
}

/** Finds the served CRD version for apiVersion/kind, if any. */
function served(apiVersion: string, kind: string): { crd: Crd; version: string } | undefined {
  const group = groupOf(apiVersion);
  const version = apiVersion.slice(group.length + 1);
  const crd = ours.find((c) => c.spec.group === group && c.spec.names.kind === kind);
  const v = crd?.spec.versions.find((x) => x.name === version && x.served);
  return crd && v ? { crd, version: v.name } : undefined;
}

describe.each(ours.map((c) => [c.metadata.name, c] as const))('%s matches upstream Istio 1.30', (_n, crd) => {
  const up = upstreamOf(crd);

  it('serves the same versions with the same storage version', () => {
    const flags = (c: Crd): string[] => c.spec.versions.map((v) => `${v.name}:${v.served}:${v.storage}`).sort();
    expect(flags(crd)).toEqual(flags(up));
  });

  it('has the same group, scope, kind, plural, singular, list kind, short names and categories', () => {
    expect(crd.spec.group).toBe(up.spec.group);
    expect(crd.spec.scope).toBe(up.spec.scope);
    const pick = (c: Crd): unknown => ({
      kind: c.spec.names.kind,
      listKind: c.spec.names.listKind,
      plural: c.spec.names.plural,
      singular: c.spec.names.singular,
      shortNames: [...(c.spec.names.shortNames ?? [])].sort(),
      categories: [...(c.spec.names.categories ?? [])].sort(),
    });
    expect(pick(crd)).toEqual(pick(up));
  });

  it('has the same printer columns and the status subresource in every version', () => {
    for (const v of up.spec.versions) {
      const mine = crd.spec.versions.find((x) => x.name === v.name);
      const cols = (cs: typeof v.additionalPrinterColumns): unknown =>
        (cs ?? []).map((c) => ({ name: c.name, type: c.type, jsonPath: c.jsonPath }));
      expect(cols(mine?.additionalPrinterColumns)).toEqual(cols(v.additionalPrinterColumns));
      expect(Boolean(mine?.subresources?.status)).toBe(Boolean(v.subresources?.status));
    }
  });

  it('knows every top-level spec field upstream knows, with the same type and required fields', () => {
    const mine = specOf(crd);
    const theirs = specOf(up);
    for (const [field, s] of Object.entries(theirs.properties ?? {})) {
      const m = mine.properties?.[field];
      expect({ field, type: m?.type }).toEqual({ field, type: s.type });
      if (s.enum) expect({ field, enum: m?.enum }).toEqual({ field, enum: s.enum });
    }
    expect([...(mine.required ?? [])].sort()).toEqual([...(theirs.required ?? [])].sort());
    const rootReq = (c: Crd): string[] => [...(rootSchema(storageVersion(c), c.metadata.name).required ?? [])].sort();
    expect(rootReq(crd)).toEqual(rootReq(up));
  });

  it('invents no top-level spec field and preserves no unknown fields at spec level', () => {
    const mine = specOf(crd);
    const theirs = specOf(up);
    const extra = Object.keys(mine.properties ?? {}).filter((f) => !(f in (theirs.properties ?? {})));
    expect(extra).toEqual([]);
    expect(mine['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
  });

  it('shares no description with upstream (own text)', () => {
    const theirs = new Set<string>();
    for (const v of up.spec.versions) {
      walkSchema(rootSchema(v, up.metadata.name), (n) => {
        if (n.description) theirs.add(n.description.trim());
      });
      for (const c of v.additionalPrinterColumns ?? []) if (c.description) theirs.add(c.description.trim());
    }
    const copied: string[] = [];
    for (const v of crd.spec.versions) {
      walkSchema(rootSchema(v, crd.metadata.name), (n, at) => {
        if (n.description && theirs.has(n.description.trim())) copied.push(at);
      });
      for (const c of v.additionalPrinterColumns ?? []) if (c.description && theirs.has(c.description.trim())) copied.push(c.name);
    }
    expect(copied).toEqual([]);
  });
});

describe('Istio examples', () => {
  const seeds = seedExamples();
  const bookinfo = bookinfoExamples();

  it('finds the Istio snippets in the seeds and all Bookinfo networking documents', () => {
    // Guards against a vacuous pass if the extraction broke: the seeds hold several Istio snippets
    // across at least two pages, Bookinfo holds dozens of documents.
    expect(seeds.length).toBeGreaterThanOrEqual(5);
    expect(new Set(seeds.map((s) => s.source.split(':')[0])).size).toBeGreaterThanOrEqual(2);
    expect(bookinfo.length).toBeGreaterThanOrEqual(20);
  });

  const all: Example[] = [...seeds, ...bookinfo];
  it.each(all.map((e) => [`${e.source} ${e.object.apiVersion} ${e.object.kind}/${e.object.metadata.name}`, e] as const))(
    '%s is served and valid against the schema',
    (_label, e) => {
      const s = served(e.object.apiVersion, e.object.kind);
      expect(s).toBeDefined();
      if (!s) return;
      const version = s.crd.spec.versions.find((v) => v.name === s.version);
      if (!version) throw new Error('unreachable');
      expect(validateValue(e.object, rootSchema(version, s.crd.metadata.name))).toEqual([]);
    },
  );
});
