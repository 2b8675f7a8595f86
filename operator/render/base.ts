// The Base component: the Istio API CRDs (given as input, not built here) and the cluster's singleton
// istio-reader ServiceAccount used for multicluster remote secrets.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { deepClone } from '../../lib/istio/merge';
import type { RenderContext } from './context';
import { appLabels, operatorLabels } from './labels';
import { READER_SERVICE_ACCOUNT } from './pilot/rbac';
import { serviceAccount } from './rbac';
import type { ManifestObject } from './types';

export function renderBase(ctx: RenderContext, crds: V1CustomResourceDefinition[]): ManifestObject[] {
  const labels = { ...appLabels('istio-base'), ...operatorLabels(ctx, 'Base') };
  const objects: ManifestObject[] = [];
  const enabled =
    (ctx.values.base as { enableIstioConfigCRDs?: boolean } | undefined)?.enableIstioConfigCRDs !== false;
  if (enabled) {
    for (const crd of crds) {
      const c = deepClone(crd);
      // As upstream's chart does, the static labels of the CRD files are replaced by the install's labels.
      objects.push({
        ...c,
        apiVersion: c.apiVersion ?? 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { ...c.metadata, name: c.metadata?.name ?? '', labels: { ...labels } },
      });
    }
  }
  objects.push(
    serviceAccount(
      READER_SERVICE_ACCOUNT,
      ctx.istioNamespace,
      { app: 'istio-reader', ...appLabels('istio-reader'), ...operatorLabels(ctx, 'Base') },
      ctx.values.global.imagePullSecrets ?? [],
    ),
  );
  return objects;
}
