// The operator of the upgrade bench runs as it is deployed: ServiceAccount meshwright-system/
// meshwright-operator with the shipped RBAC of config/rbac (least privilege, no cluster-admin), through
// a kubeconfig holding a token of that ServiceAccount. That also gives the operator its own user name in
// the apiserver's audit log, apart from the webhook and the bench (both the admin).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { kubeconfig } from '../../hack/cluster/config-files';
import type { KubeRest } from '../common/kube';

export const OPERATOR_NAMESPACE = 'meshwright-system';
export const OPERATOR_SERVICE_ACCOUNT = 'meshwright-operator';
export const OPERATOR_USERNAME = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

/** The operator's RBAC files in config/rbac (the webhook's are left out: the bench webhook is the admin). */
const RBAC_FILES = [
  'operator_service_account.yaml',
  'operator_role.yaml',
  'operator_role_binding.yaml',
  'operator_sidecar_role.yaml',
  'leader_election_role.yaml',
];

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const PLURAL: Record<string, { path: string; namespaced: boolean }> = {
  ServiceAccount: { path: '/api/v1', namespaced: true },
  ClusterRole: { path: '/apis/rbac.authorization.k8s.io/v1', namespaced: false },
  ClusterRoleBinding: { path: '/apis/rbac.authorization.k8s.io/v1', namespaced: false },
  Role: { path: '/apis/rbac.authorization.k8s.io/v1', namespaced: true },
  RoleBinding: { path: '/apis/rbac.authorization.k8s.io/v1', namespaced: true },
};

function resourcePath(m: Manifest): string {
  const kind = PLURAL[m.kind];
  if (!kind) throw new Error(`config/rbac: unexpected kind ${m.kind} (${m.metadata.name})`);
  const plural = `${m.kind.toLowerCase()}s`;
  const ns = kind.namespaced ? `/namespaces/${OPERATOR_NAMESPACE}` : '';
  return `${kind.path}${ns}/${plural}/${m.metadata.name}`;
}

/**
 * Applies the operator's RBAC into OPERATOR_NAMESPACE (which must exist), asks for a token of its
 * ServiceAccount and writes a kubeconfig with it to `file`.
 */
export async function operatorKubeconfig(
  kube: KubeRest,
  root: string,
  server: string,
  caPem: string,
  file: string,
): Promise<void> {
  for (const f of RBAC_FILES) {
    for (const doc of parseAllDocuments(readFileSync(join(root, 'config', 'rbac', f), 'utf8'))) {
      const m = doc.toJS() as Manifest | null;
      if (!m?.kind) continue;
      const obj = PLURAL[m.kind]?.namespaced
        ? { ...m, metadata: { ...m.metadata, namespace: OPERATOR_NAMESPACE } }
        : m;
      await kube.apply(resourcePath(m), obj);
    }
  }
  const tr = await kube.json<{ status?: { token?: string } }>(
    'POST',
    `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/${OPERATOR_SERVICE_ACCOUNT}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
  );
  const token = tr.status?.token;
  if (!token) throw new Error(`no token issued for ${OPERATOR_USERNAME}`);
  writeFileSync(file, stringify(kubeconfig({ server, caPem, token, name: 'meshwright-operator' })), {
    mode: 0o600,
  });
}
