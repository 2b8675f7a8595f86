// Small builders for RBAC and ServiceAccount objects shared by the components.
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { ManifestObject } from './types';

type Labels = Record<string, string>;

export const rule = (
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
): V1PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

export function serviceAccount(
  name: string,
  namespace: string,
  labels: Labels,
  pullSecrets: string[] = [],
): ManifestObject & V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels },
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((n) => ({ name: n })) } : {}),
  };
}

export function clusterRole(
  name: string,
  labels: Labels,
  rules: V1PolicyRule[],
): ManifestObject & V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules,
  };
}

export function clusterRoleBinding(
  name: string,
  labels: Labels,
  role: string,
  sa: { name: string; namespace: string },
): ManifestObject & V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
  };
}

export function role(
  name: string,
  namespace: string,
  labels: Labels,
  rules: V1PolicyRule[],
): ManifestObject & V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels },
    rules,
  };
}

export function roleBinding(
  name: string,
  namespace: string,
  labels: Labels,
  roleName: string,
  saName: string,
): ManifestObject & V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: saName, namespace }],
  };
}
