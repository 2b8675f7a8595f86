// istioctl's output order for `manifest generate` (and its apply order): CRDs, then ServiceAccounts and
// ClusterRoles, ClusterRoleBindings, ValidatingWebhookConfigurations, ConfigMaps, workloads, HPAs, and
// Services last; within a rank by API group, kind and name. The sort is stable, so equal keys keep the
// component order.
import { isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { compareOrdinal } from '../../../lib/compare';

function groupOf(o: PlainObject): string {
  const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const slash = av.indexOf('/');
  return slash < 0 ? '' : av.slice(0, slash);
}

function rank(o: PlainObject): number {
  const gk = `${groupOf(o)}/${String(o.kind)}`;
  switch (gk) {
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      return -1000;
    case '/ServiceAccount':
    case 'rbac.authorization.k8s.io/ClusterRole':
      return 1;
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      return 2;
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration':
      return 3;
    case '/ConfigMap':
    case '/Secrets':
      return 100;
    case 'apps/Deployment':
    case 'extensions/Deployment':
      return 1000;
    case 'autoscaling/HorizontalPodAutoscaler':
      return 1001;
    case '/Service':
      return 10000;
    default:
      return 1000;
  }
}

const nameOf = (o: PlainObject): string =>
  isPlainObject(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '';

export function istioctlOrder<T extends PlainObject>(objects: readonly T[]): T[] {
  return [...objects].sort(
    (a, b) =>
      compareOrdinal(rank(a), rank(b)) ||
      compareOrdinal(groupOf(a), groupOf(b)) ||
      compareOrdinal(String(a.kind), String(b.kind)) ||
      compareOrdinal(nameOf(a), nameOf(b)),
  );
}
