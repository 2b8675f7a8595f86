// The IstioOperator CRD: names, printer columns, the fields Meshwright understands, the status shape,
// the sidecarRollout extension, and the CEL rules (their presence, messages and — where a rule is a
// plain regex or list — its semantics, checked in JavaScript). Upstream IstioOperator manifests (the
// profiles and istioctl's manifest-generate inputs) must pass the OpenAPI part of the schema.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ISTIO_REF_DIR,
  loadProjectCrds,
  parseYamlDocuments,
  rootSchema,
  schemaAt,
  storageVersion,
  type CelRule,
  type Crd,
  type Schema,
} from './crd-files';
import { validateValue } from './validate';

const crd: Crd = (() => {
  const f = loadProjectCrds().find((x) => x.crd.metadata.name === 'istiooperators.install.istio.io');
  if (!f) throw new Error('no IstioOperator CRD');
  return f.crd;
})();
const root: Schema = rootSchema(storageVersion(crd), crd.metadata.name);

function at(p: string): Schema {
  const s = schemaAt(root, p);
  if (!s) throw new Error(`no schema at ${p}`);
  return s;
}
function itemsAt(p: string): Schema {
  const items = at(p).items;
  if (!items || Array.isArray(items)) throw new Error(`no items at ${p}`);
  return items;
}
function rules(s: Schema): CelRule[] {
  return s['x-kubernetes-validations'] ?? [];
}
/** The single-quoted regex of a `matches('...')` rule, as a JavaScript RegExp. */
function regexOf(rule: CelRule): RegExp {
  const m = /matches\('([^']+)'\)/.exec(rule.rule);
  if (!m) throw new Error(`no matches() in ${rule.rule}`);
  return new RegExp(m[1]);
}

