// render(): revision naming, images, k8s settings, the CNI switch, PDB rule, labels, apply order, kinds.
import type {
  V1ConfigMap,
  V1DaemonSet,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { IstioOperator, IstioOperatorSpec, KubernetesResourceSpec } from '../../../operator/api/types';
import { applyOrder, render } from '../../../operator/render';
import { managedKindOf, MANAGED_KINDS, unmanagedKinds } from '../../../operator/render/gvk';
import { COMPONENT_ORDER, KIND_ORDER } from '../../../operator/render/order';
import { renderOutcome } from '../../../operator/render/outcome';
import type { ManifestObject, RenderedManifest } from '../../../operator/render/types';
import { find, idOf, readInput } from './golden-helpers';

const iop = (spec: IstioOperatorSpec, metadata?: IstioOperator['metadata']): IstioOperator => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  spec,
  ...(metadata ? { metadata } : {}),
});
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gateways.networking.istio.io', labels: { static: 'label' } },
  spec: {
    group: 'networking.istio.io',
    names: { kind: 'Gateway', plural: 'gateways' },
    scope: 'Namespaced',
    versions: [],
  },
};
const run = (
  spec: IstioOperatorSpec,
  setFlags: string[] = [],
  metadata?: IstioOperator['metadata'],
): RenderedManifest => render(iop(spec, metadata), { crds: [crd], setFlags });
const objs = (m: RenderedManifest) => m.components.flatMap((c) => c.objects);
const deployment = (m: RenderedManifest, name: string) =>
  find(objs(m), 'Deployment', name) as ManifestObject & V1Deployment;
const container = (d: V1Deployment | V1DaemonSet) => d.spec!.template.spec!.containers[0];
const envValue = (d: V1Deployment, name: string) => container(d).env!.find((e) => e.name === name)?.value;

describe('revision', () => {
  const m = run({ profile: 'minimal', revision: 'canary' });
  const ids = objs(m).map(idOf);

  it('suffixes istiod objects with -<rev>, cluster-scoped ones before the namespace', () => {
    expect(ids).toEqual(
      expect.arrayContaining([
        'Deployment istio-system/istiod-canary',
        'Service istio-system/istiod-canary',
        'ServiceAccount istio-system/istiod-canary',
        'ConfigMap istio-system/istio-canary',
        'ConfigMap istio-system/istio-sidecar-injector-canary',
        'ClusterRole /istiod-clusterrole-canary-istio-system',
        'ClusterRoleBinding /istio-reader-clusterrole-canary-istio-system',
        'ValidatingWebhookConfiguration /istio-validator-canary-istio-system',
        'HorizontalPodAutoscaler istio-system/istiod-canary',
      ]),
    );
    expect(ids).not.toContain('Deployment istio-system/istiod');
    // The reader ServiceAccount is a per-cluster singleton (Base), not revisioned.
    expect(ids).toContain('ServiceAccount istio-system/istio-reader-service-account');
  });

  it('labels everything istio.io/rev=<rev> and selects istiod pods by revision', () => {
    for (const o of objs(m))
      expect({ id: idOf(o), rev: o.metadata.labels?.['istio.io/rev'] }).toEqual({
        id: idOf(o),
        rev: 'canary',
      });
    const d = deployment(m, 'istiod-canary');
    expect(d.spec!.selector.matchLabels).toEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    expect(envValue(d, 'REVISION')).toBe('canary');
    const svc = find(objs(m), 'Service', 'istiod-canary') as V1Service;
    expect(svc.spec!.selector).toEqual({ app: 'istiod', 'istio.io/rev': 'canary' });
    const injector = find(objs(m), 'ConfigMap', 'istio-sidecar-injector-canary') as V1ConfigMap;
    expect(JSON.parse(injector.data!.values).revision).toBe('canary');
  });

  it('points gateways at the revision istiod and config', () => {
    const g = run({ revision: 'canary' });
    const d = deployment(g, 'istio-ingressgateway');
    expect(envValue(d, 'CA_ADDR')).toBe('istiod-canary.istio-system.svc:15012');
    expect(d.spec!.template.spec!.volumes!.find((v) => v.name === 'config-volume')!.configMap!.name).toBe(
      'istio-canary',
    );
  });

  it("treats 'default' as the unrevisioned control plane", () => {
    const d = run({ profile: 'minimal', revision: 'default' });
    expect(d.revision).toBe('');
    expect(objs(d).map(idOf)).toContain('Deployment istio-system/istiod');
  });

  it('is set by RenderInputs.revision (the CLI flag) over the spec', () => {
    const r = render(iop({ profile: 'minimal', revision: 'a' }), { crds: [], revision: 'b' });
    expect(r.revision).toBe('b');
    expect(objs(r).map(idOf)).toContain('Deployment istio-system/istiod-b');
  });
});

