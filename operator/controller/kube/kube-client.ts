// The API surface the reconciler uses. Objects travel in their wire (JSON) form, untouched by the
// typed-model serializer, so CRD schemas keep `x-kubernetes-*` keys and nothing unknown is dropped.
// Keeping the surface this small lets tests count every mutating call.
import type { KubernetesObject } from '@kubernetes/client-node';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

export interface ObjectList {
  items: KubernetesObject[];
  resourceVersion: string;
}

export type PageVisitor = (items: KubernetesObject[]) => Promise<void> | void;

export interface ListPagesOptions {
  labelSelector?: string;
  /** Objects per page (the client's default otherwise). */
  pageSize?: number;
}

export interface KubeClient {
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** Lists across all namespaces (or cluster-scoped objects), optionally by label selector. */
  list(apiVersion: string, kind: string, labelSelector?: string, namespace?: string): Promise<ObjectList>;
  /**
   * Lists across all namespaces page by page: `visit` gets each page before the next is read, so a large
   * list (every pod of a cluster) is processed without being held whole.
   */
  listPages(apiVersion: string, kind: string, visit: PageVisitor, opts?: ListPagesOptions): Promise<void>;
  /** Server-side apply. */
  apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject>;
  /** JSON merge patch, optionally of a subresource (status). */
  mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject>;
  create(obj: KubernetesObject): Promise<KubernetesObject>;
  /** Deletes with background propagation; false when the object was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** The same client with every request aborted when `signal` fires (the fenced client's lease term). */
  withSignal?(signal: AbortSignal): KubeClient;
}

export function refOf(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? 'v1',
    kind: obj.kind ?? '',
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? '',
  };
}
