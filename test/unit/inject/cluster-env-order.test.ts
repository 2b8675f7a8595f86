// Cluster information is re-applied before the metrics and probe steps: a configured cluster name and the
// network go to the end of the proxy env (sorted), and ISTIO_PROMETHEUS_ANNOTATIONS / ISTIO_KUBE_APP_PROBERS
// follow them.
import type { V1Pod } from '@kubernetes/client-node';
import { injectPod } from '../../../inject';
import { config } from './fixtures';

function pod(labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels, annotations: { 'prometheus.io/scrape': 'true' } },
    spec: {
      containers: [{ name: 'a', image: 'a', readinessProbe: { httpGet: { port: 8080, path: '/r' } } }],
    },
  };
}

function envNames(global: Record<string, unknown>, labels?: Record<string, string>): string[] {
  const out = injectPod(
    { pod: pod(labels), namespace: 'default', admission: true },
    config([{ values: { global } }]),
  );
  if (out.kind !== 'injected') throw new Error(out.kind);
  const proxy = [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  return (proxy?.env ?? []).map((e) => e.name);
}

const tail = (names: string[], n: number) => names.slice(-n);

describe('cluster information in the proxy env', () => {
  it('a configured cluster and network come last, before metrics and probers', () => {
    const names = envNames({ multiCluster: { clusterName: 'c1' }, network: 'n1' });
    expect(tail(names, 4)).toEqual([
      'ISTIO_META_CLUSTER_ID',
      'ISTIO_META_NETWORK',
      'ISTIO_PROMETHEUS_ANNOTATIONS',
      'ISTIO_KUBE_APP_PROBERS',
    ]);
    expect(names.filter((n) => n === 'ISTIO_META_CLUSTER_ID')).toHaveLength(1);
  });

  it('without a configured cluster the template default stays in place', () => {
    const names = envNames({ network: 'n1' });
    expect(tail(names, 3)).toEqual([
      'ISTIO_META_NETWORK',
      'ISTIO_PROMETHEUS_ANNOTATIONS',
      'ISTIO_KUBE_APP_PROBERS',
    ]);
    expect(names.indexOf('ISTIO_META_CLUSTER_ID')).toBeLessThan(names.indexOf('ISTIO_META_NODE_NAME'));
  });

  it("the pod's network label wins and is what the env carries", () => {
    const out = injectPod(
      { pod: pod({ 'topology.istio.io/network': 'mine' }), namespace: 'default', admission: true },
      config([{ values: { global: { network: 'n1' } } }]),
    );
    if (out.kind !== 'injected') throw new Error(out.kind);
    const proxy = [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
      (c) => c.name === 'istio-proxy',
    );
    expect(proxy?.env?.filter((e) => e.name === 'ISTIO_META_NETWORK')).toEqual([
      { name: 'ISTIO_META_NETWORK', value: 'mine' },
    ]);
    expect(out.pod.metadata?.labels?.['topology.istio.io/network']).toBe('mine');
  });

  it('no cluster information: nothing moves', () => {
    const names = envNames({});
    expect(names).not.toContain('ISTIO_META_NETWORK');
    expect(tail(names, 2)).toEqual(['ISTIO_PROMETHEUS_ANNOTATIONS', 'ISTIO_KUBE_APP_PROBERS']);
  });
});