describe('images', () => {
  it('default to docker.io/istio at the release tag', () => {
    const m = run({ components: { cni: { enabled: true } } });
    expect(container(deployment(m, 'istiod')).image).toBe('docker.io/istio/pilot:1.30.3');
    expect(container(deployment(m, 'istio-ingressgateway')).image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(container(find(objs(m), 'DaemonSet', 'istio-cni-node') as V1DaemonSet).image).toBe(
      'docker.io/istio/install-cni:1.30.3',
    );
  });

  it('take the spec hub/tag, then per-component hub/tag, with the variant suffix (component_hub_tag)', () => {
    // Upstream's input also enables ztunnel, which Meshwright does not render yet.
    const m = render(readInput('component_hub_tag'), {
      crds: [],
      setFlags: ['components.ztunnel.enabled=false'],
    });
    expect(container(deployment(m, 'istiod')).image).toBe('component.pilot.hub/pilot:2-global.variant');
    expect(container(find(objs(m), 'DaemonSet', 'istio-cni-node') as V1DaemonSet).image).toBe(
      'component.cni.hub/install-cni:v3.3.3-global.variant',
    );
    expect(container(deployment(m, 'istio-ingressgateway')).image).toBe(
      'istio-spec.hub/proxyv2:istio-spec.tag-global.variant',
    );
  });

  it('use a full image reference as given', () => {
    const m = run({ profile: 'minimal', values: { pilot: { image: 'my.registry/istiod@sha256:abc' } } });
    expect(container(deployment(m, 'istiod')).image).toBe('my.registry/istiod@sha256:abc');
  });
});

describe('k8s settings', () => {
  const m = run({
    components: {
      pilot: {
        k8s: {
          replicaCount: 3,
          env: [
            { name: 'PILOT_TRACE_SAMPLING', value: '5' },
            { name: 'EXTRA', value: 'x' },
          ],
          resources: { requests: { memory: '1Gi' } },
          nodeSelector: { pool: 'infra' },
          tolerations: [{ key: 'dedicated', operator: 'Exists' }],
          affinity: { nodeAffinity: {} },
          podAnnotations: { a: 'b' },
          strategy: { rollingUpdate: { maxSurge: 1 } },
          serviceAnnotations: { s: 't' },
          service: { type: 'NodePort' },
          hpaSpec: { minReplicas: 2, maxReplicas: 7 },
        },
      },
    },
  });
  const d = deployment(m, 'istiod');

  it('patch the workload and its main container by strategic merge', () => {
    expect(d.spec!.replicas).toBe(3);
    expect(envValue(d, 'PILOT_TRACE_SAMPLING')).toBe('5');
    expect(envValue(d, 'EXTRA')).toBe('x');
    expect(container(d).env!.filter((e) => e.name === 'PILOT_TRACE_SAMPLING')).toHaveLength(1);
    expect(container(d).resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' } });
    expect(d.spec!.template.spec!.nodeSelector).toEqual({ pool: 'infra' });
    // Tolerations replace (no merge key), like a strategic merge patch does.
    expect(d.spec!.template.spec!.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
    expect(d.spec!.template.spec!.affinity).toEqual({ nodeAffinity: {} });
    expect(d.spec!.template.metadata!.annotations!.a).toBe('b');
    expect(d.spec!.template.metadata!.annotations!['prometheus.io/port']).toBe('15014');
    expect(d.spec!.strategy).toEqual({ rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } });
  });

  it('patch the Service and the HPA', () => {
    const svc = find(objs(m), 'Service', 'istiod') as V1Service;
    expect(svc.metadata!.annotations).toEqual({ s: 't' });
    expect(svc.spec!.type).toBe('NodePort');
    expect(svc.spec!.ports!.map((p) => p.port)).toEqual([15010, 15012, 443, 15014]);
    expect(
      (find(objs(m), 'HorizontalPodAutoscaler', 'istiod') as V2HorizontalPodAutoscaler).spec,
    ).toMatchObject({
      minReplicas: 2,
      maxReplicas: 7,
    });
  });

  it('upgrade autoscaling/v2beta1 resource metrics in hpaSpec to the v2 form', () => {
    const hpaSpec = {
      metrics: [{ type: 'Resource', resource: { name: 'cpu', targetAverageUtilization: 444 } }],
    } as unknown as KubernetesResourceSpec['hpaSpec'];
    const r = run({ profile: 'minimal', components: { pilot: { k8s: { hpaSpec } } } });
    expect(
      (find(objs(r), 'HorizontalPodAutoscaler', 'istiod') as V2HorizontalPodAutoscaler).spec!.metrics,
    ).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 444 } },
      },
    ]);
  });

  it('merge Service ports by port number', () => {
    const g = render(readInput('gateways'), { crds: [] });
    const svc = find(objs(g), 'Service', 'ilb-gateway') as V1Service;
    expect(svc.metadata!.namespace).toBe('user-ingressgateway-ns');
    expect(svc.metadata!.annotations).toEqual({ 'cloud.google.com/load-balancer-type': 'internal' });
    expect(svc.spec!.ports!.map((p) => p.port)).toEqual([15021, 80, 443, 15011, 8060, 5353]);
  });
});