describe('IstioOperator CRD', () => {
  it('is install.istio.io/v1alpha1, namespaced, short names iop and io, status subresource', () => {
    expect(crd.spec.group).toBe('install.istio.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('IstioOperator');
    expect([...(crd.spec.names.shortNames ?? [])].sort()).toEqual(['io', 'iop']);
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1alpha1', true, true]]);
    expect(storageVersion(crd).subresources?.status).toEqual({});
  });

  it('prints Revision, Version, Status, Outdated, Age and (wide) Rollout', () => {
    const cols = (storageVersion(crd).additionalPrinterColumns ?? []).map((c) => [c.name, c.jsonPath, c.type, c.priority ?? 0]);
    expect(cols).toEqual([
      ['Revision', '.spec.revision', 'string', 0],
      ['Version', '.status.meshwright.version', 'string', 0],
      ['Status', '.status.status', 'string', 0],
      ['Outdated', '.status.meshwright.sidecars.outdated', 'integer', 0],
      ['Rollout', '.status.meshwright.sidecarRollout.phase', 'string', 1],
      ['Age', '.metadata.creationTimestamp', 'date', 0],
    ]);
  });

  it.each(['profile', 'hub', 'revision', 'namespace'])('types spec.%s as a string', (f) => {
    expect(at(`spec.${f}`).type).toBe('string');
  });

  it('accepts numeric and string image tags but not floats', () => {
    expect(at('spec.tag')['x-kubernetes-int-or-string']).toBe(true);
    expect(validateValue({ spec: { tag: 2 } }, root)).toEqual([]);
    expect(validateValue({ spec: { tag: '1.30.3' } }, root)).toEqual([]);
    expect(validateValue({ spec: { tag: 1.3 } }, root)).not.toEqual([]);
  });

  it.each(['meshConfig', 'values', 'unvalidatedValues'])('keeps spec.%s free-form', (f) => {
    expect(at(`spec.${f}`)).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  const componentFields = ['enabled', 'namespace', 'hub', 'tag', 'label', 'k8s'];
  it.each(['base', 'pilot', 'cni', 'ztunnel'])('has components.%s with enabled, namespace, hub, tag, label, k8s', (c) => {
    for (const f of componentFields) expect({ f, ok: schemaAt(root, `spec.components.${c}.${f}`) !== undefined }).toEqual({ f, ok: true });
    expect(at(`spec.components.${c}.enabled`).type).toBe('boolean');
  });

  it.each(['ingressGateways', 'egressGateways'])('has components.%s[] with name, enabled, namespace, label, hub, tag, k8s', (g) => {
    const items = itemsAt(`spec.components.${g}`);
    for (const f of ['name', ...componentFields]) expect({ f, ok: items.properties?.[f] !== undefined }).toEqual({ f, ok: true });
    expect(items.required).toEqual(['name']);
    expect(at(`spec.components.${g}`).maxItems).toBeGreaterThan(0);
  });

  it('has the k8s settings, the same for every component and gateway', () => {
    const k8s = at('spec.components.pilot.k8s');
    const fields = [
      'resources', 'replicaCount', 'hpaSpec', 'env', 'nodeSelector', 'tolerations', 'affinity', 'service',
      'podAnnotations', 'serviceAnnotations', 'strategy', 'securityContext', 'podDisruptionBudget', 'overlays',
    ];
    for (const f of fields) expect({ f, ok: k8s.properties?.[f] !== undefined }).toEqual({ f, ok: true });
    for (const c of ['base', 'cni', 'ztunnel']) expect(at(`spec.components.${c}.k8s`)).toEqual(k8s);
    expect(itemsAt('spec.components.ingressGateways').properties?.k8s).toEqual(k8s);
    const overlay = itemsAt('spec.components.pilot.k8s.overlays');
    expect(Object.keys(overlay.properties ?? {}).sort()).toEqual(['apiVersion', 'kind', 'name', 'patches']);
    const patch = itemsAt('spec.components.pilot.k8s.overlays.patches');
    expect(Object.keys(patch.properties ?? {}).sort()).toEqual(['path', 'value']);
    expect(patch.properties?.value?.['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('reports status, componentStatus, conditions, observedGeneration and a free-form meshwright object', () => {
    expect(at('status.status').enum).toEqual(['NONE', 'UPDATING', 'RECONCILING', 'HEALTHY', 'ERROR', 'ACTION_REQUIRED']);
    const cs = at('status.componentStatus').additionalProperties;
    expect(typeof cs === 'object' && Object.keys(cs.properties ?? {}).sort()).toEqual(['error', 'status', 'version']);
    expect(at('status.conditions')['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(at('status.observedGeneration').type).toBe('integer');
    expect(at('status.meshwright')['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });
});

describe('spec.sidecarRollout (Meshwright extension)', () => {
  it('is off by default and has small bounded knobs', () => {
    expect(at('spec.sidecarRollout.enabled')).toMatchObject({ type: 'boolean', default: false });
    // The defaults documented in docs/crds.md.
    for (const [f, d] of [['batchSize', 5], ['pauseSeconds', 30], ['readyTimeoutSeconds', 600]] as const) {
      expect({ f, type: at(`spec.sidecarRollout.${f}`).type, d: at(`spec.sidecarRollout.${f}`).default }).toEqual({ f, type: 'integer', d });
    }
    expect(at('spec.sidecarRollout.maxUnavailable')['x-kubernetes-int-or-string']).toBe(true);
    expect(Object.keys(at('spec.sidecarRollout.namespaceSelector').properties ?? {}).sort()).toEqual(['matchLabels']);
  });

  it('rejects a batch size of 0 or less with a clear message', () => {
    const [r] = rules(at('spec.sidecarRollout.batchSize'));
    expect(r.rule).toBe('self > 0');
    expect(r.message).toMatch(/batchSize must be greater than 0/);
  });

  it('accepts counts and 1%-100% for maxUnavailable', () => {
    const re = regexOf(rules(at('spec.sidecarRollout.maxUnavailable'))[0]);
    for (const ok of ['1%', '10%', '99%', '100%']) expect({ ok, m: re.test(ok) }).toEqual({ ok, m: true });
    for (const bad of ['0%', '101%', '10', '%', '05%', '1.5%']) expect({ bad, m: re.test(bad) }).toEqual({ bad, m: false });
  });
});

describe('CEL rules', () => {
  const upstreamProfiles = fs
    .readdirSync(path.join(ISTIO_REF_DIR, 'profiles'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();

  it('allow exactly the upstream Istio 1.30 profiles (plus empty = default)', () => {
    const [r] = rules(at('spec.profile'));
    const listed = [...r.rule.matchAll(/'([a-z-]*)'/g)].map((m) => m[1]).filter((p) => p !== '').sort();
    expect(listed).toEqual(upstreamProfiles);
    expect(r.rule).toMatch(/^self == '' \|\|/);
    expect(r.messageExpression).toMatch(/unknown profile/);
    expect(r.message).toMatch(/not a known profile/);
  });

  it('checks revision names as DNS-1123 labels (max 63)', () => {
    const s = at('spec.revision');
    expect(s.maxLength).toBe(63);
    const [r] = rules(s);
    expect(r.message).toMatch(/spec\.revision must be a DNS-1123 label/);
    const re = regexOf(r);
    for (const ok of ['canary', '1-30-3', 'a', 'x9']) expect({ ok, m: re.test(ok) }).toEqual({ ok, m: true });
    for (const bad of ['Canary', '-a', 'a-', 'a_b', '1.30', 'a b']) expect({ bad, m: re.test(bad) }).toEqual({ bad, m: false });
  });

  it.each(['ingressGateways', 'egressGateways'])('reject duplicate %s names and non-DNS-1123 names', (g) => {
    const list = at(`spec.components.${g}`);
    const [dup] = rules(list);
    expect(dup.rule).toBe('self.all(g, self.exists_one(h, h.name == g.name))');
    expect(dup.message).toBe(`${g === 'ingressGateways' ? 'ingress' : 'egress'} gateway names must be unique`);
    // FieldValueDuplicate would make the apiserver print a bare "Duplicate value" without the message.
    expect(dup.reason).toBe('FieldValueInvalid');
    const name = itemsAt(`spec.components.${g}`).properties?.name;
    if (!name) throw new Error('no name');
    const re = regexOf(rules(name)[0]);
    expect(re.test('istio-ingressgateway')).toBe(true);
    expect(re.test('Istio_Ingress')).toBe(false);
    expect(rules(name)[0].message).toMatch(/gateway name must be a DNS-1123 label/);
  });

  it('reject negative replica counts, HPA min > max and PDBs with both bounds', () => {
    expect(rules(at('spec.components.pilot.k8s.replicaCount'))[0]).toMatchObject({ rule: 'self >= 0' });
    expect(rules(at('spec.components.pilot.k8s.hpaSpec'))[0].rule).toMatch(/self\.minReplicas <= self\.maxReplicas/);
    expect(rules(at('spec.components.pilot.k8s.hpaSpec'))[0].message).toMatch(/minReplicas must not be greater than/);
    expect(rules(at('spec.components.pilot.k8s.podDisruptionBudget'))[0].message).toMatch(/not both/);
  });

  it('check namespaces of the control plane, components and gateways', () => {
    for (const p of ['spec.namespace', 'spec.components.pilot.namespace', 'spec.components.cni.namespace']) {
      expect({ p, msg: rules(at(p))[0]?.message }).toEqual({ p, msg: expect.stringMatching(/DNS-1123/) });
    }
    expect(rules(itemsAt('spec.components.egressGateways').properties?.namespace ?? {})[0]?.message).toMatch(/DNS-1123/);
  });
});

describe('upstream IstioOperator manifests pass the schema (OpenAPI part)', () => {
  const docs: [string, unknown][] = [];
  const add = (dir: string, label: string): void => {
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
      const parsed = parseYamlDocuments(fs.readFileSync(path.join(dir, f), 'utf8'), f);
      parsed.forEach((d, i) => docs.push([`${label}/${f}#${i}`, d]));
    }
  };
  add(path.join(ISTIO_REF_DIR, 'profiles'), 'profiles');
  add(path.join(ISTIO_REF_DIR, 'manifest-generate/input'), 'manifest-generate/input');

  it('finds the profiles and inputs', () => {
    expect(docs.length).toBeGreaterThanOrEqual(40);
  });

  it.each(docs)('%s', (_label, doc) => {
    expect(validateValue(doc, root)).toEqual([]);
  });
});
