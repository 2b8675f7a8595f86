// The reads one reconcile pass makes of the cluster beside the IstioOperator itself: its owned objects
// (by the owner label, per kind), the IstioOperators and revision tags, and the namespaces it installs into.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { gvkKey } from '../apply/object-key';
import { ownerSelector, type OwnerRef } from '../apply/ownership';
import { isConflict, isNotFound } from '../kube/api-errors';
import type { KubeClient } from '../kube/kube-client';
import { isKindNotServed } from '../kube/served-kind';
import { TAG_API_VERSION, TAG_KIND } from '../tags/tag-plan';
import { IOP_API_VERSION, IOP_KIND } from '../../api/types';
import type { DesiredComponent, ManagedKind } from './desired';

export { IOP_API_VERSION, IOP_KIND };

export interface Kind {
  apiVersion: string;
  kind: string;
}

/** `namespace/name` of an object. */
export function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export async function listIstioOperators(client: KubeClient): Promise<KubernetesObject[]> {
  return (await client.list(IOP_API_VERSION, IOP_KIND)).items;
}

/** The IstioRevisionTags in the cluster; none while their CRD is not installed. */
export async function listTags(client: KubeClient): Promise<KubernetesObject[]> {
  try {
    return (await client.list(TAG_API_VERSION, TAG_KIND)).items;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Managed kinds plus any other kind the desired state contains. */
export function kindsFor(managed: readonly ManagedKind[], components: readonly DesiredComponent[]): Kind[] {
  const kinds = new Map<string, Kind>();
  for (const k of managed) kinds.set(gvkKey(k), { apiVersion: k.apiVersion, kind: k.kind });
  for (const c of components) {
    for (const o of c.objects) {
      const g = { apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? '' };
      kinds.set(gvkKey(g), g);
    }
  }
  return [...kinds.values()];
}

/** Every object of `kinds` carrying `owner`'s labels. */
export async function listOwned(
  client: KubeClient,
  owner: OwnerRef,
  kinds: readonly Kind[],
): Promise<KubernetesObject[]> {
  const selector = ownerSelector(owner);
  const lists = await Promise.all(
    kinds.map(async (k) => {
      try {
        return (await client.list(k.apiVersion, k.kind, selector)).items;
      } catch (err) {
        // A kind this apiserver does not serve cannot have objects to prune.
        if (isNotFound(err) || isKindNotServed(err)) return [];
        throw err;
      }
    }),
  );
  return lists.flat();
}

/** Creates the namespaces that do not exist yet (never deleted: users' workloads may live there). */
export async function ensureNamespaces(
  client: KubeClient,
  names: readonly string[],
  log: Logger,
): Promise<void> {
  for (const name of names) {
    const ref = { apiVersion: 'v1', kind: 'Namespace', name };
    if (await client.get(ref)) continue;
    try {
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      log.info('created namespace', { object: `Namespace/${name}` });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}