describe('gateways (upstream gateways input)', () => {
  const m = render(readInput('gateways'), { crds: [] });

  it('renders every named gateway with its own objects in its namespace', () => {
    const gws = m.components.filter((c) => c.component === 'IngressGateways');
    expect(gws.map((c) => `${c.namespace}/${c.gateway}`)).toEqual([
      'istio-system/istio-ingressgateway',
      'istio-system/user-ingressgateway',
      'user-ingressgateway-ns/ilb-gateway',
    ]);
    for (const c of gws) {
      expect(c.objects.map((o) => o.kind).sort()).toEqual(
        ['Deployment', 'HorizontalPodAutoscaler', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
      );
      expect(c.objects.every((o) => o.metadata.namespace === c.namespace)).toBe(true);
    }
  });

  it('applies labels (merged with app/istio), resources and the overlay per gateway', () => {
    const user = deployment(m, 'user-ingressgateway');
    expect(user.spec!.selector.matchLabels).toEqual({
      app: 'istio-ingressgateway',
      istio: 'ingressgateway',
      ccc: 'ccc-val',
      ddd: 'ddd-val',
    });
    expect(container(user).resources!.requests).toEqual({ cpu: '222m', memory: '888Mi' });
    expect(envValue(deployment(m, 'ilb-gateway'), 'PILOT_CERT_PROVIDER')).toBe('foobar');
    expect(envValue(user, 'PILOT_CERT_PROVIDER')).toBe('istiod');
    expect(
      deployment(m, 'istio-ingressgateway').spec!.template.metadata!.labels![
        'service.istio.io/canonical-revision'
      ],
    ).toBe('21');
  });

  it('egress gateways get a ClusterIP Service on 80 and 443', () => {
    const svc = find(objs(run({ profile: 'demo' })), 'Service', 'istio-egressgateway') as V1Service;
    expect(svc.spec!.type).toBe('ClusterIP');
    expect(svc.spec!.ports!.map((p) => [p.port, p.targetPort])).toEqual([
      [80, 8080],
      [443, 8443],
    ]);
    expect(container(deployment(run({ profile: 'demo' }), 'istio-egressgateway')).args!.slice(0, 2)).toEqual([
      'proxy',
      'router',
    ]);
  });
});

describe('CNI', () => {
  const injectorValues = (m: RenderedManifest) =>
    JSON.parse((find(objs(m), 'ConfigMap', 'istio-sidecar-injector') as V1ConfigMap).data!.values);

  it('switches injection to istio-validation through the injector values', () => {
    expect(injectorValues(run({})).pilot.cni.enabled).toBe(false);
    const on = injectorValues(run({ components: { cni: { enabled: true } } }));
    expect(on.pilot.cni).toEqual({ enabled: true, provider: 'default' });
    expect(on.istio_cni).toEqual({ enabled: true });
  });

  it('renders the node agent with host paths, config and RBAC', () => {
    const m = run({ profile: 'minimal', components: { cni: { enabled: true } } });
    const cni = m.components.find((c) => c.component === 'Cni')!;
    expect(cni.objects.map(idOf).sort()).toEqual(
      [
        'ClusterRole /istio-cni',
        'ClusterRole /istio-cni-repair-role',
        'ClusterRoleBinding /istio-cni',
        'ClusterRoleBinding /istio-cni-repair-rolebinding',
        'ConfigMap istio-system/istio-cni-config',
        'DaemonSet istio-system/istio-cni-node',
        'ServiceAccount istio-system/istio-cni',
      ].sort(),
    );
    const ds = find(cni.objects, 'DaemonSet', 'istio-cni-node') as V1DaemonSet;
    expect(ds.spec!.template.spec!.volumes!.map((v) => v.hostPath?.path)).toEqual(
      expect.arrayContaining(['/opt/cni/bin', '/etc/cni/net.d', '/var/run/istio-cni']),
    );
    const cm = find(cni.objects, 'ConfigMap', 'istio-cni-config') as V1ConfigMap;
    expect(cm.data!.REPAIR_INIT_CONTAINER_NAME).toBe('istio-validation');
    expect(cm.data!.CURRENT_AGENT_VERSION).toBe('1.30.3');
  });
});

describe('PodDisruptionBudget rule', () => {
  const pdbs = (m: RenderedManifest) =>
    objs(m)
      .filter((o) => o.kind === 'PodDisruptionBudget')
      .map(idOf);

  it('is not rendered for a single replica or autoscaling from 1', () => {
    expect(pdbs(run({}))).toEqual([]);
    expect(pdbs(run({ values: { pilot: { autoscaleEnabled: false, replicaCount: 1 } } }))).toEqual([]);
  });

  it('is rendered when more than one pod is guaranteed', () => {
    expect(pdbs(run({ profile: 'minimal', values: { pilot: { autoscaleMin: 2 } } }))).toEqual([
      'PodDisruptionBudget istio-system/istiod',
    ]);
    expect(
      pdbs(run({ profile: 'minimal', values: { pilot: { autoscaleEnabled: false, replicaCount: 3 } } })),
    ).toEqual(['PodDisruptionBudget istio-system/istiod']);
    expect(
      pdbs(run({ profile: 'minimal', components: { pilot: { k8s: { hpaSpec: { minReplicas: 2 } } } } })),
    ).toEqual(['PodDisruptionBudget istio-system/istiod']);
    expect(pdbs(run({ values: { gateways: { 'istio-ingressgateway': { autoscaleMin: 2 } } } }))).toEqual([
      'PodDisruptionBudget istio-system/istio-ingressgateway',
    ]);
  });

  it('is off when global.defaultPodDisruptionBudget is disabled, on when k8s.podDisruptionBudget is explicit', () => {
    const off = { global: { defaultPodDisruptionBudget: { enabled: false } }, pilot: { autoscaleMin: 3 } };
    expect(pdbs(run({ profile: 'minimal', values: off }))).toEqual([]);
    const m = run({
      profile: 'minimal',
      components: { pilot: { k8s: { podDisruptionBudget: { maxUnavailable: 1 } } } },
    });
    expect((find(objs(m), 'PodDisruptionBudget', 'istiod') as V1PodDisruptionBudget).spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: 'istiod', istio: 'pilot' } },
    });
  });
});

