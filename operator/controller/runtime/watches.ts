// Informers that turn watch events into work-queue keys: IstioOperators map to themselves, owned
// objects (any kind the operator manages, selected by the owner label) map to their owning
// IstioOperator, so an edit or delete of an installed object triggers its repair. The informers are the
// lean client's ListWatch (lib/kube/informer.ts); they stop on a watch error and
// lib/kube/restarting-informer restarts them (one policy for both binaries).
import type { KubernetesObject } from '@kubernetes/client-node';
import { PARTIAL_METADATA, PARTIAL_METADATA_LIST, type KubeHttp } from '../../../lib/kube/http';
import { ListWatch, type ListResult } from '../../../lib/kube/informer';
import { RestartingInformer } from '../../../lib/kube/restarting-informer';
import type { Logger } from '../../../lib/log';
import { ANY_OWNER_SELECTOR, ownerKey, ownerOf } from '../apply/ownership';
import { apiMessage, isNotFound } from '../kube/api-errors';
import type { KubeClient } from '../kube/kube-client';
import type { ManagedKind } from '../reconcile/desired';

export type Enqueue = (key: string) => void;

export interface Watch {
  name: string;
  informer: ListWatch<KubernetesObject>;
  /** Resolves after the first successful list (informer.start() also resolves when the list failed). */
  synced: Promise<void>;
}

/**
 * A list function that also signals its first success. A kind the apiserver does not serve (404)
 * counts as synced too: there is nothing of it to watch, and it must not hold back the controller.
 */
export function syncedLister(list: () => Promise<ListResult<KubernetesObject>>) {
  let done: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (done = resolve));
  const fn = async () => {
    try {
      const result = await list();
      done();
      return result;
    } catch (err) {
      if (isNotFound(err)) done();
      throw err;
    }
  };
  return { fn, synced };
}

export function resourcePath(k: ManagedKind, namespace?: string): string {
  const root = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  return namespace && k.namespaced ? `${root}/namespaces/${namespace}/${k.plural}` : `${root}/${k.plural}`;
}

export function lister(client: KubeClient, k: ManagedKind, labelSelector?: string, namespace?: string) {
  return (): Promise<ListResult<KubernetesObject>> =>
    client.list(k.apiVersion, k.kind, labelSelector, namespace);
}

export const IOP_KIND: ManagedKind = {
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  plural: 'istiooperators',
  namespaced: true,
};

export function iopWatch(http: KubeHttp, client: KubeClient, enqueue: Enqueue, namespace?: string): Watch {
  const l = syncedLister(lister(client, IOP_KIND, undefined, namespace));
  const informer = new ListWatch(http, { path: resourcePath(IOP_KIND, namespace), list: l.fn });
  const onEvent = (obj: KubernetesObject) => {
    const name = obj.metadata?.name;
    const ns = obj.metadata?.namespace;
    if (name && ns) enqueue(ownerKey({ namespace: ns, name }));
  };
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, onEvent);
  return { name: 'istiooperators', informer, synced: l.synced };
}

/** A watch of every object of a kind (optionally label-selected), each event handed to `on`. */
export function kindWatch(
  http: KubeHttp,
  client: KubeClient,
  k: ManagedKind,
  labelSelector: string | undefined,
  on: (obj: KubernetesObject) => void,
): Watch {
  const l = syncedLister(lister(client, k, labelSelector));
  const informer = new ListWatch(http, { path: resourcePath(k), labelSelector, list: l.fn });
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, on);
  return { name: `${k.plural}.${k.apiVersion}`, informer, synced: l.synced };
}

/**
 * The metadata of every object of a kind carrying `labelSelector` (PartialObjectMetadataList): what a watch
 * that only maps events to keys needs, without holding whole objects (an install's CRDs are megabytes).
 */
export function metadataLister(http: KubeHttp, k: ManagedKind, labelSelector?: string) {
  return async (): Promise<ListResult<KubernetesObject>> => {
    const list = await http.request<{ items?: KubernetesObject[]; metadata?: { resourceVersion?: string } }>({
      method: 'GET',
      path: resourcePath(k),
      query: { labelSelector },
      accept: PARTIAL_METADATA_LIST,
    });
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  };
}

/**
 * Owned objects of a kind, by their owner labels, metadata only: an event only says which IstioOperator to
 * reconcile (its pass reads what it needs), so the cache holds labels and names, not CRD schemas or the
 * injection templates of every revision.
 */
export function ownedWatch(
  http: KubeHttp,
  _client: KubeClient,
  k: ManagedKind,
  enqueue: Enqueue,
  namespace?: string,
  enqueueAll?: () => void,
): Watch {
  const l = syncedLister(metadataLister(http, k, ANY_OWNER_SELECTOR));
  const informer = new ListWatch(http, {
    path: resourcePath(k),
    labelSelector: ANY_OWNER_SELECTOR,
    list: l.fn,
    accept: PARTIAL_METADATA,
  });
  const onEvent = (obj: KubernetesObject) => {
    const owner = ownerOf(obj);
    if (!owner || (namespace && owner.namespace !== namespace)) return;
    enqueue(ownerKey(owner));
  };
  informer.on('add', onEvent);
  informer.on('update', onEvent);
  informer.on('delete', (obj) => {
    onEvent(obj);
    // A deleted cluster-scoped object may have been shared (left alone) by other IstioOperators,
    // which must now re-create it.
    if (!k.namespaced) enqueueAll?.();
  });
  return { name: `${k.plural}.${k.apiVersion}`, informer, synced: l.synced };
}

/**
 * Starts a watch and keeps it running across list and watch errors (lib/kube's restart policy) until
 * `signal` fires; resolves once it listed successfully (or its kind is not served).
 */
export async function runWatch(w: Watch, log: Logger, signal: AbortSignal): Promise<void> {
  new RestartingInformer(w.name, w.informer, log, { describeError: apiMessage }).start(signal);
  await w.synced;
}
