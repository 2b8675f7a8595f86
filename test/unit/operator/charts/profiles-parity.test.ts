// Every profile each release ships renders through its charts, with exactly the components the profile
// (layered on `default`, as istioctl layers it) enables, deterministically. The expected components are
// read from the profile files here, independently of the pipeline's own component logic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isPlainObject, type PlainObject } from '../../../../lib/istio/merge';
import { render } from '../../../../operator/render/charts/render';
import { releaseProfileNames } from '../../../../operator/render/charts/release-profiles';
import { idOf, referenceRelease, renderer, VERSIONS } from './parity-helpers';

jest.setTimeout(180_000);

function readProfile(version: string, name: string): PlainObject {
  const file = join(referenceRelease(version).manifestsDir, 'profiles', `${name}.yaml`);
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  return isPlainObject(doc) && isPlainObject(doc.spec) ? doc.spec : {};
}

/** `Name` or `Name/gateway` of every enabled component, from default + profile (lists replace). */
function expectedComponents(version: string, profile: string): string[] {
  const layers =
    profile === 'default'
      ? [readProfile(version, 'default')]
      : [readProfile(version, 'default'), readProfile(version, profile)];
  const comp: PlainObject = {};
  const values: PlainObject = {};
  for (const l of layers) {
    const c = isPlainObject(l.components) ? l.components : {};
    for (const [k, v] of Object.entries(c))
      comp[k] = isPlainObject(v) && isPlainObject(comp[k]) ? { ...comp[k], ...v } : v;
    if (isPlainObject(l.values) && isPlainObject(l.values.gateways)) {
      values.gateways = { ...(values.gateways as PlainObject), ...l.values.gateways };
    }
  }
  const out: string[] = [];
  const single: [string, string, boolean][] = [
    ['base', 'Base', true],
    ['pilot', 'Pilot', true],
    ['cni', 'Cni', false],
    ['ztunnel', 'Ztunnel', false],
  ];
  for (const [key, name, def] of single) {
    const e = comp[key];
    const on = isPlainObject(e) ? e.enabled !== false : e === undefined && def;
    if (on) out.push(name);
  }
  for (const [key, name, valuesKey] of [
    ['ingressGateways', 'IngressGateways', 'istio-ingressgateway'],
    ['egressGateways', 'EgressGateways', 'istio-egressgateway'],
  ]) {
    const gwValues = isPlainObject(values.gateways) ? values.gateways[valuesKey] : undefined;
    const forced = isPlainObject(gwValues) && gwValues.enabled === true;
    for (const g of Array.isArray(comp[key]) ? comp[key] : []) {
      if (isPlainObject(g) && (g.enabled !== false || forced)) out.push(`${name}/${String(g.name)}`);
    }
  }
  return out.sort();
}

describe.each(VERSIONS)('Istio %s profiles', (version) => {
  const profiles = releaseProfileNames(referenceRelease(version).manifestsDir);

  it('ships the profiles istioctl knows', () => {
    expect(profiles).toEqual(
      expect.arrayContaining([
        'ambient',
        'default',
        'demo',
        'empty',
        'minimal',
        'preview',
        'remote',
        'stable',
      ]),
    );
  });

  it.each(profiles)('%s renders the components it enables, deterministically', async (profile) => {
    const iop = { spec: { profile } };
    const release = referenceRelease(version);
    const a = await render(iop, release, renderer(), { istioctlOnly: true });
    const got = a.components
      .map((c) => (c.gateway !== undefined ? `${c.component}/${c.gateway}` : c.component))
      .sort();
    expect(got).toEqual(expectedComponents(version, profile));
    // Workloads run in their component's namespace (charts may place a few other objects elsewhere,
    // e.g. OpenShift's CNI RBAC in kube-system).
    for (const c of a.components) {
      expect(c.objects.length).toBeGreaterThan(0);
      for (const o of c.objects) {
        if (o.kind !== 'Deployment' && o.kind !== 'DaemonSet') continue;
        expect({ id: idOf(o), ns: o.metadata.namespace }).toEqual({ id: idOf(o), ns: c.namespace });
      }
    }
    const ids = a.objects.map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    const hasWorkload = (kind: string, name: string): boolean =>
      ids.some((id) => id.startsWith(`${kind}:`) && id.endsWith(`:${name}`));
    expect(hasWorkload('DaemonSet', 'ztunnel')).toBe(got.includes('Ztunnel'));
    expect(hasWorkload('DaemonSet', 'istio-cni-node')).toBe(got.includes('Cni'));
    // The remote profile's Pilot renders only the injector, no istiod.
    if (got.includes('Pilot') && profile !== 'remote')
      expect(ids).toContain('Deployment:istio-system:istiod');
    if (profile === 'remote') expect(ids).not.toContain('Deployment:istio-system:istiod');
    const b = await render(iop, release, renderer(), { istioctlOnly: true });
    expect(stringify(b.objects)).toBe(stringify(a.objects));
  });
});
