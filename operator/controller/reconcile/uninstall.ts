// Deleting an IstioOperator: held while its revision is still used (deletion-hold.ts), then every owned
// object deleted (shared ones handed over, CRDs kept while other IstioOperators remain), and the finalizer
// removed once they are gone.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { describeObject } from '../apply/object-key';
import { LABEL_OWNING_NAMESPACE, LABEL_OWNING_RESOURCE, type OwnerRef } from '../apply/ownership';
import { planPrune } from '../apply/plan';
import { isNotFound } from '../kube/api-errors';
import { refOf, type KubeClient, type ObjectRef } from '../kube/kube-client';
import { followedTag, followersOf } from '../tags/tag-follow';
import { tagsPointingAt } from '../tags/tag-plan';
import { keyOf, kindsFor, listIstioOperators, listOwned, listTags } from './cluster-reads';
import {
  deletionHold,
  ownsControlPlane,
  podsInjectedBy,
  type DeletionHold,
  type HeldPod,
} from './deletion-hold';
import type { ManagedKind, RenderFn } from './desired';
import type { EventRecorder } from './event-recorder';
import { hasFinalizer, removeFinalizerPatch } from './finalizer';
import { handOverShared } from './hand-over';
import type { Pruner } from './prune';
import type { StatusWriter } from './status-writer';

/** How often a held deletion is re-checked (it lists every pod, so not at the readiness poll rate). */
export const HOLD_RECHECK_MS = 5000;

export interface UninstallOptions {
  client: KubeClient;
  render: RenderFn;
  managedKinds: readonly ManagedKind[];
  events: EventRecorder;
  pruner: Pruner;
  status: StatusWriter;
  holdDeletion: boolean;
  pollMs: number;
  /** Re-check of a held deletion: at most HOLD_RECHECK_MS. */
  holdRecheckMs: number;
  /** Called once the finalizer is removed: the IstioOperator's remembered state can go. */
  forget(key: string): void;
}

export class Uninstaller {
  constructor(private readonly o: UninstallOptions) {}

  async finalize(
    key: string,
    ref: ObjectRef,
    iop: KubernetesObject,
    owner: OwnerRef,
    log: Logger,
  ): Promise<{ requeueAfterMs?: number }> {
    if (!hasFinalizer(iop)) return {};
    const ownedNow = await listOwned(this.o.client, owner, kindsFor(this.o.managedKinds, []));
    // Only the IstioOperator installing the revision's control plane is held: a gateways-only one (tag
    // following or not) is injected by nothing and nothing points at it.
    if (this.o.holdDeletion && followedTag(iop) === undefined && ownsControlPlane(ownedNow)) {
      const hold = await this.deletionHoldOf(iop);
      if (hold) {
        await this.o.status.hold(iop, ref, hold, log);
        return { requeueAfterMs: this.o.holdRecheckMs };
      }
    }
    const owned = await this.releaseSharedCrds(key, iop, ownedNow, log);
    if (owned.length > 0) {
      const all = planPrune(new Set(), owned, true);
      const doomed = all.length > 0 ? await handOverShared(this.o, key, all, log) : [];
      for (const obj of doomed) {
        await this.o.client.delete(refOf(obj));
        log.info('uninstalled object', { object: describeObject(obj) });
      }
      if (doomed.length > 0) {
        await this.o.events.record(iop, {
          type: 'Normal',
          reason: 'Uninstalling',
          message: `deleting ${doomed.length} owned object(s)`,
        });
      }
      const stalled = await this.o.pruner.redeleteStalled(
        key,
        owned.filter((o) => o.metadata?.deletionTimestamp),
        log,
      );
      if (stalled.event) await this.o.events.record(iop, stalled.event);
      if (stalled.errors.length > 0) log.warn('uninstall waiting', { errors: stalled.errors.join('; ') });
      // Wait until they are gone (objects with finalizers of their own, like CRDs, take a moment).
      return { requeueAfterMs: this.o.pollMs };
    }
    try {
      await this.o.client.mergePatch(ref, removeFinalizerPatch(iop));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    this.o.forget(key);
    log.info('uninstalled, finalizer removed');
    await this.o.events.record(iop, {
      type: 'Normal',
      reason: 'Uninstalled',
      message: 'every owned object was deleted',
    });
    return {};
  }

  /**
   * Uninstall keeps CRDs while other IstioOperators remain (deleting a CRD deletes every resource of it, and
   * the others' control planes read them): they are released (owner labels removed) for another
   * IstioOperator to adopt, and the rest of the owned objects is returned for deletion. Only the last
   * IstioOperator's uninstall deletes its CRDs.
   */
  private async releaseSharedCrds(
    key: string,
    iop: KubernetesObject,
    owned: KubernetesObject[],
    log: Logger,
  ): Promise<KubernetesObject[]> {
    const crds = owned.filter((o) => o.kind === 'CustomResourceDefinition' && !o.metadata?.deletionTimestamp);
    if (crds.length === 0) return owned;
    const others = (await listIstioOperators(this.o.client))
      .filter((o) => !o.metadata?.deletionTimestamp)
      .map(keyOf)
      .filter((k) => k !== key)
      .sort();
    if (others.length === 0) return owned;
    const release = {
      metadata: { labels: { [LABEL_OWNING_RESOURCE]: null, [LABEL_OWNING_NAMESPACE]: null } },
    };
    for (const crd of crds) await this.o.client.mergePatch(refOf(crd), release);
    const message =
      `kept ${crds.length} CRD(s), released for the IstioOperators that remain ` +
      `(${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''}): CRDs are deleted only with the last one`;
    log.info('uninstall keeps CRDs', { crds: crds.length, remaining: others.length });
    await this.o.events.record(iop, { type: 'Normal', reason: 'CRDsKept', message });
    return owned.filter((o) => !crds.includes(o));
  }

  /** What still uses this IstioOperator's revision: tags pointing at it, pods running its sidecars. */
  private async deletionHoldOf(iop: KubernetesObject): Promise<DeletionHold | undefined> {
    const spec = (iop as KubernetesObject & { spec?: { revision?: unknown } }).spec;
    const revision = typeof spec?.revision === 'string' && spec.revision !== 'default' ? spec.revision : '';
    const tagObjects = await listTags(this.o.client);
    const tags = tagObjects.map((t) => ({
      name: t.metadata?.name ?? '',
      spec: (t as { spec?: unknown }).spec,
    }));
    const pods: HeldPod[] = [];
    await this.o.client.listPages('v1', 'Pod', (items) => {
      pods.push(...podsInjectedBy(items, revision));
    });
    const self = keyOf(iop);
    const all = await listIstioOperators(this.o.client);
    // Other IstioOperators of this revision (a gateways-only one): their gateways talk to this istiod.
    const users = all
      .filter((o) => !o.metadata?.deletionTimestamp)
      .filter((o) => keyOf(o) !== self)
      .filter((o) => {
        if (followedTag(o) !== undefined) return false;
        const r = (o as { spec?: { revision?: unknown } }).spec?.revision;
        return (typeof r === 'string' && r !== 'default' ? r : '') === revision;
      })
      .map(keyOf);
    // IstioOperators following a tag that serves (or moves to) this revision: their gateways use it too.
    const followers = followersOf(
      all.filter((o) => keyOf(o) !== self),
      tagObjects,
      revision,
    );
    return deletionHold(revision, tagsPointingAt(tags, revision), pods, [
      ...new Set([...users, ...followers]),
    ]);
  }
}
