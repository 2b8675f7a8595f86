// Where istioctl kube-inject differs from the webhook, checked with the real engine: the system-namespace
// rule reads the pod template's namespace, injectedAnnotations are the webhook's alone.
import { parseAllDocuments } from 'yaml';
import { injectPod } from '../../../inject';
import { kubeInject } from '../../../webhook/kube-inject';
import { config } from '../inject/fixtures';

function deployment(ns: string | undefined, templateNs?: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    ...(ns ? [`  namespace: ${ns}`] : []),
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata:',
    '      labels: {app: web}',
    ...(templateNs ? [`      namespace: ${templateNs}`] : []),
    '    spec:',
    '      containers: [{name: web, image: web}]',
    '',
  ].join('\n');
}

function podSpecOf(out: string): { containers: { name: string }[]; initContainers?: { name: string }[] } {
  const d = parseAllDocuments(out)[0].toJS() as {
    spec: { template: { spec: { containers: { name: string }[] } } };
  };
  return d.spec.template.spec;
}

const names = (spec: ReturnType<typeof podSpecOf>) =>
  [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name);

describe('kube-inject, as istioctl does it', () => {
  const cfg = config();
  it.each(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'])(
    'injects a workload in %s whose pod template names no namespace',
    (ns) => {
      const { output, warnings } = kubeInject(deployment(ns), { config: cfg, inject: injectPod });
      expect(warnings).toEqual([]);
      expect(names(podSpecOf(output))).toContain('istio-proxy');
    },
  );

  it('skips a pod template that itself sits in a system namespace', () => {
    const { output, warnings } = kubeInject(deployment('kube-system', 'kube-system'), {
      config: cfg,
      inject: injectPod,
    });
    expect(names(podSpecOf(output))).not.toContain('istio-proxy');
    expect(warnings.join('\n')).toContain('Skipping injection');
  });

  it('the webhook still skips system namespaces', () => {
    const out = injectPod(
      {
        pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
        namespace: 'kube-system',
        admission: true,
      },
      cfg,
    );
    expect(out.kind).toBe('skipped');
  });

  it('applies sidecarInjectorWebhook.injectedAnnotations in the webhook only', () => {
    const withAnn = config([
      { values: { sidecarInjectorWebhook: { injectedAnnotations: { 'example.com/injected': 'yes' } } } },
    ]);
    const { output } = kubeInject(deployment('default'), { config: withAnn, inject: injectPod });
    const doc = parseAllDocuments(output)[0].toJS() as {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    expect(doc.spec.template.metadata.annotations?.['example.com/injected']).toBeUndefined();
    expect(doc.spec.template.metadata.annotations?.['sidecar.istio.io/status']).toBeDefined();

    const hook = injectPod(
      {
        pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
        namespace: 'default',
        admission: true,
      },
      withAnn,
    );
    expect(hook.kind === 'injected' && hook.pod.metadata?.annotations?.['example.com/injected']).toBe('yes');
  });
});

describe('ISTIO_PROMETHEUS_ANNOTATIONS', () => {
  const cfg = config();
  const run = (annotations: Record<string, string>) => {
    const out = injectPod(
      {
        pod: { metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'a', image: 'a' }] } },
        namespace: 'default',
        admission: true,
      },
      cfg,
    );
    if (out.kind !== 'injected') throw new Error(out.kind);
    const proxy = [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
      (c) => c.name === 'istio-proxy',
    );
    return { env: proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value, pod: out.pod };
  };

  it('carries scrape, path and port, in that order, even when empty', () => {
    expect(run({ 'prometheus.io/scrape': 'true' }).env).toBe('{"scrape":"true","path":"","port":""}');
    expect(run({ 'prometheus.io/port': '9090' }).env).toBe('{"scrape":"","path":"","port":"9090"}');
    expect(
      run({ 'prometheus.io/path': '/m', 'prometheus.io/port': '1', 'prometheus.io/scrape': 'true' }).env,
    ).toBe('{"scrape":"true","path":"/m","port":"1"}');
    expect(run({}).env).toBeUndefined();
  });

  it('reads and clears every spelling of the keys', () => {
    const { env, pod } = run({ 'prometheus.io.port': '9090', 'prometheus-io/path': '/x' });
    expect(env).toBe('{"scrape":"","path":"/x","port":"9090"}');
    const a = pod.metadata?.annotations ?? {};
    expect(a['prometheus.io.port']).toBeUndefined();
    expect(a['prometheus-io/path']).toBeUndefined();
    expect([a['prometheus.io/port'], a['prometheus.io/path'], a['prometheus.io/scrape']]).toEqual([
      '15020',
      '/stats/prometheus',
      'true',
    ]);
  });
});

