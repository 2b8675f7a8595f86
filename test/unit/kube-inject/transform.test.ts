import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { InjectionConfig, InjectionOutcome, InjectionRequest, Injector } from '../../../inject/api';
import { kubeInject, KubeInjectError, meshOverlay, valuesOverlay } from '../../../webhook/kube-inject';

const config: InjectionConfig = {
  values: {},
  meshConfig: {},
  revision: 'default',
  nativeSidecars: 'auto',
  nodeKubeletVersions: [],
};

// A stand-in engine: appends a sidecar and marks the pod, skips host-network pods, rejects `bad` pods.
function fakeInjector(seen: InjectionRequest[] = []): Injector {
  return (req: InjectionRequest): InjectionOutcome => {
    seen.push(structuredClone(req));
    const pod: V1Pod = structuredClone(req.pod);
    if (pod.spec?.hostNetwork) return { kind: 'skipped', reason: `host network ${req.owner?.name}`, pod };
    if (pod.metadata?.annotations?.bad) return { kind: 'rejected', message: 'bad annotation' };
    pod.metadata = {
      ...pod.metadata,
      annotations: { ...pod.metadata?.annotations, injected: req.owner?.kind ?? 'none' },
    };
    pod.spec = {
      ...pod.spec,
      containers: [...(pod.spec?.containers ?? []), { name: 'istio-proxy', image: 'proxyv2' }],
    };
    return { kind: 'injected', pod, patch: [] };
  };
}

// The decoded documents of a stream (the trailing `---` leaves an empty one, as in upstream's output).
function docs(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null);
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: sample
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: hello:1
`;

describe('kubeInject', () => {
  it('injects a Deployment template and prints it in the Go shape upstream prints', () => {
    const seen: InjectionRequest[] = [];
    const { output, warnings } = kubeInject(deployment, { config, inject: fakeInjector(seen) });
    expect(warnings).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      namespace: 'sample',
      admission: false,
      owner: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' },
      pod: { metadata: { labels: { app: 'hello' } }, spec: { containers: [{ name: 'hello' }] } },
    });
    expect(docs(output)).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'hello', namespace: 'sample' },
        spec: {
          replicas: 2,
          strategy: {},
          template: {
            metadata: { annotations: { injected: 'Deployment' }, labels: { app: 'hello' } },
            spec: {
              containers: [
                { name: 'hello', image: 'hello:1', resources: {} },
                { name: 'istio-proxy', image: 'proxyv2', resources: {} },
              ],
            },
          },
        },
        status: {},
      },
    ]);
    // Keys sorted, lists flush with their key, one document terminator.
    expect(output.startsWith('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n')).toBe(true);
    expect(output).toContain('\n      containers:\n      - image: hello:1\n');
    expect(output.endsWith('status: {}\n---\n')).toBe(true);
  });

  it('quotes strings the way go-yaml does', () => {
    const inject: Injector = (req) => {
      const pod = structuredClone(req.pod);
      pod.metadata = { annotations: { port: '15020', on: 'yes', star: '*', empty: '', json: '{"a":1}' } };
      return { kind: 'injected', pod, patch: [] };
    };
    const { output } = kubeInject(deployment, { config, inject });
    expect(output).toContain(
      `annotations:\n        empty: ""\n        json: '{"a":1}'\n        "on": "yes"\n        port: "15020"\n        star: '*'\n`,
    );
  });

  it('passes other documents through with their text and walks multi-document streams', () => {
    const service = 'kind: Service\napiVersion: v1\nmetadata:\n  name: hello   # keep me\n';
    const { output } = kubeInject(`${service}---\n${deployment}`, { config, inject: fakeInjector() });
    const [first, second] = output.split('---\n');
    expect(first).toBe(service);
    expect(docs(second)[0]).toMatchObject({ kind: 'Deployment', status: {} });
  });

  it('defaults the namespace and hands over known namespace objects', () => {
    const seen: InjectionRequest[] = [];
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n';
    const ns = { metadata: { name: 'default', annotations: { x: 'y' } } };
    const { output } = kubeInject(pod, {
      config,
      inject: fakeInjector(seen),
      namespaces: new Map([['default', ns]]),
    });
    expect(seen[0].namespace).toBe('default');
    expect(seen[0].namespaceObject).toEqual(ns);
    // A bare Pod is its own workload: ownership is left to its ownerReferences.
    expect(seen[0].owner).toBeUndefined();
    expect(docs(output)[0]).toMatchObject({ metadata: { annotations: { injected: 'none' } }, status: {} });
  });

  it('injects the items of a List and gives the List Go empty metadata', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [docs(deployment)[0], { kind: 'Service', metadata: { name: 's' } }],
    };
    const { output } = kubeInject(JSON.stringify(list), { config, inject: fakeInjector() });
    const [got] = docs(output) as [{ metadata: unknown; items: unknown[] }];
    expect(got.metadata).toEqual({});
    expect(got.items[0]).toMatchObject({
      spec: { template: { metadata: { annotations: { injected: 'Deployment' } } } },
    });
    expect(got.items[1]).toEqual({ kind: 'Service', metadata: { name: 's' } });
  });

  it('puts a CronJob pod metadata on the job template, as upstream does', () => {
    const cron = `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: '* * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job}]
