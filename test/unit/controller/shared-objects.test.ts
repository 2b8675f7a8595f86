import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from '../../../operator/controller/apply/object-key';
import {
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
} from '../../../operator/controller/apply/ownership';
import { planHandOver } from '../../../operator/controller/reconcile/shared-objects';

const obj = (kind: string, name: string, owner: string, namespace?: string): KubernetesObject => ({
  apiVersion: kind === 'CustomResourceDefinition' ? 'apiextensions.k8s.io/v1' : 'v1',
  kind,
  metadata: {
    name,
    ...(namespace ? { namespace } : {}),
    labels: {
      [LABEL_OWNING_RESOURCE]: owner,
      [LABEL_OWNING_NAMESPACE]: 'istio-system',
      [LABEL_COMPONENT]: 'Base',
    },
  },
});
const self = { namespace: 'istio-system', name: '1-30' };
const canary = { namespace: 'istio-system', name: '1-31' };
const by = (objs: KubernetesObject[], owner = canary, component = 'Base') =>
  new Map(objs.map((o) => [objectKey(o), { owner, component }]));

describe('planHandOver', () => {
  const reader = obj('ServiceAccount', 'istio-reader-service-account', '1-30', 'istio-system');
  const istiod = obj('Deployment', 'istiod-1-30', '1-30', 'istio-system');
  const crd = obj('CustomResourceDefinition', 'gateways.networking.istio.io', '1-30');

  it('hands an object another IstioOperator renders over to it, with its owner and component labels', () => {
    const plan = planHandOver(self, [reader, istiod], by([reader], canary, 'Pilot'));
    expect(plan.handOver).toEqual([
      {
        obj: reader,
        labels: {
          [LABEL_OWNING_RESOURCE]: '1-31',
          [LABEL_OWNING_NAMESPACE]: 'istio-system',
          [LABEL_COMPONENT]: 'Pilot',
        },
      },
    ]);
    expect(plan.remove).toEqual([istiod]);
  });

  it('deletes what nobody else renders, in the order given', () => {
    const other = obj('ServiceAccount', 'istio-reader-service-account', '1-31', 'other-ns');
    expect(planHandOver(self, [istiod, reader], by([other]))).toEqual({
      handOver: [],
      remove: [istiod, reader],
    });
  });

  it('never hands over a CRD (released by their own rule instead)', () => {
    expect(planHandOver(self, [crd], by([crd]))).toEqual({ handOver: [], remove: [crd] });
  });

  it('never hands an object over to the IstioOperator that is deleting it', () => {
    expect(planHandOver(self, [reader], by([reader], { ...self }))).toEqual({
      handOver: [],
      remove: [reader],
    });
  });
});
