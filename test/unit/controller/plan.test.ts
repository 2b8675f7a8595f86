import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { decideApply, planObject, planPrune } from '../../../operator/controller/apply/plan';
import { firstDifference } from '../../../operator/controller/apply/live-match';
import { appliedHash } from '../../../operator/controller/apply/applied-hash';
import { stableJson } from '../../../lib/stable-json';
import { objectKey } from '../../../operator/controller/apply/object-key';
import { applyOrder, installOrder, installStages, stagesOf } from '../../../operator/controller/apply/order';
import { APPLIED_HASH_ANNOTATION, LABEL_COMPONENT } from '../../../operator/controller/apply/ownership';
import { sameQuantity } from '../../../operator/controller/apply/quantity';

function deployment(image = 'istio/pilot:1.30.3', cpu = '500m'): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istiod', namespace: 'istio-system', labels: { [LABEL_COMPONENT]: 'Pilot' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          hostNetwork: false,
          containers: [
            { name: 'discovery', image, args: [], resources: { requests: { cpu, memory: '2048Mi' } } },
          ],
        },
      },
    },
  } as KubernetesObject;
}

/** What the apiserver returns: defaults added, omitempty zero values dropped, quantities canonical. */
function liveOf(planned: KubernetesObject): KubernetesObject {
  const copy = JSON.parse(JSON.stringify(planned)) as {
    metadata: Record<string, unknown>;
    spec: { template: { spec: { hostNetwork?: boolean; containers: Record<string, unknown>[] } } };
    status?: unknown;
  };
  copy.metadata.resourceVersion = '42';
  copy.metadata.uid = 'u-1';
  copy.metadata.managedFields = [{ manager: 'istio-operator' }];
  delete copy.spec.template.spec.hostNetwork;
  const c = copy.spec.template.spec.containers[0];
  delete c.args;
  c.terminationMessagePath = '/dev/termination-log';
  c.resources = { requests: { cpu: '500m', memory: '2Gi' } };
  copy.status = { replicas: 1 };
  return copy as unknown as KubernetesObject;
}

describe('planObject', () => {
  it('adds the applied-hash annotation without mutating the rendered object', () => {
    const d = deployment();
    const before = stableJson(d);
    const p = planObject('Pilot', d);
    expect(stableJson(d)).toBe(before);
    expect(p.body.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]).toBe(p.hash);
    expect(p.key).toBe('apps/Deployment/istio-system/istiod');
  });

  it('hashes independently of key order and changes with content', () => {
    const a: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: '1', b: '2' },
    };
    const b: V1ConfigMap = {
      kind: 'ConfigMap',
      data: { b: '2', a: '1' },
      metadata: { name: 'x' },
      apiVersion: 'v1',
    };
    expect(appliedHash(a)).toBe(appliedHash(b));
    expect(appliedHash(a)).not.toBe(appliedHash({ ...a, data: { a: '1', b: '3' } } as V1ConfigMap));
  });
});

describe('decideApply', () => {
  it('skips an object whose live form carries the same hash and every desired value', () => {
    const p = planObject('Pilot', deployment());
    expect(decideApply(p, liveOf(p.body))).toEqual({ apply: false });
  });

  it('applies a missing object', () => {
    expect(decideApply(planObject('Pilot', deployment()), undefined)).toEqual({
      apply: true,
      reason: 'missing',
    });
  });

  it('applies when the desired object changed (hash differs)', () => {
    const old = planObject('Pilot', deployment('istio/pilot:1.29.0'));
    const p = planObject('Pilot', deployment());
    expect(decideApply(p, liveOf(old.body))).toEqual({ apply: true, reason: 'desired state changed' });
  });

  it('detects drift: someone edited a field we set', () => {
    const p = planObject('Pilot', deployment());
    const live = liveOf(p.body) as KubernetesObject & { spec: { replicas: number } };
    live.spec.replicas = 3;
    expect(decideApply(p, live)).toEqual({ apply: true, reason: 'live object differs at spec.replicas' });
  });

  it('detects drift in labels but not in fields others add', () => {
    const p = planObject('Pilot', deployment());
    const live = liveOf(p.body);
    live.metadata!.annotations = { ...live.metadata!.annotations, 'deployment.kubernetes.io/revision': '2' };
    expect(decideApply(p, live).apply).toBe(false);
    live.metadata!.labels = {};
    expect(decideApply(p, live)).toEqual({
      apply: true,
      reason: `live object differs at metadata.labels.${LABEL_COMPONENT}`,
    });
  });

  it('trusts the hash alone for objects the apiserver normalises', () => {
    const p = planObject('Pilot', deployment());
    const live = liveOf(p.body) as KubernetesObject & { spec: { replicas: number } };
    live.spec.replicas = 3;
    expect(decideApply(p, live, true)).toEqual({ apply: false });
  });
});