`;
    const seen: InjectionRequest[] = [];
    const [got] = docs(kubeInject(cron, { config, inject: fakeInjector(seen) }).output);
    expect(seen[0].owner).toEqual({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'c' });
    expect(got).toMatchObject({
      spec: {
        jobTemplate: {
          metadata: { annotations: { injected: 'CronJob' } },
          spec: {
            template: { metadata: {}, spec: { containers: [{ name: 'job' }, { name: 'istio-proxy' }] } },
          },
        },
      },
      status: {},
    });
  });

  it.each([
    [
      'DaemonSet',
      { updateStrategy: {} },
      { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 },
    ],
    ['StatefulSet', { updateStrategy: {} }, { availableReplicas: 0, replicas: 0 }],
    ['ReplicaSet', {}, { replicas: 0 }],
    ['ReplicationController', {}, { replicas: 0 }],
    ['Job', {}, {}],
  ])('prints a %s with its Go zero values', (kind, specExtra, status) => {
    const text = deployment.replace('kind: Deployment', `kind: ${kind}`);
    const [got] = docs(kubeInject(text, { config, inject: fakeInjector() }).output) as [
      Record<string, unknown>,
    ];
    expect(got.status).toEqual(status);
    expect(got.spec).toMatchObject(specExtra);
    expect(got.spec).not.toHaveProperty('strategy');
  });

  it('prints a DeploymentConfig like the Go type does', () => {
    const dc = `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: hello}
spec:
  replicas: 1
  paused: false
  minReadySeconds: 0
  strategy: {type: Rolling}
  template:
    spec:
      containers: [{name: hello}]
`;
    const [got] = docs(kubeInject(dc, { config, inject: fakeInjector() }).output) as [
      { spec: Record<string, unknown> },
    ];
    expect(got.spec.strategy).toEqual({ type: 'Rolling', resources: {} });
    expect(got.spec.test).toBe(false);
    expect(got.spec).not.toHaveProperty('paused');
    expect(got.spec).not.toHaveProperty('minReadySeconds');
  });

  it('reports skipped workloads as warnings and leaves them uninjected', () => {
    const text = deployment.replace('      containers:', '      hostNetwork: true\n      containers:');
    const { output, warnings } = kubeInject(text, { config, inject: fakeInjector() });
    expect(warnings).toEqual(['host network hello']);
    const [got] = docs(output) as [{ spec: { template: { spec: { containers: unknown[] } } } }];
    expect(got.spec.template.spec.containers).toEqual([{ name: 'hello', image: 'hello:1', resources: {} }]);
  });

  it('fails with the object and message when the engine rejects a workload', () => {
    const text = deployment.replace('labels: {app: hello}', 'annotations: {bad: "1"}');
    expect(() => kubeInject(text, { config, inject: fakeInjector() })).toThrow(
      new KubeInjectError('Deployment "sample/hello": bad annotation'),
    );
  });

  it('fails on malformed YAML with the document number', () => {
    expect(() => kubeInject('a: 1\n---\nb: [1\n', { config, inject: fakeInjector() })).toThrow(
      /YAML document 2/,
    );
  });
});

describe('configuration files', () => {
  it('reads Helm values files and injector ConfigMaps', () => {
    expect(valuesOverlay('global:\n  hub: h\n', 'v.yaml')).toEqual({ values: { global: { hub: 'h' } } });
    const cm = 'kind: ConfigMap\ndata:\n  values: \'{"global":{"tag":"1"}}\'\n';
    expect(valuesOverlay(cm, 'cm.yaml')).toEqual({ values: { global: { tag: '1' } } });
    expect(() => valuesOverlay('kind: ConfigMap\ndata:\n  values: "{"\n', 'cm.yaml')).toThrow(/not JSON/);
    expect(() => valuesOverlay('- a\n', 'list.yaml')).toThrow(/expected a YAML mapping/);
  });

  it('reads the policy and selectors of an injector ConfigMap config key back into values', () => {
    const cm = [
      'kind: ConfigMap',
      'data:',
      '  values: \'{"global":{"proxy":{"autoInject":"enabled"}}}\'',
      '  config: |',
      '    policy: disabled',
      '    neverInjectSelector: [{matchLabels: {skip: "yes"}}]',
      '    templates: {sidecar: "ignored"}',
      '',
    ].join('\n');
    expect(valuesOverlay(cm, 'cm.yaml')).toEqual({
      values: {
        global: { proxy: { autoInject: 'disabled' } },
        sidecarInjectorWebhook: { neverInjectSelector: [{ matchLabels: { skip: 'yes' } }] },
      },
    });
  });

  it('reads MeshConfig files and istio ConfigMaps', () => {
    expect(meshOverlay('trustDomain: td\n', 'm.yaml')).toEqual({ meshConfig: { trustDomain: 'td' } });
    const cm = 'kind: ConfigMap\ndata:\n  mesh: |\n    defaultConfig:\n      drainDuration: 23s\n';
    expect(meshOverlay(cm, 'cm.yaml')).toEqual({ meshConfig: { defaultConfig: { drainDuration: '23s' } } });
    expect(() => meshOverlay('kind: ConfigMap\ndata: {}\n', 'cm.yaml')).toThrow(/no data.mesh/);
  });
});
