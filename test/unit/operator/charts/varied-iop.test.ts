// Varied IstioOperators through the chart pipeline, checking the istioctl behaviours Meshwright's old
// hand-written renderer got wrong (user gateway lists replace the profile's, k8s.env goes first, gateway
// Service ports are exactly the user's, k8s.volumes has no effect, values.global.hub beats spec.hub, ...),
// revisions, overlays, CNI, ambient, and the 1.31 translation change.
import type { PlainObject } from '../../../../lib/istio/merge';
import { render, type ChartRenderOptions } from '../../../../operator/render/charts/render';
import type { ChartManifest, ChartObject } from '../../../../operator/render/charts/types';
import { idOf, referenceRelease, renderer } from './parity-helpers';

jest.setTimeout(180_000);

const V130 = '1.30.3';
const V131 = '1.31.0-rc.0';

const gen = (spec: PlainObject, version = V130, options: ChartRenderOptions = {}): Promise<ChartManifest> =>
  render(
    { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec },
    referenceRelease(version),
    renderer(),
    {
      istioctlOnly: true,
      ...options,
    },
  );

function find(m: ChartManifest, kind: string, name: string): ChartObject {
  const o = m.objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${m.objects.map(idOf).join(', ')}`);
  return o;
}

type Container = {
  name: string;
  image?: string;
  env?: { name: string }[];
  ports?: { containerPort: number }[];
};
const podSpec = (o: ChartObject): PlainObject =>
  ((o.spec as PlainObject).template as { spec: PlainObject }).spec;
const container = (o: ChartObject, name: string): Container => {
  const c = (podSpec(o).containers as Container[]).find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};

describe('gateways', () => {
  it('a user ingressGateways list replaces the profile list; own name, namespace and labels', async () => {
    const m = await gen({
      components: {
        ingressGateways: [{ name: 'edge', namespace: 'edge-ns', enabled: true, label: { team: 'web' } }],
      },
    });
    const ids = m.objects.map(idOf);
    expect(ids.filter((id) => id.includes('istio-ingressgateway'))).toEqual([]);
    const d = find(m, 'Deployment', 'edge');
    expect(d.metadata.namespace).toBe('edge-ns');
    expect((d.metadata.labels as PlainObject).team).toBe('web');
    expect(find(m, 'Service', 'edge').metadata.namespace).toBe('edge-ns');
    expect(m.components.filter((c) => c.component === 'IngressGateways').map((c) => c.gateway)).toEqual([
      'edge',
    ]);
  });

  it('k8s.service.ports are the Service ports exactly (no status port added), and the container ports follow', async () => {
    const ports = [
      { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'tls', port: 15443, targetPort: 15443, protocol: 'TCP' },
    ];
    const m = await gen({
      components: {
        ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, k8s: { service: { ports } } }],
      },
    });
    const svc = find(m, 'Service', 'istio-ingressgateway');
    expect((svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([80, 15443]);
    const proxy = container(find(m, 'Deployment', 'istio-ingressgateway'), 'istio-proxy');
    expect(proxy.ports?.map((p) => p.containerPort)).toEqual(expect.arrayContaining([8080, 15443]));
  });

  it('k8s.env goes before the chart env; k8s.volumes and volumeMounts have no effect', async () => {
    const m = await gen({
      components: {
        ingressGateways: [
          {
            name: 'istio-ingressgateway',
            enabled: true,
            k8s: {
              env: [{ name: 'MY_FLAG', value: 'on' }],
              volumes: [{ name: 'extra', emptyDir: {} }],
              volumeMounts: [{ name: 'extra', mountPath: '/extra' }],
            },
          },
        ],
      },
    });
    const d = find(m, 'Deployment', 'istio-ingressgateway');
    expect(container(d, 'istio-proxy').env?.[0]).toEqual({ name: 'MY_FLAG', value: 'on' });
    expect(JSON.stringify(d)).not.toContain('/extra');
  });

  it("values.global.hub wins over spec.hub; pilot's own hub wins over both; a gateway's own hub has no effect", async () => {
    const m = await gen({
      hub: 'spec.example/istio',
      values: { global: { hub: 'values.example/istio' } },
      components: {
        pilot: { hub: 'pilot.example/istio' },
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: true, hub: 'gw.example/istio', tag: 'gw-tag' },
        ],
      },
    });
    expect(container(find(m, 'Deployment', 'istiod'), 'discovery').image).toMatch(
      /^pilot\.example\/istio\/pilot:/,
    );
    // The gateway chart reads global.hub only, but the gateway's own tag.
    expect(container(find(m, 'Deployment', 'istio-ingressgateway'), 'istio-proxy').image).toBe(
      'values.example/istio/proxyv2:gw-tag',
    );
  });

  it('an unnamed gateway is accepted (istioctl renders it)', async () => {
    const m = await gen({ components: { egressGateways: [{ enabled: true }] } });
    expect(m.components.some((c) => c.component === 'EgressGateways')).toBe(true);
    expect(m.warnings.some((w) => w.includes('without a name'))).toBe(true);
  });
});

describe('revisions, namespaces, overlays', () => {
  it('a revision suffixes istiod and its k8s settings follow the revisioned name', async () => {
    const m = await gen({
      profile: 'minimal',
      revision: 'canary',
      components: { pilot: { k8s: { replicaCount: 3, env: [{ name: 'PILOT_X', value: '1' }] } } },
    });
    const d = find(m, 'Deployment', 'istiod-canary');
    expect((d.metadata.labels as PlainObject)['istio.io/rev']).toBe('canary');
    expect(container(d, 'discovery').env?.[0]).toEqual({ name: 'PILOT_X', value: '1' });
    expect((d.spec as PlainObject).replicas).toBe(3);
    expect(m.objects.map(idOf)).toContain('ConfigMap:istio-system:istio-sidecar-injector-canary');
  });

  it('spec.namespace does not move istiod; values.global.istioNamespace does', async () => {
    const a = await gen({ profile: 'minimal', namespace: 'elsewhere' });
    expect(find(a, 'Deployment', 'istiod').metadata.namespace).toBe('istio-system');
    const b = await gen({ profile: 'minimal', values: { global: { istioNamespace: 'mesh' } } });
    expect(find(b, 'Deployment', 'istiod').metadata.namespace).toBe('mesh');
  });

  it('overlays patch the named object; a path that matches nothing is a warning, not an error', async () => {
    const m = await gen({
      profile: 'minimal',
      components: {
        pilot: {
          k8s: {
            overlays: [
              {
                kind: 'Deployment',
                name: 'istiod',
                patches: [
                  { path: 'spec.template.spec.containers.[name:discovery].args.[10]', value: 'x' },
                  { path: 'metadata.annotations.overlaid', value: 'yes' },
                ],
              },
              { kind: 'Deployment', name: 'no-such-object', patches: [{ path: 'spec.replicas', value: 9 }] },
            ],
          },
        },
      },
    });
    expect((find(m, 'Deployment', 'istiod').metadata.annotations as PlainObject).overlaid).toBe('yes');
    expect(m.warnings.some((w) => w.includes('k8s.overlays[0]'))).toBe(true);
  });
});

describe('CNI and ambient', () => {
  it('CNI with tolerations and its own namespace; pilot values see cni.enabled', async () => {
    const m = await gen({
      components: {
        cni: { enabled: true, namespace: 'kube-system', k8s: { tolerations: [{ operator: 'Exists' }] } },
      },
    });
    const ds = find(m, 'DaemonSet', 'istio-cni-node');
    expect(ds.metadata.namespace).toBe('kube-system');
    expect(podSpec(ds).tolerations).toEqual([{ operator: 'Exists' }]);
    const injector = find(m, 'ConfigMap', 'istio-sidecar-injector');
    expect(JSON.parse(String((injector.data as PlainObject).values)).pilot.cni.enabled).toBe(true);
  });

  it('the ambient profile with ztunnel settings', async () => {
    const m = await gen({
      profile: 'ambient',
      components: { ztunnel: { k8s: { nodeSelector: { pool: 'mesh' } } } },
      values: { ztunnel: { logLevel: 'debug' } },
    });
    const zt = find(m, 'DaemonSet', 'ztunnel');
    expect(podSpec(zt).nodeSelector).toEqual(expect.objectContaining({ pool: 'mesh' }));
    expect(JSON.stringify(zt)).toContain('debug');
    expect(m.objects.map(idOf)).toContain('DaemonSet:istio-system:istio-cni-node');
  });
});

describe('1.31 translation', () => {
  const spec = {
    profile: 'minimal',
    components: { pilot: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 4 } } } },
  };

  it('1.31 copies k8s.hpaSpec into values, so a PDB is rendered; 1.30 does not', async () => {
    const pdbs = (m: ChartManifest): string[] =>
      m.objects.filter((o) => o.kind === 'PodDisruptionBudget').map(idOf);
    expect(pdbs(await gen(spec, V131))).toEqual(['PodDisruptionBudget:istio-system:istiod']);
    expect(pdbs(await gen(spec, V130))).toEqual([]);
  });
});

describe('Meshwright adjustments', () => {
  it('leaves out the injector MutatingWebhookConfiguration and the validator failurePolicy unless istioctlOnly', async () => {
    const m = await gen({ profile: 'minimal' }, V130, { istioctlOnly: false });
    expect(m.objects.filter((o) => o.kind === 'MutatingWebhookConfiguration')).toEqual([]);
    expect(m.omitted.map((o) => `${o.kind} ${o.name}`)).toEqual([
      'MutatingWebhookConfiguration istio-sidecar-injector',
    ]);
    const vwc = m.objects.find((o) => o.kind === 'ValidatingWebhookConfiguration');
    expect(vwc).toBeDefined();
    for (const w of (vwc?.webhooks ?? []) as PlainObject[]) expect(w).not.toHaveProperty('failurePolicy');
    const raw = await gen({ profile: 'minimal' }, V130, { istioctlOnly: true });
    expect(raw.objects.filter((o) => o.kind === 'MutatingWebhookConfiguration').length).toBe(1);
  });
});
