// Renders istioctl's manifest-generate inputs and compares with its goldens (Istio 1.30.3, read from
// ../shared at run time). What is compared, and why:
//  - the set of (kind, namespace, name): the objects an install consists of must be the same, except
//    upstream's injector MutatingWebhookConfiguration (by design, Meshwright's webhook injects instead)
//    and the debugging-only `values` ConfigMap ("modifying these values has no effect");
//  - container images, args, ports and env names of workloads, and Service ports: the fields that decide
//    what runs and how it is reached. Labels differ on purpose (Meshwright's managed-by, no Helm chart
//    labels) and are tested separately in render.test.ts;
//  - for the main cases, whole workloads, Services, HPAs, ServiceAccounts and the mesh ConfigMap, labels
//    aside (see `comparable`), so any drift from upstream's rendering shows up.
import { parse } from 'yaml';
import {
  allObjects,
  comparable,
  find,
  idOf,
  readGolden,
  renderInput,
  servicePorts,
  workloadSummary,
  type Obj,
} from './golden-helpers';

const NOT_RENDERED_BY_DESIGN = new Set([
  'MutatingWebhookConfiguration /istio-sidecar-injector',
  'ConfigMap istio-system/values',
]);

function expectSameObjects(
  golden: Obj[],
  rendered: { kind: string; metadata: { name: string; namespace?: string } }[],
) {
  const want = golden.map(idOf).filter((id) => !NOT_RENDERED_BY_DESIGN.has(id));
  const have = new Set(rendered.map(idOf));
  expect(want.filter((id) => !have.has(id))).toEqual([]);
}

function expectWorkloadsMatch(golden: Obj[], rendered: Obj[], kinds = ['Deployment', 'DaemonSet']) {
  const workloads = golden.filter((o) => kinds.includes(o.kind));
  expect(workloads.length).toBeGreaterThan(0);
  for (const g of workloads) {
    expect({ id: idOf(g), c: workloadSummary(find(rendered, g.kind, g.metadata.name)) }).toEqual({
      id: idOf(g),
      c: workloadSummary(g),
    });
  }
}

function expectServicesMatch(golden: Obj[], rendered: Obj[]) {
  for (const g of golden.filter((o) => o.kind === 'Service')) {
    expect({ id: idOf(g), ports: servicePorts(find(rendered, 'Service', g.metadata.name)) }).toEqual({
      id: idOf(g),
      ports: servicePorts(g),
    });
  }
}

describe('golden: all_on (base, pilot, ingress and egress gateways)', () => {
  const golden = readGolden('all_on.golden-show-in-gh-pull-request.yaml');
  let rendered: Obj[];
  beforeAll(() => {
    rendered = allObjects(renderInput('all_on')) as unknown as Obj[];
  });

  it('renders the same objects, CRDs included', () => {
    expectSameObjects(golden, rendered);
  });

  it('renders nothing upstream does not', () => {
    const goldenIds = new Set(golden.map(idOf));
    expect(rendered.map(idOf).filter((id) => !goldenIds.has(id))).toEqual([]);
  });

  it('matches istiod and gateway containers and Service ports', () => {
    expectWorkloadsMatch(golden, rendered);
    expectServicesMatch(golden, rendered);
  });

  it('matches the RBAC rules', () => {
    for (const g of golden.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      expect({ id: idOf(g), rules: find(rendered, g.kind, g.metadata.name).rules }).toEqual({
        id: idOf(g),
        rules: g.rules,
      });
    }
  });
});

describe('golden: default profile', () => {
  it('renders all_on minus the egress gateway (upstream has no golden for `default` itself)', () => {
    const golden = readGolden('all_on.golden-show-in-gh-pull-request.yaml')
      .map(idOf)
      .filter((id) => !id.includes('egressgateway') && !NOT_RENDERED_BY_DESIGN.has(id));
    const rendered = allObjects(renderInput('default')).map(idOf);
    expect(rendered.sort()).toEqual(golden.sort());
  });
});

describe('golden: pilot_default (empty profile + pilot, release hub/tag)', () => {
  const golden = readGolden('pilot_default.golden.yaml');
  let rendered: Obj[];
  beforeAll(() => {
    rendered = allObjects(renderInput('pilot_default')) as unknown as Obj[];
  });

  it('renders the same objects', () => expectSameObjects(golden, rendered));
  it('matches the istiod Deployment and Service', () => {
    expectWorkloadsMatch(golden, rendered);
    expectServicesMatch(golden, rendered);
  });
  it('matches the mesh config (meshConfig.rootNamespace honoured)', () => {
    const mesh = (o: Obj): unknown => parse((o.data as Record<string, string>).mesh);
    expect(mesh(find(rendered, 'ConfigMap', 'istio'))).toEqual(mesh(find(golden, 'ConfigMap', 'istio')));
  });
  it('matches the validating webhook', () => {
    // failurePolicy is left to istiod on purpose (see pilot/validation-webhook.ts); the rest must match.
    const webhooks = (o: Obj) =>
      (o.webhooks as Record<string, unknown>[]).map((w) =>
        Object.fromEntries(Object.entries(w).filter(([k]) => k !== 'failurePolicy')),
      );
    const g = find(golden, 'ValidatingWebhookConfiguration', 'istio-validator-istio-system');
    const r = find(rendered, 'ValidatingWebhookConfiguration', 'istio-validator-istio-system');
    expect(webhooks(r)).toEqual(webhooks(g));
    expect((r.webhooks as Record<string, unknown>[])[0].failurePolicy).toBeUndefined();
  });
});