describe('firstDifference', () => {
  it('tolerates omitted zero values and canonical quantities only where they apply', () => {
    expect(firstDifference({ a: false, b: [], c: {}, d: 0, e: '' }, {})).toBeUndefined();
    expect(
      firstDifference(
        { resources: { limits: { memory: '1024Mi' } } },
        { resources: { limits: { memory: '1Gi' } } },
      ),
    ).toBeUndefined();
    // A tag that reads like a number must not be compared numerically.
    expect(firstDifference({ tag: '1.30' }, { tag: '1.3' })).toBe('tag');
  });

  it('requires lists to match element by element and in length', () => {
    expect(firstDifference({ l: [1, 2] }, { l: [1, 2, 3] })).toBe('l');
    expect(firstDifference({ l: [{ n: 'a' }] }, { l: [{ n: 'a', extra: true }] })).toBeUndefined();
    expect(firstDifference({ l: [{ n: 'a' }] }, { l: [{ n: 'b' }] })).toBe('l.0.n');
  });
});

describe('sameQuantity', () => {
  it('compares binary, decimal and exponent forms', () => {
    expect(sameQuantity('0.5', '500m')).toBe(true);
    expect(sameQuantity('1Gi', '1024Mi')).toBe(true);
    expect(sameQuantity('2e3', '2k')).toBe(true);
    expect(sameQuantity('1G', '1Gi')).toBe(false);
    expect(sameQuantity('abc', 'abc')).toBe(false);
  });
});

describe('planPrune', () => {
  const owned = (kind: string, name: string, component: string, ns?: string): KubernetesObject => ({
    apiVersion:
      kind === 'CustomResourceDefinition'
        ? 'apiextensions.k8s.io/v1'
        : kind === 'Deployment'
          ? 'apps/v1'
          : 'v1',
    kind,
    metadata: { name, namespace: ns, labels: { [LABEL_COMPONENT]: component } },
  });
  const live = [
    owned('CustomResourceDefinition', 'gateways.networking.istio.io', 'Base'),
    owned('Service', 'istiod', 'Pilot', 'istio-system'),
    owned('Deployment', 'istiod', 'Pilot', 'istio-system'),
    owned('ServiceAccount', 'istio-egressgateway', 'EgressGateways', 'istio-system'),
    owned('Deployment', 'istio-egressgateway', 'EgressGateways', 'istio-system'),
  ];

  it('deletes only objects no longer rendered, never CRDs while the owner exists', () => {
    const desired = new Set([objectKey(live[1]), objectKey(live[2])]);
    expect(planPrune(desired, live).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Deployment/istio-egressgateway',
      'ServiceAccount/istio-egressgateway',
    ]);
  });

  it('on uninstall deletes everything, gateways first and CRDs last', () => {
    expect(planPrune(new Set(), live, true).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Deployment/istio-egressgateway',
      'ServiceAccount/istio-egressgateway',
      'Deployment/istiod',
      'Service/istiod',
      'CustomResourceDefinition/gateways.networking.istio.io',
    ]);
  });

  it('skips objects already being deleted', () => {
    const terminating = { ...live[4], metadata: { ...live[4].metadata, deletionTimestamp: new Date() } };
    expect(planPrune(new Set(), [terminating])).toEqual([]);
  });
});

describe('order', () => {
  it('stages base, then CNI and pilot, then gateways', () => {
    const stages = stagesOf([
      { component: 'IngressGateways' },
      { component: 'Pilot' },
      { component: 'Base' },
      { component: 'Cni' },
    ]);
    expect(stages.map((s) => s.map((c) => c.component))).toEqual([
      ['Base'],
      ['Pilot', 'Cni'],
      ['IngressGateways'],
    ]);
  });

  it('applies identities and config before workloads, webhooks last', () => {
    const objs = ['ValidatingWebhookConfiguration', 'Deployment', 'ConfigMap', 'ServiceAccount'].map(
      (kind) => ({ kind }),
    );
    expect(applyOrder(objs).map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Deployment',
      'ValidatingWebhookConfiguration',
    ]);
  });

  it('merges components of one name into one plan entry, staged, each in apply order', () => {
    const obj = (kind: string, name: string) => ({ kind, metadata: { name } });
    const components = [
      { component: 'IngressGateways', objects: [obj('Deployment', 'gw-a'), obj('Service', 'gw-a')] },
      { component: 'Pilot', objects: [obj('Deployment', 'istiod'), obj('ConfigMap', 'istio')] },
      { component: 'IngressGateways', objects: [obj('ServiceAccount', 'gw-b')] },
      {
        component: 'Base',
        objects: [obj('ValidatingWebhookConfiguration', 'v'), obj('CustomResourceDefinition', 'c')],
      },
    ];
    const stages = installStages(components);
    expect(stages.map((s) => s.map((c) => [c.component, c.objects.map((o) => o.metadata.name)]))).toEqual([
      [['Base', ['c', 'v']]],
      [['Pilot', ['istio', 'istiod']]],
      [['IngressGateways', ['gw-b', 'gw-a', 'gw-a']]],
    ]);
    expect(installOrder(components).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/c',
      'ValidatingWebhookConfiguration/v',
      'ConfigMap/istio',
      'Deployment/istiod',
      'ServiceAccount/gw-b',
      'Service/gw-a',
      'Deployment/gw-a',
    ]);
  });
});
