// Identity of an object across API versions: group, kind, namespace, name. The version is left out
// because the apiserver serves one object under every version of its group.
import type { KubernetesObject } from '@kubernetes/client-node';

export function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? 'v1';
  const i = v.indexOf('/');
  return i < 0 ? '' : v.slice(0, i);
}

export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace ?? '';
  return `${groupOf(obj.apiVersion)}/${obj.kind ?? ''}/${ns}/${obj.metadata?.name ?? ''}`;
}

/** Human-readable reference for logs, events and status: Kind/namespace/name. */
export function describeObject(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? '?'}/${ns ? `${ns}/` : ''}${obj.metadata?.name ?? '?'}`;
}

export interface Gvk {
  apiVersion: string;
  kind: string;
}

export function gvkKey(g: Gvk): string {
  return `${g.apiVersion}/${g.kind}`;
}
