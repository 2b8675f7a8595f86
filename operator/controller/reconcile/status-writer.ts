// The IstioOperator's status writes: the pass's computed status (only when it changed, with the events it
// implies), the followed tag, and the deletion hold. Each is a merge patch of the status subresource.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import type { KubeClient, ObjectRef } from '../kube/kube-client';
import { computeStatus } from '../status/compute-status';
import { rfc3339, setConditions } from '../status/conditions';
import type { LiveStatus } from '../status/live-status';
import type { PassResult } from '../status/outcome';
import { statusEvents, type EventSpec } from '../status/status-events';
import { statusChanged, statusPatch } from '../status/status-patch';
import type { DeletionHold } from './deletion-hold';
import type { EventRecorder } from './event-recorder';

/** The condition naming what holds an IstioOperator's deletion. */
export const DELETION_HELD = 'DeletionHeld';

/** A followed tag as resolved (tag-follow.ts). */
export interface FollowedRelease {
  tag: string;
  revision: string;
  istioOperator: string;
  istioTag?: string;
}

export class StatusWriter {
  constructor(private readonly o: { client: KubeClient; events: EventRecorder; clock: Clock }) {}

  /** The pass's status, written when it differs from `prev`; then the pass's events and the status's. */
  async write(
    iop: KubernetesObject,
    ref: ObjectRef,
    prev: LiveStatus | undefined,
    pass: PassResult,
    actions: readonly EventSpec[],
  ): Promise<void> {
    const next = computeStatus(prev, pass, rfc3339(this.o.clock.now()));
    if (statusChanged(prev, next)) await this.o.client.mergePatch(ref, statusPatch(prev, next), 'status');
    for (const e of [...actions, ...statusEvents(prev, next)]) await this.o.events.record(iop, e);
  }

  /**
   * status.meshwright.followedTag: the tag, the revision it resolved to and the IstioOperator installing it,
   * written (with a TagFollowed event) when it changes. Its own merge patch: computeStatus leaves the key be.
   */
  async followed(
    iop: KubernetesObject,
    ref: ObjectRef,
    prev: LiveStatus | undefined,
    release: FollowedRelease,
    log: Logger,
  ): Promise<void> {
    const next = {
      tag: release.tag,
      revision: release.revision === '' ? 'default' : release.revision,
      istioOperator: release.istioOperator,
    };
    const live = prev?.meshwright?.followedTag;
    if (
      live &&
      live.tag === next.tag &&
      live.revision === next.revision &&
      live.istioOperator === next.istioOperator
    )
      return;
    await this.o.client.mergePatch(ref, { status: { meshwright: { followedTag: next } } }, 'status');
    const message = `following tag ${next.tag}: revision ${next.revision} of ${next.istioOperator}${release.istioTag ? ` (${release.istioTag})` : ''}`;
    log.info('revision tag followed', next);
    await this.o.events.record(iop, { type: 'Normal', reason: 'TagFollowed', message });
  }

  /** The DeletionHeld condition and message in status, and a Warning event when the reason changes. */
  async hold(iop: KubernetesObject, ref: ObjectRef, hold: DeletionHold, log: Logger): Promise<void> {
    const prev = (iop as KubernetesObject & { status?: LiveStatus }).status;
    const before = prev?.conditions?.find((c) => c.type === DELETION_HELD);
    if (before?.message === hold.message && prev?.message === hold.message) return;
    const conditions = [
      ...(prev?.conditions ?? []).filter((c) => c.type !== DELETION_HELD),
      ...setConditions(
        prev?.conditions,
        [{ type: DELETION_HELD, status: 'True', reason: 'RevisionInUse', message: hold.message }],
        iop.metadata?.generation ?? 0,
        rfc3339(this.o.clock.now()),
      ),
    ];
    await this.o.client.mergePatch(ref, { status: { message: hold.message, conditions } }, 'status');
    log.info('deletion held', {
      tags: hold.tags.join(','),
      istioOperators: hold.istioOperators.join(','),
      pods: hold.pods,
      workloads: hold.workloads.length,
    });
    await this.o.events.record(iop, { type: 'Warning', reason: DELETION_HELD, message: hold.message });
  }
}