describe('golden: ingressgateway_k8s_settings (service, serviceAnnotations, pod securityContext)', () => {
  const golden = readGolden('ingressgateway_k8s_settings.golden.yaml');
  let rendered: Obj[];
  beforeAll(() => {
    rendered = allObjects(renderInput('ingressgateway_k8s_settings')) as unknown as Obj[];
  });

  it('renders both gateways and matches containers and ports', () => {
    expectSameObjects(golden, rendered);
    expectWorkloadsMatch(golden, rendered);
    expectServicesMatch(golden, rendered);
  });
  it('applies the Service and pod settings like istioctl', () => {
    for (const name of ['istio-ingressgateway', 'istio-ingressgateway-custom']) {
      const svc = (o: Obj) => ({
        type: (o.spec as Record<string, unknown>).type,
        etp: (o.spec as Record<string, unknown>).externalTrafficPolicy,
        // Upstream's template emits an empty `annotations:` (null) when there are none.
        annotations: (o.metadata as Record<string, unknown>).annotations ?? undefined,
      });
      expect(svc(find(rendered, 'Service', name))).toEqual(svc(find(golden, 'Service', name)));
      const podSc = (o: Obj) =>
        (o.spec as { template: { spec: { securityContext?: unknown } } }).template.spec.securityContext;
      expect(podSc(find(rendered, 'Deployment', name))).toEqual(podSc(find(golden, 'Deployment', name)));
    }
  });
});

describe('golden: pilot_k8s_settings (env merge, hpaSpec, readinessProbe, resources, nodeSelector)', () => {
  const golden = readGolden('pilot_k8s_settings.golden.yaml');
  let rendered: Obj[];
  beforeAll(() => {
    rendered = allObjects(renderInput('pilot_k8s_settings')) as unknown as Obj[];
  });

  it('patches the Deployment as upstream does', () => {
    expectSameObjects(golden, rendered);
    const pick = (o: Obj) => {
      const spec = (o.spec as { template: { spec: Record<string, unknown> } }).template.spec;
      const c = (spec.containers as Record<string, unknown>[])[0];
      const env = (c.env as { name: string }[]).slice().sort((a, b) => a.name.localeCompare(b.name));
      return {
        env,
        probe: c.readinessProbe,
        resources: c.resources,
        nodeSelector: spec.nodeSelector,
        image: c.image,
      };
    };
    // Env order after a strategic merge is an apiserver detail; compare as a set of name/value pairs.
    expect(pick(find(rendered, 'Deployment', 'istiod'))).toEqual(pick(find(golden, 'Deployment', 'istiod')));
  });
  it('patches the HPA as upstream does', () => {
    expect(find(rendered, 'HorizontalPodAutoscaler', 'istiod').spec).toEqual(
      find(golden, 'HorizontalPodAutoscaler', 'istiod').spec,
    );
  });
});

describe('golden: pilot_override_kubernetes (overlays)', () => {
  const golden = readGolden('pilot_override_kubernetes.golden.yaml');
  let rendered: Obj[];
  beforeAll(() => {
    rendered = allObjects(renderInput('pilot_override_kubernetes')) as unknown as Obj[];
  });

  it('applies the Deployment overlays (list item by value and key, object value, deletions)', () => {
    const g = find(golden, 'Deployment', 'istiod');
    expect(workloadSummary(find(rendered, 'Deployment', 'istiod'))).toEqual(workloadSummary(g));
    const sc = (o: Obj) =>
      (
        o.spec as {
          template: { spec: { containers: { securityContext?: unknown; env: { name: string }[] }[] } };
        }
      ).template.spec.containers[0];
    expect(sc(find(rendered, 'Deployment', 'istiod')).securityContext).toBeUndefined();
    const podNs = (o: Obj) => sc(o).env.find((e) => e.name === 'POD_NAMESPACE');
    expect(podNs(find(rendered, 'Deployment', 'istiod'))).toEqual(podNs(g));
  });
  it('applies the Service overlay and the Base overlay', () => {
    expect(servicePorts(find(rendered, 'Service', 'istiod'))).toEqual(
      servicePorts(find(golden, 'Service', 'istiod')),
    );
    // The overlay path is literally spec.automountServiceAccountToken, so it lands under `spec` as upstream.
    const sa = (o: Obj) => o.spec;
    expect(sa(find(rendered, 'ServiceAccount', 'istio-reader-service-account'))).toEqual(
      sa(find(golden, 'ServiceAccount', 'istio-reader-service-account')),
    );
    expect(sa(find(rendered, 'ServiceAccount', 'istio-reader-service-account'))).toEqual({
      automountServiceAccountToken: false,
    });
  });
});