describe('labels', () => {
  it('puts component, owner, owner namespace and revision labels on every object', () => {
    const m = run({ profile: 'demo', components: { cni: { enabled: true } } }, [], {
      name: 'installed',
      namespace: 'ops',
    });
    for (const c of m.components) {
      for (const o of c.objects) {
        expect({ id: idOf(o), labels: o.metadata.labels }).toEqual({
          id: idOf(o),
          labels: expect.objectContaining({
            'operator.istio.io/component': c.component,
            'install.operator.istio.io/owning-resource': 'installed',
            'install.operator.istio.io/owning-resource-namespace': 'ops',
            'istio.io/rev': 'default',
            'app.kubernetes.io/part-of': 'istio',
          }),
        });
      }
    }
    // CRDs carry the install's labels instead of the static ones of their files.
    expect(
      find(objs(m), 'CustomResourceDefinition', 'gateways.networking.istio.io').metadata.labels!.static,
    ).toBeUndefined();
  });

  it('use upstream\'s "unknown" owner without a CR name', () => {
    expect(deployment(run({}), 'istiod').metadata.labels!['install.operator.istio.io/owning-resource']).toBe(
      'unknown',
    );
  });
});

describe('apply order and kinds', () => {
  const m = run({ profile: 'demo', components: { cni: { enabled: true } } });
  const ordered = applyOrder(m);

  it('goes base, then CNI and pilot, then gateways; within a component config before workloads', () => {
    const comp = (o: ManifestObject) =>
      COMPONENT_ORDER.indexOf(o.metadata.labels!['operator.istio.io/component'] as never);
    const ranks = ordered.map(comp);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ordered[0].kind).toBe('CustomResourceDefinition');
    for (const c of m.components) {
      const inComp = ordered.filter((o) => c.objects.includes(o)).map((o) => KIND_ORDER.indexOf(o.kind));
      expect(inComp).toEqual([...inComp].sort((a, b) => a - b));
    }
    const pilot = ordered
      .filter((o) => o.metadata.labels!['operator.istio.io/component'] === 'Pilot')
      .map((o) => o.kind);
    expect(pilot.indexOf('ConfigMap')).toBeLessThan(pilot.indexOf('Deployment'));
    expect(pilot.indexOf('ServiceAccount')).toBeLessThan(pilot.indexOf('ClusterRoleBinding'));
    expect(ordered).toHaveLength(objs(m).length);
  });

  it('renders only managed kinds and lists the namespaces to create', () => {
    expect(unmanagedKinds(m)).toEqual([]);
    for (const o of ordered) expect(managedKindOf(o)).toBeDefined();
    expect(MANAGED_KINDS.find((k) => k.kind === 'HorizontalPodAutoscaler')).toMatchObject({
      apiVersion: 'autoscaling/v2',
      plural: 'horizontalpodautoscalers',
      namespaced: true,
    });
    expect(m.namespaces).toEqual(['istio-system']);
  });

  it('gives namespaced kinds a namespace and cluster-scoped kinds none', () => {
    for (const o of ordered) {
      const namespaced = managedKindOf(o)!.namespaced;
      expect({ id: idOf(o), namespaced: o.metadata.namespace !== undefined }).toEqual({
        id: idOf(o),
        namespaced,
      });
    }
  });

  it('does not render the injector MutatingWebhookConfiguration but does render validation', () => {
    expect(ordered.filter((o) => o.kind === 'MutatingWebhookConfiguration')).toEqual([]);
    expect(ordered.filter((o) => o.kind === 'ValidatingWebhookConfiguration').map(idOf)).toEqual([
      'ValidatingWebhookConfiguration /istio-validator-istio-system',
    ]);
    expect(ordered.filter((o) => o.kind === 'ValidatingWebhookConfiguration')).toHaveLength(
      objs(run({ values: { global: { configValidation: true } } })).filter(
        (o) => o.kind === 'ValidatingWebhookConfiguration',
      ).length,
    );
    expect(
      objs(run({ values: { global: { configValidation: false } } })).filter(
        (o) => o.kind === 'ValidatingWebhookConfiguration',
      ),
    ).toEqual([]);
  });

  it('is deterministic', () => {
    expect(applyOrder(run({ profile: 'demo', components: { cni: { enabled: true } } }))).toEqual(ordered);
  });
});

