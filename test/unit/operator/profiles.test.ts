// Profiles and spec resolution: profile layers, then the user's spec, then --set flags.
import { ProfileError, profileLayers, SUPPORTED_PROFILES } from '../../../operator/api/profiles';
import { mergeSpecs, resolveSpec } from '../../../operator/api/resolve';
import type { IstioOperatorSpec } from '../../../operator/api/types';
import { operatorRender } from './charts/operator-render';

jest.setTimeout(120_000);

/** Components the operator renders for `spec` (the 1.30.3 release's charts), gateways with their names. */
const componentsOf = async (spec: IstioOperatorSpec) =>
  (await operatorRender(spec as Record<string, unknown>)).components.map((c) => {
    const gateway = c.objects.find((o) => o.kind === 'Deployment')?.metadata?.name;
    return c.component.endsWith('Gateways') ? `${c.component}:${gateway}` : c.component;
  });

describe('profiles', () => {
  it('default renders base, pilot and the ingress gateway', async () => {
    expect(await componentsOf({})).toEqual(['Base', 'Pilot', 'IngressGateways:istio-ingressgateway']);
    expect(await componentsOf({ profile: 'default' })).toEqual([
      'Base',
      'Pilot',
      'IngressGateways:istio-ingressgateway',
    ]);
  });

  it('demo adds the egress gateway', async () => {
    expect(await componentsOf({ profile: 'demo' })).toEqual([
      'Base',
      'Pilot',
      'IngressGateways:istio-ingressgateway',
      'EgressGateways:istio-egressgateway',
    ]);
  });

  it('demo turns on stdout access logs, 100% tracing, small requests and no autoscaling', async () => {
    const m = await operatorRender({ profile: 'demo' });
    const values = m.sidecar?.injection?.values as {
      global?: { proxy?: { resources?: unknown } };
    };
    expect(m.sidecar?.injection?.meshConfig.accessLogFile).toBe('/dev/stdout');
    expect(values.global?.proxy?.resources).toEqual({
      requests: { cpu: '10m', memory: '40Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    });
    const objects = m.components.flatMap((c) => c.objects);
    const istiod = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'istiod');
    const env = (
      istiod as {
        spec: {
          template: {
            spec: { containers: { env: { name: string; value?: string }[]; resources: unknown }[] };
          };
        };
      }
    ).spec.template.spec.containers[0];
    expect(env.env.find((e) => e.name === 'PILOT_TRACE_SAMPLING')?.value).toBe('100');
    expect(env.resources).toEqual({ requests: { cpu: '10m', memory: '100Mi' } });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    const ingressSvc = objects.find(
      (o) => o.kind === 'Service' && o.metadata?.name === 'istio-ingressgateway',
    );
    expect((ingressSvc as { spec: { ports: { port: number }[] } }).spec.ports.map((p) => p.port)).toEqual([
      15021, 80, 443, 31400, 15443,
    ]);
  });

  it('minimal renders base and pilot only; empty renders nothing', async () => {
    expect(await componentsOf({ profile: 'minimal' })).toEqual(['Base', 'Pilot']);
    expect(await componentsOf({ profile: 'empty' })).toEqual([]);
  });

  it('rejects unsupported upstream profiles and unknown names with distinct messages', () => {
    expect(() => profileLayers('ambient')).toThrow(/profile "ambient" is not supported by Meshwright yet/);
    expect(() => profileLayers('remote')).toThrow(ProfileError);
    expect(() => profileLayers('defualt')).toThrow(/unknown profile "defualt"/);
    for (const p of SUPPORTED_PROFILES) expect(profileLayers(p).length).toBeGreaterThan(0);
  });

  it('returns fresh objects, so callers cannot corrupt a profile', () => {
    const a = profileLayers('default');
    a[0].components!.pilot!.enabled = false;
    expect(profileLayers('default')[0].components!.pilot!.enabled).toBe(true);
  });
});

describe('spec resolution', () => {
  it('merges gateways by name instead of replacing the list', () => {
    const spec = resolveSpec({
      components: {
        ingressGateways: [
          { name: 'istio-ingressgateway', label: { a: 'b' } },
          { name: 'extra', enabled: true },
        ],
      },
    });
    expect(spec.components!.ingressGateways).toEqual([
      { name: 'istio-ingressgateway', enabled: true, label: { a: 'b' } },
      { name: 'extra', enabled: true },
    ]);
  });

  it('applies user spec over the profile, then --set flags over both', () => {
    const spec = resolveSpec(
      { profile: 'minimal', hub: 'user.hub', values: { pilot: { autoscaleMax: 3 } } },
      [
        'values.pilot.autoscaleMax=9',
        'spec.components.ingressGateways[name:istio-ingressgateway].enabled=true',
      ],
    );
    expect(spec.hub).toBe('user.hub');
    expect(spec.values!.pilot!.autoscaleMax).toBe(9);
    expect(spec.components!.ingressGateways![0]).toEqual({ name: 'istio-ingressgateway', enabled: true });
  });

  it('takes the profile from --set when given there', () => {
    expect(resolveSpec({}, ['profile=empty']).components!.pilot!.enabled).toBe(false);
  });

  it('turns numeric tags into strings', () => {
    // YAML gives numbers where the type says string: the cast is the bad input under test.
    expect(resolveSpec({ tag: 2 as unknown as string, components: { pilot: { tag: 3 } } })).toMatchObject({
      tag: '2',
      components: { pilot: { tag: '3' } },
    });
  });

  it('mergeSpecs does not mutate its inputs', () => {
    const base: IstioOperatorSpec = { components: { ingressGateways: [{ name: 'a', enabled: true }] } };
    const overlay: IstioOperatorSpec = { components: { ingressGateways: [{ name: 'a', enabled: false }] } };
    mergeSpecs(base, overlay);
    expect(base.components!.ingressGateways![0].enabled).toBe(true);
    expect(overlay.components!.ingressGateways!.length).toBe(1);
  });
});