describe('golden: istio-cni', () => {
  for (const name of ['istio-cni', 'istio-cni_tolerations']) {
    it(`${name}: matches the DaemonSet containers, volumes and tolerations`, () => {
      const golden = readGolden(`${name}.golden.yaml`);
      const rendered = allObjects(renderInput(name)) as unknown as Obj[];
      expectSameObjects(golden, rendered);
      expectWorkloadsMatch(golden, rendered);
      const pod = (o: Obj) => (o.spec as { template: { spec: Record<string, unknown> } }).template.spec;
      const g = pod(find(golden, 'DaemonSet', 'istio-cni-node'));
      const r = pod(find(rendered, 'DaemonSet', 'istio-cni-node'));
      expect(r.volumes).toEqual(g.volumes);
      expect(r.tolerations).toEqual(g.tolerations);
      expect((r.containers as { volumeMounts: unknown }[])[0].volumeMounts).toEqual(
        (g.containers as { volumeMounts: unknown }[])[0].volumeMounts,
      );
    });
  }
});

describe('golden: other single-object cases', () => {
  it.each([
    ['helm_values_enablement', 'helm_values_enablement.golden.yaml'],
    ['pilot_override_values', 'pilot_override_values.golden.yaml'],
    ['pilot_env_var_from', 'pilot_env_var_from.golden.yaml'],
  ])('%s matches objects, containers and Service ports', (input, file) => {
    const golden = readGolden(file);
    const rendered = allObjects(renderInput(input)) as unknown as Obj[];
    expectSameObjects(golden, rendered);
    expectWorkloadsMatch(golden, rendered);
    expectServicesMatch(golden, rendered);
  });

  it('pilot_merge_meshconfig: meshConfig overlays the chart mesh', () => {
    const mesh = (o: Obj): unknown => parse((o.data as Record<string, string>).mesh);
    const golden = readGolden('pilot_merge_meshconfig.golden.yaml');
    const rendered = allObjects(renderInput('pilot_merge_meshconfig')) as unknown as Obj[];
    expect(mesh(find(rendered, 'ConfigMap', 'istio'))).toEqual(mesh(find(golden, 'ConfigMap', 'istio')));
  });

  it.each(['autoscaling_v2', 'autoscaling_ingress_v2'])(
    '%s: HPA specs from values and k8s.hpaSpec',
    (name) => {
      const golden = readGolden(`${name}.golden.yaml`);
      const rendered = allObjects(renderInput(name)) as unknown as Obj[];
      expect(golden.length).toBeGreaterThan(0);
      for (const g of golden) expect(find(rendered, g.kind, g.metadata.name).spec).toEqual(g.spec);
    },
  );

  it('sidecar_template: default templates reach the injector config', () => {
    const config = (o: Obj) =>
      parse((o.data as Record<string, string>).config) as { defaultTemplates: string[] };
    const golden = readGolden('sidecar_template.golden.yaml');
    const rendered = allObjects(renderInput('sidecar_template')) as unknown as Obj[];
    expect(config(find(rendered, 'ConfigMap', 'istio-sidecar-injector')).defaultTemplates).toEqual(
      config(find(golden, 'ConfigMap', 'istio-sidecar-injector')).defaultTemplates,
    );
  });
});

describe('golden: whole objects, labels aside', () => {
  // The injector ConfigMap differs by design (no template text); RoleBindings name the subject namespace
  // explicitly where upstream leaves it implicit.
  const KINDS = [
    'Deployment',
    'DaemonSet',
    'Service',
    'HorizontalPodAutoscaler',
    'ServiceAccount',
    'ClusterRoleBinding',
  ];
  it.each([
    ['all_on', 'all_on.golden-show-in-gh-pull-request.yaml'],
    ['pilot_default', 'pilot_default.golden.yaml'],
    ['istio-cni', 'istio-cni.golden.yaml'],
    ['istio-cni_tolerations', 'istio-cni_tolerations.golden.yaml'],
    ['ingressgateway_k8s_settings', 'ingressgateway_k8s_settings.golden.yaml'],
    ['pilot_override_values', 'pilot_override_values.golden.yaml'],
    ['helm_values_enablement', 'helm_values_enablement.golden.yaml'],
    ['pilot_env_var_from', 'pilot_env_var_from.golden.yaml'],
  ])('%s', (input, file) => {
    const golden = readGolden(file).filter(
      (o) => KINDS.includes(o.kind) || (o.kind === 'ConfigMap' && o.metadata.name === 'istio'),
    );
    expect(golden.length).toBeGreaterThan(0);
    const rendered = allObjects(renderInput(input)) as unknown as Obj[];
    for (const g of golden) {
      expect(comparable(find(rendered, g.kind, g.metadata.name))).toEqual(comparable(g));
    }
  });
});