describe('Go round-trip shapes', () => {
  const cfg = config();
  it('prints every quantity of the pod template canonically, app containers included', () => {
    const input = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        image: web',
      '        resources: {requests: {cpu: 1000m, memory: 1024Mi}, limits: {cpu: "1.5", memory: 2048Mi}}',
      '      volumes: [{name: scratch, emptyDir: {sizeLimit: 1024Mi}}]',
      '',
    ].join('\n');
    const { output } = kubeInject(input, { config: cfg, inject: injectPod });
    const d = parseAllDocuments(output)[0].toJS() as {
      spec: {
        template: {
          spec: {
            containers: { name: string; resources: unknown }[];
            volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
          };
        };
      };
    };
    const web = d.spec.template.spec.containers.find((c) => c.name === 'web');
    expect(web?.resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '1500m', memory: '2Gi' },
    });
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'scratch')?.emptyDir?.sizeLimit).toBe('1Gi');
  });

  it("keeps a gRPC probe's empty service in ISTIO_KUBE_APP_PROBERS (a Go *string)", () => {
    const out = injectPod(
      {
        pod: {
          metadata: { name: 'p' },
          spec: {
            containers: [
              { name: 'a', image: 'a', livenessProbe: { grpc: { port: 9000, service: '' } } },
              { name: 'b', image: 'b', livenessProbe: { grpc: { port: 9001 } } },
            ],
          },
        },
        namespace: 'default',
        admission: true,
      },
      cfg,
    );
    if (out.kind !== 'injected') throw new Error(out.kind);
    const proxy = [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
      (c) => c.name === 'istio-proxy',
    );
    const probers = proxy?.env?.find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS')?.value ?? '';
    expect(probers).toContain('"grpc":{"port":9000,"service":""}');
    expect(probers).toContain('"grpc":{"port":9001}');
  });
});

describe('a user istio-proxy with image: auto', () => {
  const cfg = config();
  const run = (pod: Parameters<typeof injectPod>[0]['pod']) => {
    const out = injectPod({ pod, namespace: 'default', admission: true }, cfg);
    if (out.kind !== 'injected') throw new Error(out.kind);
    return out.pod;
  };
  const imageOf = (p: ReturnType<typeof run>) =>
    [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === 'istio-proxy')
      ?.image;
  const pod = (template: string) => ({
    metadata: { name: 'p', annotations: { 'inject.istio.io/templates': template } },
    spec: {
      containers: [
        { name: 'a', image: 'a' },
        { name: 'istio-proxy', image: 'auto' },
      ],
    },
  });

  it('keeps auto under grpc-simple, which sets no image (stable on re-injection)', () => {
    const once = run(pod('grpc-simple'));
    expect(imageOf(once)).toBe('auto');
    expect(imageOf(run(once))).toBe('auto');
  });

  it.each(['sidecar', 'gateway', 'grpc-agent'])('gets the injected image under %s', (t) => {
    const once = run(pod(t));
    expect(imageOf(once)).toMatch(/\/proxyv2:/);
    expect(imageOf(run(once))).toBe(imageOf(once));
  });
});

describe('defaultTemplates', () => {
  it('are the webhook’s: kube-inject renders sidecar unless the pod names templates', () => {
    const cfg = config([{ values: { sidecarInjectorWebhook: { defaultTemplates: ['grpc-agent'] } } }]);
    const { output } = kubeInject(deployment('default'), { config: cfg, inject: injectPod });
    expect(names(podSpecOf(output))).toContain('istio-init');
    const hook = injectPod(
      {
        pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
        namespace: 'default',
        admission: true,
      },
      cfg,
    );
    if (hook.kind !== 'injected') throw new Error(hook.kind);
    const all = [...(hook.pod.spec?.initContainers ?? []), ...(hook.pod.spec?.containers ?? [])];
    expect(all.map((c) => c.name)).not.toContain('istio-init');
    // The caller's config is left as it was.
    expect(cfg.values.sidecarInjectorWebhook?.defaultTemplates).toEqual(['grpc-agent']);
  });
});