describe('injector ConfigMap', () => {
  it('carries config (policy, selectors, annotations, default templates) and the effective values, no template text', () => {
    const cm = find(
      objs(
        run({
          values: {
            sidecarInjectorWebhook: { neverInjectSelector: [{ matchLabels: { skip: 'yes' } }] },
            global: { proxy: { autoInject: 'disabled' } },
          },
        }),
      ),
      'ConfigMap',
      'istio-sidecar-injector',
    ) as V1ConfigMap;
    expect(cm.data!.config).toContain('policy: disabled');
    expect(cm.data!.config).toContain('skip: yes');
    expect(cm.data!.config).not.toContain('templates:\n');
    const values = JSON.parse(cm.data!.values);
    expect(Object.keys(values).sort()).toEqual([
      'gateways',
      'global',
      'istio_cni',
      'pilot',
      'revision',
      'sidecarInjectorWebhook',
    ]);
    expect(values.global.proxy.statusPort).toBe(15020);
  });
});

describe('renderOutcome (controller adapter)', () => {
  it('tells invalid specs from success and never throws', () => {
    expect(
      renderOutcome(
        { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: { profile: 'nope' } },
        { crds: [] },
      ),
    ).toEqual({
      ok: false,
      reason: 'InvalidSpec',
      message: expect.stringMatching(/unknown profile "nope"/),
    });
    const ok = renderOutcome(
      { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec: { profile: 'minimal' } },
      { crds: [] },
    );
    expect(ok.ok && ok.desired.components.map((c) => c.component)).toEqual(['Base', 'Pilot']);
  });
});
