// A kubeconfig that acts as a ServiceAccount: the cluster of the admin kubeconfig with a bound token from the
// TokenRequest API. istiod run with it has exactly the rights the install's RBAC grants its account, as in a
// cluster, instead of the admin's.
import { chmodSync, writeFileSync } from 'node:fs';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export async function serviceAccountKubeconfig(
  admin: KubeConfig,
  namespace: string,
  serviceAccount: string,
  file: string,
  expirationSeconds = 3600,
): Promise<void> {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  // Audiences default to the apiserver's own, which is what it checks for API calls.
  const req = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = req.status?.token;
  if (!token)
    throw new Error(`TokenRequest for ServiceAccount ${namespace}/${serviceAccount} returned no token`);
  const clusterEntry: Record<string, unknown> = { server: cluster.server };
  if (cluster.caData) clusterEntry['certificate-authority-data'] = cluster.caData;
  else if (cluster.caFile) clusterEntry['certificate-authority'] = cluster.caFile;
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: clusterEntry }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'local', user } }],
    'current-context': 'sa',
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  chmodSync(file, 0o600);
}
