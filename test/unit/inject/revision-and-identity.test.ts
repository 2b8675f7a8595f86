import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { InjectionConfig } from '../../../inject/api';
import { injectPod } from '../../../inject';
import { config, pod } from './fixtures';

function inject(p: V1Pod, cfg: InjectionConfig, namespaceObject?: V1Namespace): V1Pod {
  const o = injectPod({ pod: p, namespace: 'shop', admission: true, namespaceObject }, cfg);
  if (o.kind !== 'injected') throw new Error(JSON.stringify(o));
  return o.pod;
}
const proxyOf = (p: V1Pod) =>
  [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].find((c) => c.name === 'istio-proxy');
const env = (p: V1Pod, name: string) => proxyOf(p)?.env?.find((e) => e.name === name)?.value;

describe('revisions and injected metadata', () => {
  it('points a revisioned proxy at its istiod and names the revision', () => {
    const out = inject(pod(), config([], { revision: 'canary' }));
    expect(env(out, 'CA_ADDR')).toBe('istiod-canary.istio-system.svc:15012');
    expect(out.metadata?.annotations?.['istio.io/rev']).toBe('canary');
    expect(out.metadata?.annotations?.['sidecar.istio.io/status']).toContain('"revision":"canary"');
  });

  it('adds sidecarInjectorWebhook.injectedAnnotations', () => {
    const cfg = config([
      { values: { sidecarInjectorWebhook: { injectedAnnotations: { 'team.io/owner': 'mesh' } } } },
    ]);
    expect(inject(pod(), cfg).metadata?.annotations?.['team.io/owner']).toBe('mesh');
  });

  it('skips pods matching neverInjectSelector at admission', () => {
    const cfg = config([
      { values: { sidecarInjectorWebhook: { neverInjectSelector: [{ matchLabels: { job: 'x' } }] } } },
    ]);
    const o = injectPod(
      { pod: pod({}, { name: 'a', labels: { job: 'x' } }), namespace: 'shop', admission: true },
      cfg,
    );
    expect(o.kind).toBe('skipped');
  });

  it('derives canonical labels from app labels and the workload, truncated to 63 characters', () => {
    const long = `${'a'.repeat(62)}-b`;
    const out = inject(pod({}, { name: long, labels: { version: 'v2' } }), config());
    expect(out.metadata?.labels?.['service.istio.io/canonical-name']).toBe('a'.repeat(62));
    expect(out.metadata?.labels?.['service.istio.io/canonical-revision']).toBe('v2');
  });

  it('names the owning Deployment in ISTIO_META_OWNER at admission', () => {
    const p = pod(
      {},
      {
        generateName: 'web-5d8f7c9b4-',
        labels: { 'pod-template-hash': '5d8f7c9b4' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c9b4', uid: 'u', controller: true },
        ],
      },
    );
    p.metadata = { ...p.metadata, name: undefined };
    const out = inject(p, config());
    expect(env(out, 'ISTIO_META_WORKLOAD_NAME')).toBe('web');
    expect(env(out, 'ISTIO_META_OWNER')).toBe('kubernetes://apis/apps/v1/namespaces/shop/deployments/web');
  });
});

describe('proxy identity', () => {
  const ns: V1Namespace = {
    metadata: {
      name: 'shop',
      annotations: {
        'openshift.io/sa.scc.uid-range': '1000/100',
        'openshift.io/sa.scc.supplemental-groups': '2000/10',
      },
    },
  };

  it('uses the last UID/GID of the OpenShift ranges only on OpenShift', () => {
    const os = inject(pod(), config([], { platform: 'openshift' }), ns);
    expect(proxyOf(os)?.securityContext).toMatchObject({ runAsUser: 1099, runAsGroup: 2009 });
    const plain = inject(pod(), config(), ns);
    expect(proxyOf(plain)?.securityContext).toMatchObject({ runAsUser: 1337, runAsGroup: 1337 });
  });

  it('takes the UID from a user istio-proxy and excludes it from capture', () => {
    const p = pod({
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 4242 } },
      ],
    });
    const out = inject(p, config());
    const init = out.spec?.initContainers?.find((c) => c.name === 'istio-init');
    expect(init?.args?.[init.args.indexOf('-u') + 1]).toBe('4242');
    expect(proxyOf(out)?.securityContext?.runAsUser).toBe(4242);
  });

  it('runs the proxy as root with TPROXY and grants NET_ADMIN', () => {
    const p = pod({}, { name: 'a', annotations: { 'sidecar.istio.io/interceptionMode': 'TPROXY' } });
    const sc = proxyOf(inject(p, config()))?.securityContext;
    expect(sc).toMatchObject({ runAsUser: 0, runAsGroup: 1337, runAsNonRoot: false });
    expect(sc?.capabilities?.add).toEqual(['NET_ADMIN']);
  });

  it('injects no init container for interception NONE without native sidecars', () => {
    const p = pod({}, { name: 'a', annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } });
    const out = inject(p, config([], { nativeSidecars: 'disabled' }));
    expect(out.spec?.initContainers).toBeUndefined();
    expect(env(out, 'ISTIO_META_INTERCEPTION_MODE')).toBe('NONE');
  });
});

describe('gateway template', () => {
  it('replaces the placeholder container with a router proxy and allows low ports', () => {
    const p = pod(
      { containers: [{ name: 'istio-proxy', image: 'auto' }] },
      { name: 'gw', annotations: { 'inject.istio.io/templates': 'gateway' } },
    );
    const out = inject(p, config());
    expect(out.spec?.containers.map((c) => c.name)).toEqual(['istio-proxy']);
    expect(out.spec?.initContainers).toBeUndefined();
    expect(proxyOf(out)?.args?.slice(0, 2)).toEqual(['proxy', 'router']);
    expect(proxyOf(out)?.image).toBe('registry.istio.io/testing/proxyv2:latest');
    expect(out.spec?.securityContext?.sysctls).toEqual([
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
    ]);
  });
});
