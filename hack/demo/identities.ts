// The demo runs the operator and the webhook as their ServiceAccounts, with the RBAC of config/rbac, not as
// cluster admin: a permission missing from the shipped ClusterRoles shows up in the demo as a failure, the
// way it would in a real deployment. Each process gets a kubeconfig holding a short-lived token
// (TokenRequest) for its ServiceAccount.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import type { Kube, Obj } from './kube';

export const RBAC_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

/** The RBAC part of a rendered config (namespaces first, so the namespaced objects have a home). */
export function rbacObjects(rendered: readonly Obj[]): Obj[] {
  const rank = (o: Obj) => (o.kind === 'Namespace' ? 0 : 1);
  return rendered.filter((o) => RBAC_KINDS.has(o.kind ?? '')).sort((a, b) => rank(a) - rank(b));
}

/** Namespaces the RBAC objects live in that the config itself does not create (istio-system). */
export function foreignNamespaces(objs: readonly Obj[]): string[] {
  const own = new Set(objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name));
  const used = new Set(objs.map((o) => o.metadata?.namespace).filter((n): n is string => !!n));
  return [...used].filter((n) => !own.has(n)).sort();
}

/** A kubeconfig for `namespace/name` that talks to the same apiserver as `admin`, with a fresh token. */
export async function serviceAccountKubeconfig(
  admin: KubeConfig,
  namespace: string,
  name: string,
  file: string,
  kube: Kube,
): Promise<void> {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  if (!(await kube.get('v1', 'ServiceAccount', name, namespace)))
    throw new Error(`ServiceAccount ${namespace}/${name} does not exist`);
  const core = admin.makeApiClient(CoreV1Api);
  // A day: far beyond any demo, short enough that a leaked file soon stops mattering.
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 86_400 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  const kc = new KubeConfig();
  const user = `${namespace}-${name}`;
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'demo' }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'demo', user }],
    currentContext: user,
  });
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
}
