// istioctl's tree operations: paths, --set typing, merge, and the strategic merge of k8s settings.
import {
  mergeFrom,
  parseSetValue,
  setPath,
  setSpecPaths,
  splitPath,
  getPath,
} from '../../../../operator/render/charts/values-map';
import { strategicMerge } from '../../../../operator/render/charts/strategic-merge';
import { canonicalCpu } from '../../../../operator/render/charts/cpu-quantity';
import { istioctlOrder } from '../../../../operator/render/charts/object-order';

describe('paths', () => {
  it('splits on unescaped dots and before brackets', () => {
    expect(splitPath('a.b\\.c.d[name:x].e')).toEqual(['a', 'b.c', 'd', '[name:x]', 'e']);
  });
  it('sets through lists by key or index, appending past the end', () => {
    const t = { spec: { components: { ingressGateways: [{ name: 'a' }] } } };
    setPath(t, 'spec.components.ingressGateways[name:a].enabled', false);
    setPath(t, 'spec.components.ingressGateways[5].name', 'b');
    expect(t.spec.components.ingressGateways).toEqual([{ name: 'a', enabled: false }, { name: 'b' }]);
    expect(() => setPath(t, 'spec.components.ingressGateways[name:zz].enabled', true)).toThrow(/\[name:zz\]/);
    expect(getPath(t, 'spec.components.ingressGateways[name:b].name')).toBe('b');
  });
  it('types --set values as istioctl: int, float, Go bool, string; tags stay strings', () => {
    expect([parseSetValue('3'), parseSetValue('1.5'), parseSetValue('True'), parseSetValue('a\\,b')]).toEqual(
      [3, 1.5, true, 'a,b'],
    );
    const t = { spec: {} };
    setSpecPaths(t, ['tag=1.30', 'values.global.tag=1', 'values.x=1.30', 'values.y=a=b']);
    expect(t.spec).toEqual({ tag: '1.30', values: { global: { tag: '1' }, x: 1.3, y: 'a=b' } });
  });
});

describe('mergeFrom', () => {
  it('merges maps, replaces lists and keeps nulls (Helm then drops the default)', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 1 };
    mergeFrom(base, { a: { c: [3], e: null } });
    expect(base).toEqual({ a: { b: 1, c: [3], e: null }, d: 1 });
  });
});

describe('strategicMerge', () => {
  const deploy = {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'main',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80 }],
            },
            { name: 'side' },
          ],
          tolerations: [{ key: 'x' }],
        },
      },
    },
  };
  it('merges containers and env by name; a new env var goes before the pending original ones', () => {
    const out = strategicMerge(deploy, {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'main',
                env: [
                  { name: 'NEW', value: 'n' },
                  { name: 'B', value: '3' },
                ],
              },
            ],
          },
        },
      },
    });
    const c = (out.spec as typeof deploy.spec).template.spec.containers;
    expect(c.map((x) => x.name)).toEqual(['main', 'side']);
    expect(c[0].env).toEqual([
      { name: 'NEW', value: 'n' },
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
    ]);
  });
  it('replaces lists without a merge key and deletes on null', () => {
    const out = strategicMerge(deploy, {
      spec: { template: { spec: { tolerations: [{ key: 'y' }], containers: null } } },
    });
    expect((out.spec as { template: { spec: unknown } }).template.spec).toEqual({
      tolerations: [{ key: 'y' }],
    });
  });
  it('merges Service ports by port', () => {
    const svc = {
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
      },
    };
    const out = strategicMerge(svc, { spec: { ports: [{ port: 443, targetPort: 8443 }] } });
    expect(out.spec).toEqual({
      ports: [
        { port: 80, name: 'http' },
        { port: 443, name: 'https', targetPort: 8443 },
      ],
    });
  });
});

describe('canonical CPU and istioctl order', () => {
  it('formats CPU as Kubernetes does', () => {
    expect(['1000m', '0.5', 2, '250m', '1.5', 'bad', '0'].map(canonicalCpu)).toEqual([
      '1',
      '500m',
      '2',
      '250m',
      '1500m',
      undefined,
      undefined,
    ]);
  });
  it('orders CRDs, accounts, bindings, webhooks, config, workloads, HPAs, Services', () => {
    const o = (apiVersion: string, kind: string, name: string) => ({ apiVersion, kind, metadata: { name } });
    const sorted = istioctlOrder([
      o('v1', 'Service', 'a'),
      o('autoscaling/v2', 'HorizontalPodAutoscaler', 'a'),
      o('apps/v1', 'Deployment', 'b'),
      o('apps/v1', 'Deployment', 'a'),
      o('v1', 'ConfigMap', 'a'),
      o('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'a'),
      o('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'a'),
      o('v1', 'ServiceAccount', 'a'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'a'),
    ]);
    expect(sorted.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([
      'CustomResourceDefinition/a',
      'ServiceAccount/a',
      'ClusterRoleBinding/a',
      'ValidatingWebhookConfiguration/a',
      'ConfigMap/a',
      'Deployment/a',
      'Deployment/b',
      'HorizontalPodAutoscaler/a',
      'Service/a',
    ]);
  });
});
