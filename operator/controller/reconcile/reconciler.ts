// One reconcile pass of one IstioOperator. Reads everything it owns, applies only what differs, in
// stages with readiness in between, prunes what is no longer rendered, and writes status and events
// only when something changed. Errors are reported per component and rethrown so the work queue
// retries with backoff.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import { firstDifference } from '../apply/live-match';
import { describeObject, gvkKey, objectKey } from '../apply/object-key';
import { installStages } from '../apply/order';
import {
  FIELD_MANAGER,
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
  ownerKey,
  ownerOf,
  ownerSelector,
  parseOwnerKey,
  type OwnerRef,
} from '../apply/ownership';
import { crdNote, decideCrdApply, istioVersionOf } from '../apply/crd-versions';
import { decideApply, planObject, planPrune, type PlannedObject } from '../apply/plan';
import { readinessOf } from '../apply/readiness';
import { apiMessage, isConflict, isNotFound } from '../kube/api-errors';
import { refOf, type KubeClient, type ObjectRef } from '../kube/kube-client';
import { isKindNotServed, notServedMessage } from '../kube/served-kind';
import type { ControllerMetrics } from '../metrics';
import { computeStatus } from '../status/compute-status';
import { rfc3339, setConditions } from '../status/conditions';
import type { LiveStatus } from '../status/live-status';
import type { ComponentOutcome, PassResult } from '../status/outcome';
import { statusEvents, type EventSpec } from '../status/status-events';
import { statusChanged, statusPatch } from '../status/status-patch';
import type { DesiredComponent, DesiredState, ManagedKind, RenderFn } from './desired';
import type { EventRecorder } from './event-recorder';
import { addFinalizerPatch, hasFinalizer, removeFinalizerPatch } from './finalizer';
import { upgradeDecision } from './upgrade-decision';
import {
  deletionHold,
  ownsControlPlane,
  podsInjectedBy,
  type DeletionHold,
  type HeldPod,
} from './deletion-hold';
import { TAG_API_VERSION, TAG_KIND, tagsPointingAt, tagsServing } from '../tags/tag-plan';
import { installedIstioVersion } from '../status/istio-version';
import { ISTIO_VERSION } from '../../../lib/version';
import { defaultOwnerConflict, defaultRevisionOf } from '../tags/default-validator';
import { followersOf, followedTag, resolveFollowedTag, withFollowedRelease } from '../tags/tag-follow';
import { CENSUS_INTERVAL_MS, SidecarRollout, type SidecarObservation } from '../rollout/sidecar-rollout';
import { planHandOver, type RenderedBy } from './shared-objects';

/** The condition naming what holds an IstioOperator's deletion. */
export const DELETION_HELD = 'DeletionHeld';

export const IOP_API_VERSION = 'install.istio.io/v1alpha1';
export const IOP_KIND = 'IstioOperator';

export interface ReconcileResult {
  /** Check again after this delay (waiting for readiness or for deletions to finish). */
  requeueAfterMs?: number;
}

/** Thrown after status was written, so the work queue retries the key with backoff. */
export class ReconcileError extends Error {}

export interface ReconcilerOptions {
  client: KubeClient;
  render: RenderFn;
  managedKinds: readonly ManagedKind[];
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  /** How often readiness is re-checked while waiting (upstream polls every 2 s). */
  pollMs?: number;
  /** A workload not ready for this long turns its component to ERROR (upstream's 300 s cap). */
  readinessTimeoutMs?: number;
  /** How old sidecar counts may get: a HEALTHY IstioOperator is re-queued this often (default 60 s). */
  sidecarCensusTtlMs?: number;
  /** Told the cost of every sidecar census. */
  metrics?: Pick<ControllerMetrics, 'censused'>;
  /** The Istio version of an IstioOperator whose tags name none, for status.meshwright.version. */
  defaultIstioVersion?: string;
  /**
   * Hold a deletion while revision tags point at the revision or pods run its sidecars (deletion-hold.ts).
   * On when the operator manages the injection webhooks (it then owns what pods and tags depend on).
   */
  holdDeletion?: boolean;
}

/**
 * How often an IstioOperator following a revision tag looks at the tag again without being told: the
 * IstioOperator controller's tag watch re-queues it when a tag changes, so this is only a safety net.
 */
export const FOLLOW_RECHECK_MS = 60_000;

/** How often a held deletion is re-checked (it lists every pod, so not at the readiness poll rate). */
export const HOLD_RECHECK_MS = 5000;

/**
 * An owned object still terminating this long after its deletionTimestamp gets its DELETE re-issued,
 * at most once per this interval (kube-apiserver's CRD cleanup can give up and never retry; a second
 * DELETE gets it going again).
 */
export const STALLED_DELETE_MS = 10_000;

type LiveIndex = Map<string, KubernetesObject>;

interface KeptCrd {
  name: string;
  liveVersion: string;
}

export class IstioOperatorReconciler {
  /** objectKey@hash of objects whose live form never matches the desired subset (apiserver normalisation). */
  private readonly hashOnly = new Set<string>();
  private readonly notReadySince = new Map<string, number>();
  private readonly pollMs: number;
  private readonly readinessTimeoutMs: number;
  private readonly rollout: SidecarRollout;
  private readonly censusTtlMs: number;
  /** `<iop key>|<object key>|<version>` of newer CRDs already logged as kept. */
  private readonly keptLogged = new Set<string>();
  /** `<iop key>|<object key>` -> when its DELETE was last re-issued (stalled deletions). */
  private readonly redeletedAt = new Map<string, number>();

  constructor(private readonly o: ReconcilerOptions) {
    this.pollMs = o.pollMs ?? 2000;
    this.readinessTimeoutMs = o.readinessTimeoutMs ?? 300_000;
    this.censusTtlMs = o.sidecarCensusTtlMs ?? CENSUS_INTERVAL_MS;
    this.rollout = new SidecarRollout(o.client, this.pollMs, this.censusTtlMs, o.metrics);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const owner = parseOwnerKey(key);
    const log = this.o.log.child({
      controller: 'istiooperator',
      namespace: owner.namespace,
      name: owner.name,
    });
    const ref: ObjectRef = {
      apiVersion: IOP_API_VERSION,
      kind: IOP_KIND,
      namespace: owner.namespace,
      name: owner.name,
    };
    let iop = await this.o.client.get(ref);
    if (!iop) {
      this.forgetState(key);
      return {};
    }
    if (iop.metadata?.uid && iop.metadata.deletionTimestamp) this.rollout.forget(iop.metadata.uid);
    if (iop.metadata?.deletionTimestamp) return this.finalize(key, ref, iop, owner, log);
    if (!hasFinalizer(iop)) iop = await this.o.client.mergePatch(ref, addFinalizerPatch(iop));

    const prevStatus = (iop as KubernetesObject & { status?: LiveStatus }).status;
    const generation = iop.metadata?.generation ?? 0;
    // The version installed so far; status keeps it while nothing of a new version is applied.
    const installed = prevStatus?.meshwright?.version;
    // A gateways-only IstioOperator following a revision tag renders the tag's revision and release.
    const follows = followedTag(iop) !== undefined;
    const following = follows
      ? resolveFollowedTag(
          iop,
          await this.listTags(),
          (await this.o.client.list(IOP_API_VERSION, IOP_KIND)).items,
        )
      : undefined;
    if (following && !following.ok) {
      log.warn('cannot follow revision tag, what runs is kept', { error: following.message });
      await this.writeStatus(
        iop,
        ref,
        prevStatus,
        {
          generation,
          version: installed,
          invalid: { reason: 'InvalidSpec', message: following.message },
          outcomes: [],
        },
        [],
      );
      return { requeueAfterMs: FOLLOW_RECHECK_MS };
    }
    // values.defaultRevision beside an IstioRevisionTag `default`: two owners of the default webhook.
    const defaultConflict =
      defaultRevisionOf(iop) !== ''
        ? defaultOwnerConflict(
            (await this.listTags()).some((t) => t.metadata?.name === 'default'),
            [{ owner: `${owner.namespace}/${owner.name}`, defaultRevision: defaultRevisionOf(iop) }],
          )
        : undefined;
    if (defaultConflict) {
      log.warn('default revision owned by a tag, nothing applied', { error: defaultConflict });
      await this.writeStatus(
        iop,
        ref,
        prevStatus,
        {
          generation,
          version: installed,
          invalid: { reason: 'InvalidSpec', message: defaultConflict },
          outcomes: [],
        },
        [],
      );
      return {};
    }
    const subject = following?.ok ? withFollowedRelease(iop, following.release) : iop;
    if (following?.ok) await this.writeFollowed(iop, ref, prevStatus, following.release, log);
    const version = installedIstioVersion(subject, this.o.defaultIstioVersion ?? ISTIO_VERSION);
    const rendered = await this.o.render(subject);
    if (!rendered.ok) {
      log.warn('cannot render IstioOperator', { reason: rendered.reason, error: rendered.message });
      // Nothing to retry until the spec changes; the update event will enqueue it again.
      await this.writeStatus(
        iop,
        ref,
        prevStatus,
        { generation, version: installed ?? version, invalid: rendered, outcomes: [] },
        [],
      );
      return {};
    }
    // Judged after the render, so a version that cannot be had is reported as such (RenderFailed) first.
    const change = upgradeDecision(installed, version);
    if (!change.allowed) {
      log.warn('version change refused, nothing applied', {
        from: installed,
        to: version,
        error: change.message,
      });
      await this.writeStatus(
        iop,
        ref,
        prevStatus,
        { generation, version: installed, refused: { message: change.message }, outcomes: [] },
        [],
      );
      return {};
    }
    const desired = rendered.desired;
    await this.ensureNamespaces(desired.namespaces, log);
    const kinds = this.kindsFor(desired.components);
    const liveOwned = await this.listOwned(owner, kinds);
    const live: LiveIndex = new Map(liveOwned.map((o) => [objectKey(o), o]));

    const actions: EventSpec[] = [];
    const kept: KeptCrd[] = [];
    const outcomes: ComponentOutcome[] = [];
    const desiredKeys = new Set<string>();
    let blockedBy: string | undefined;
    for (const stage of installStages(desired.components)) {
      const planned = stage.map((c) => ({
        c,
        objects: c.objects.map((o) => planObject(c.component, o)),
      }));
      for (const p of planned) for (const obj of p.objects) desiredKeys.add(obj.key);
      if (blockedBy) {
        for (const { c } of planned)
          outcomes.push({ component: c.component, state: 'waiting', reason: `waiting for ${blockedBy}` });
        continue;
      }
      const results = await Promise.all(
        planned.map((p) => this.applyComponent(key, p.c.component, p.objects, live, log, actions, kept)),
      );
      outcomes.push(...results);
      const unfinished = results.filter((r) => r.state !== 'ready').map((r) => r.component);
      if (unfinished.length > 0) blockedBy = unfinished.join(', ');
    }

    const pruned = blockedBy
      ? { errors: [], terminating: 0 }
      : await this.prune(key, desiredKeys, liveOwned, log, actions);
    const pruneErrors = pruned.errors;
    const failures = outcomes.filter((x) => x.state === 'error').map((x) => `${x.component}: ${x.message}`);
    failures.push(...pruneErrors);
    // Sidecars are only looked at (and restarted) while the control plane itself is healthy.
    const sidecars =
      !blockedBy && failures.length === 0
        ? await this.observeSidecars(iop, desired.sidecar, prevStatus, log)
        : undefined;
    if (sidecars) actions.push(...sidecars.events);
    const crds = version === undefined ? undefined : crdNote(kept, version);
    const pass: PassResult = {
      generation,
      version,
      outcomes,
      ...(crds ? { crds } : {}),
      ...(sidecars ? { sidecars: { counts: sidecars.sidecars, rollout: sidecars.rollout } } : {}),
    };
    await this.writeStatus(iop, ref, prevStatus, pass, actions);

    if (failures.length > 0) throw new ReconcileError(failures.join('; '));
    if (blockedBy) return { requeueAfterMs: this.pollMs };
    // Pruned objects (just deleted or still terminating) are looked at again, in case their deletion stalls.
    const requeue = Math.min(
      sidecars?.requeueAfterMs ?? Infinity,
      pruned.terminating > 0 ? STALLED_DELETE_MS : Infinity,
      follows ? FOLLOW_RECHECK_MS : Infinity,
    );
    return Number.isFinite(requeue) ? { requeueAfterMs: requeue } : {};
  }

  private async applyComponent(
    iopKey: string,
    component: string,
    planned: PlannedObject[],
    live: LiveIndex,
    log: Logger,
    actions: EventSpec[],
    kept: KeptCrd[],
  ): Promise<ComponentOutcome> {
    const existed = planned.some((p) => live.has(p.key));
    const applied: string[] = [];
    const errors: string[] = [];
    // Objects of one kind do not depend on each other (the plan orders kinds by dependency), so each run
    // of one kind is applied APPLY_CONCURRENCY at a time: an install's 15 CRDs no longer take 15 round trips.
    const done: (string | undefined)[] = [];
    const failed: (string | undefined)[] = [];
    const applyOne = async (p: PlannedObject, i: number): Promise<void> => {
      const hashKey = `${p.key}@${p.hash}`;
      const decision = decideApply(p, live.get(p.key), this.hashOnly.has(hashKey));
      if (!decision.apply) return;
      const what = describeObject(p.body);
      try {
        if (p.body.kind === 'CustomResourceDefinition') {
          if (await this.crdInstead(p, iopKey, live, log, kept)) return;
        } else if (decision.reason === 'missing') {
          // Not among our objects: it may exist under another IstioOperator (two revisions both
          // rendering the shared Base CRDs). Taking it over would make the two fight forever.
          const other = await this.otherLiveOwner(p, iopKey);
          if (other) {
            live.set(p.key, other.obj);
            log.debug('object owned by another IstioOperator, left alone', {
              object: what,
              owner: other.key,
            });
            return;
          }
        }
        const result = await this.o.client.apply(p.body, FIELD_MANAGER, true);
        live.set(p.key, result);
        done[i] = what;
        log.info('applied object', { component, object: what, reason: decision.reason });
        const diff = firstDifference(p.body, result);
        if (diff) {
          // The apiserver rewrites this object; judging it by the hash alone avoids an apply per pass.
          this.hashOnly.add(hashKey);
          log.warn('apiserver normalises object, drift detection limited to the applied hash', {
            object: what,
            path: diff,
          });
        }
      } catch (err) {
        const why = isKindNotServed(err)
          ? notServedMessage(p.body.apiVersion ?? '', p.body.kind ?? '')
          : apiMessage(err);
        failed[i] = `${what}: ${why}`;
        log.error('apply failed', { component, object: what, error: why });
      }
    };
    for (const run of runsOfOneKind(planned)) {
      await inBatches(run, APPLY_CONCURRENCY, ({ p, i }) => applyOne(p, i));
    }
    applied.push(...done.filter((w): w is string => w !== undefined));
    errors.push(...failed.filter((e): e is string => e !== undefined));
    if (applied.length > 0) {
      actions.push({
        type: 'Normal',
        reason: 'Applied',
        message: `${component}: applied ${applied.join(', ')}`,
      });
    }
    const timerKey = `${iopKey}|${component}`;
    if (errors.length > 0) {
      this.notReadySince.delete(timerKey);
      return { component, state: 'error', message: errors.join('; ') };
    }
    for (const p of planned) {
      const obj = live.get(p.key);
      const r = obj
        ? readinessOf(obj)
        : { ready: false as const, reason: `${describeObject(p.body)}: missing` };
      if (r.ready) continue;
      const now = this.o.clock.now();
      const since = this.notReadySince.get(timerKey) ?? now;
      this.notReadySince.set(timerKey, since);
      if (now - since >= this.readinessTimeoutMs) {
        return {
          component,
          state: 'error',
          message: `not ready after ${Math.round((now - since) / 1000)}s: ${r.reason}`,
        };
      }
      return { component, state: 'progressing', reason: r.reason, changed: applied.length > 0 && existed };
    }
    this.notReadySince.delete(timerKey);
    return { component, state: 'ready' };
  }

  /** The live object and its owner when another, still existing IstioOperator owns it. */
  private async otherLiveOwner(
    p: PlannedObject,
    self: string,
  ): Promise<{ obj: KubernetesObject; key: string } | undefined> {
    const existing = await this.o.client.get(refOf(p.body));
    const key = existing && (await this.ownerElsewhere(existing, self));
    return existing && key ? { obj: existing, key } : undefined;
  }

  /** The key of another, still existing IstioOperator that owns `obj`, if any. */
  private async ownerElsewhere(obj: KubernetesObject, self: string): Promise<string | undefined> {
    const owner = ownerOf(obj);
    if (!owner || ownerKey(owner) === self) return undefined;
    const ownerIop = await this.o.client.get({ apiVersion: IOP_API_VERSION, kind: IOP_KIND, ...owner });
    if (!ownerIop || ownerIop.metadata?.deletionTimestamp) return undefined;
    return ownerKey(owner);
  }

  /**
   * The CRD rule (docs/operator.md): a rendered CRD is not applied over a newer release's (kept, and adopted
   * when nobody owns it), nor over another IstioOperator's of the same release; it is applied over an older
   * one. True when it was handled here and must not be applied.
   */
  private async crdInstead(
    p: PlannedObject,
    self: string,
    live: LiveIndex,
    log: Logger,
    kept: KeptCrd[],
  ): Promise<boolean> {
    const own = live.get(p.key);
    const existing = own ?? (await this.o.client.get(refOf(p.body)));
    const other = own || !existing ? undefined : await this.ownerElsewhere(existing, self);
    const d = decideCrdApply(p.body, existing, other !== undefined);
    if (d.action === 'apply' || !existing) return false;
    const what = describeObject(p.body);
    if (d.action === 'leave') {
      live.set(p.key, existing);
      log.debug('object owned by another IstioOperator, left alone', { object: what, owner: other });
      return true;
    }
    if (d.adopt && !own) {
      // Nobody owns it (its IstioOperator was deleted and released it): take it over as it is.
      const labels = p.body.metadata?.labels ?? {};
      const adopted = await this.o.client.mergePatch(refOf(p.body), {
        metadata: {
          labels: {
            [LABEL_OWNING_RESOURCE]: labels[LABEL_OWNING_RESOURCE],
            [LABEL_OWNING_NAMESPACE]: labels[LABEL_OWNING_NAMESPACE],
            [LABEL_COMPONENT]: labels[LABEL_COMPONENT],
          },
        },
      });
      live.set(p.key, adopted);
      log.info('adopted a newer CRD without changing it', { object: what, version: d.liveVersion });
    } else {
      live.set(p.key, existing);
    }
    const note = `${self}|${p.key}|${d.liveVersion}`;
    if (!this.keptLogged.has(note)) {
      this.keptLogged.add(note);
      log.info('CRD of a newer Istio release kept, not downgraded', {
        object: what,
        live: d.liveVersion,
        rendered: istioVersionOf(p.body),
      });
    }
    kept.push({ name: p.body.metadata?.name ?? '', liveVersion: d.liveVersion });
    return true;
  }

  private async observeSidecars(
    iop: KubernetesObject,
    target: DesiredState['sidecar'],
    prev: LiveStatus | undefined,
    log: Logger,
  ): Promise<SidecarObservation | undefined> {
    if (!target) return undefined;
    try {
      const tags = this.o.holdDeletion ? await this.tagsServing(target.revision) : [];
      return await this.rollout.observe(
        iop,
        tags.length ? { ...target, tags } : target,
        prev?.meshwright?.sidecarRollout,
        this.o.clock.now(),
        log,
      );
    } catch (err) {
      // A census failure must not fail the installation itself; it is shown in status (and an event
      // when the reason changes) and the next pass tries again.
      const message = apiMessage(err);
      log.warn('sidecar census failed', { error: message });
      const before = prev?.meshwright?.sidecars;
      return {
        sidecars: {
          injected: before?.injected ?? 0,
          outdated: before?.outdated ?? 0,
          expectedImage: target.expectedImage,
          error: message,
        },
        rollout: prev?.meshwright?.sidecarRollout,
        requeueAfterMs: this.censusTtlMs,
        events:
          before?.error === message ? [] : [{ type: 'Warning', reason: 'SidecarCensusFailed', message }],
      };
    }
  }

  private async prune(
    iopKey: string,
    desiredKeys: ReadonlySet<string>,
    liveOwned: readonly KubernetesObject[],
    log: Logger,
    actions: EventSpec[],
  ): Promise<{ errors: string[]; terminating: number }> {
    const deleted: string[] = [];
    const errors: string[] = [];
    const stale = planPrune(desiredKeys, liveOwned);
    for (const obj of stale.length > 0 ? await this.handOverShared(iopKey, stale, log) : []) {
      const what = describeObject(obj);
      try {
        if (await this.o.client.delete(refOf(obj))) deleted.push(what);
        log.info('pruned object', { object: what });
      } catch (err) {
        errors.push(`prune ${what}: ${apiMessage(err)}`);
      }
    }
    if (deleted.length > 0) {
      actions.push({
        type: 'Normal',
        reason: 'Pruned',
        message: `deleted objects no longer rendered: ${deleted.join(', ')}`,
      });
    }
    const terminating = liveOwned.filter(
      (o) => !desiredKeys.has(objectKey(o)) && o.metadata?.deletionTimestamp,
    );
    const stalled = await this.redeleteStalled(iopKey, terminating, log);
    errors.push(...stalled.errors);
    if (stalled.event) actions.push(stalled.event);
    return { errors, terminating: terminating.length + deleted.length };
  }

  /**
   * Re-issues DELETE for objects terminating longer than STALLED_DELETE_MS, at most once per that
   * interval each, and describes them in a Warning event when it did. Only called while something is
   * being deleted, so a steady state still makes no writes.
   */
  private async redeleteStalled(
    iopKey: string,
    terminating: readonly KubernetesObject[],
    log: Logger,
  ): Promise<{ errors: string[]; event?: EventSpec }> {
    const now = this.o.clock.now();
    const prefix = `${iopKey}|`;
    const current = new Set(terminating.map((o) => `${prefix}${objectKey(o)}`));
    for (const k of [...this.redeletedAt.keys()])
      if (k.startsWith(prefix) && !current.has(k)) this.redeletedAt.delete(k);
    const redeleted: string[] = [];
    const errors: string[] = [];
    for (const obj of terminating) {
      const since = deletionTime(obj);
      if (since === undefined || now - since < STALLED_DELETE_MS) continue;
      const k = `${prefix}${objectKey(obj)}`;
      const last = this.redeletedAt.get(k);
      if (last !== undefined && now - last < STALLED_DELETE_MS) continue;
      const what = `${describeObject(obj)} (terminating for ${Math.round((now - since) / 1000)}s${terminatingReason(obj)})`;
      try {
        await this.o.client.delete(refOf(obj));
        this.redeletedAt.set(k, now);
        redeleted.push(what);
        log.warn('deletion stalled, DELETE re-issued', { object: what });
      } catch (err) {
        errors.push(`re-delete ${describeObject(obj)}: ${apiMessage(err)}`);
        log.warn('re-issuing DELETE failed', { object: what, error: apiMessage(err) });
      }
    }
    if (redeleted.length === 0) return { errors };
    return {
      errors,
      event: {
        type: 'Warning',
        reason: 'DeletionStalled',
        message: `still terminating, DELETE re-issued: ${redeleted.join(', ')}`,
      },
    };
  }

  private async finalize(
    key: string,
    ref: ObjectRef,
    iop: KubernetesObject,
    owner: OwnerRef,
    log: Logger,
  ): Promise<ReconcileResult> {
    if (!hasFinalizer(iop)) return {};
    const ownedNow = await this.listOwned(owner, this.kindsFor([]));
    // Only the IstioOperator installing the revision's control plane is held: a gateways-only one (tag
    // following or not) is injected by nothing and nothing points at it.
    if (this.o.holdDeletion && followedTag(iop) === undefined && ownsControlPlane(ownedNow)) {
      const hold = await this.deletionHoldOf(iop);
      if (hold) {
        await this.writeHold(iop, ref, hold, log);
        return { requeueAfterMs: Math.min(HOLD_RECHECK_MS, this.censusTtlMs) };
      }
    }
    const owned = await this.releaseSharedCrds(key, iop, ownedNow, log);
    if (owned.length > 0) {
      const all = planPrune(new Set(), owned, true);
      const doomed = all.length > 0 ? await this.handOverShared(key, all, log) : [];
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
      const stalled = await this.redeleteStalled(
        key,
        owned.filter((o) => o.metadata?.deletionTimestamp),
        log,
      );
      if (stalled.event) await this.o.events.record(iop, stalled.event);
      if (stalled.errors.length > 0) log.warn('uninstall waiting', { errors: stalled.errors.join('; ') });
      // Wait until they are gone (objects with finalizers of their own, like CRDs, take a moment).
      return { requeueAfterMs: this.pollMs };
    }
    try {
      await this.o.client.mergePatch(ref, removeFinalizerPatch(iop));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    this.forgetState(key);
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
    const others = (await this.o.client.list(IOP_API_VERSION, IOP_KIND)).items
      .filter((o) => !o.metadata?.deletionTimestamp)
      .map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`)
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

  /**
   * Hands the objects of `doomed` that another, not deleted IstioOperator renders over to it (shared-objects.ts)
   * and returns the rest, to be deleted. The others are rendered here (memoized by the render cache), only
   * when something is about to be deleted; one that cannot render is skipped (it is reported on its own).
   */
  private async handOverShared(
    self: string,
    doomed: KubernetesObject[],
    log: Logger,
  ): Promise<KubernetesObject[]> {
    const elsewhere = new Map<string, RenderedBy>();
    const others = (await this.o.client.list(IOP_API_VERSION, IOP_KIND)).items.filter(
      (o) => !o.metadata?.deletionTimestamp,
    );
    for (const other of others) {
      const owner = { namespace: other.metadata?.namespace ?? '', name: other.metadata?.name ?? '' };
      if (ownerKey(owner) === self) continue;
      const r = await this.o.render(other);
      if (!r.ok) continue;
      for (const c of r.desired.components)
        for (const o of c.objects) {
          const key = planObject(c.component, o).key;
          if (!elsewhere.has(key)) elsewhere.set(key, { owner, component: c.component });
        }
    }
    const plan = planHandOver(parseOwnerKey(self), doomed, elsewhere);
    for (const h of plan.handOver) {
      await this.o.client.mergePatch(refOf(h.obj), { metadata: { labels: h.labels } });
      log.info('handed a shared object over instead of deleting it', {
        object: describeObject(h.obj),
        to: `${h.labels[LABEL_OWNING_NAMESPACE]}/${h.labels[LABEL_OWNING_RESOURCE]}`,
      });
    }
    return plan.remove;
  }

  /** The IstioRevisionTags in the cluster; none while their CRD is not installed. */
  private async listTags(): Promise<KubernetesObject[]> {
    try {
      return (await this.o.client.list(TAG_API_VERSION, TAG_KIND)).items;
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** The revision tags whose webhooks call `revision` now (their status says so). */
  private async tagsServing(revision: string): Promise<string[]> {
    return tagsServing(await this.listTags(), revision);
  }

  /** What still uses this IstioOperator's revision: tags pointing at it, pods running its sidecars. */
  private async deletionHoldOf(iop: KubernetesObject): Promise<DeletionHold | undefined> {
    const spec = (iop as KubernetesObject & { spec?: { revision?: unknown } }).spec;
    const revision = typeof spec?.revision === 'string' && spec.revision !== 'default' ? spec.revision : '';
    const tagObjects = await this.listTags();
    const tags = tagObjects.map((t) => ({
      name: t.metadata?.name ?? '',
      spec: (t as { spec?: unknown }).spec,
    }));
    const pods: HeldPod[] = [];
    await this.o.client.listPages('v1', 'Pod', (items) => {
      pods.push(...podsInjectedBy(items, revision));
    });
    // Other IstioOperators of this revision (a gateways-only one): their gateways talk to this istiod.
    const self = `${iop.metadata?.namespace ?? ''}/${iop.metadata?.name ?? ''}`;
    const users = (await this.o.client.list(IOP_API_VERSION, IOP_KIND)).items
      .filter((o) => !o.metadata?.deletionTimestamp)
      .filter((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}` !== self)
      .filter((o) => {
        if (followedTag(o) !== undefined) return false;
        const r = (o as { spec?: { revision?: unknown } }).spec?.revision;
        return (typeof r === 'string' && r !== 'default' ? r : '') === revision;
      })
      .map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`);
    // IstioOperators following a tag that serves (or moves to) this revision: their gateways use it too.
    const all = (await this.o.client.list(IOP_API_VERSION, IOP_KIND)).items;
    const followers = followersOf(
      all.filter((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}` !== self),
      tagObjects,
      revision,
    );
    return deletionHold(revision, tagsPointingAt(tags, revision), pods, [
      ...new Set([...users, ...followers]),
    ]);
  }

  /**
   * status.meshwright.followedTag: the tag, the revision it resolved to and the IstioOperator installing it,
   * written (with a TagFollowed event) when it changes. Its own merge patch: computeStatus leaves the key be.
   */
  private async writeFollowed(
    iop: KubernetesObject,
    ref: ObjectRef,
    prev: LiveStatus | undefined,
    release: { tag: string; revision: string; istioOperator: string; istioTag?: string },
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
  private async writeHold(
    iop: KubernetesObject,
    ref: ObjectRef,
    hold: DeletionHold,
    log: Logger,
  ): Promise<void> {
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

  private async writeStatus(
    iop: KubernetesObject,
    ref: ObjectRef,
    prev: LiveStatus | undefined,
    pass: PassResult,
    actions: EventSpec[],
  ): Promise<void> {
    const next = computeStatus(prev, pass, rfc3339(this.o.clock.now()));
    if (statusChanged(prev, next)) await this.o.client.mergePatch(ref, statusPatch(prev, next), 'status');
    for (const e of [...actions, ...statusEvents(prev, next)]) await this.o.events.record(iop, e);
  }

  private async ensureNamespaces(names: readonly string[], log: Logger): Promise<void> {
    for (const name of names) {
      const ref = { apiVersion: 'v1', kind: 'Namespace', name };
      if (await this.o.client.get(ref)) continue;
      try {
        await this.o.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        log.info('created namespace', { object: `Namespace/${name}` });
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  /** Managed kinds plus any other kind the desired state contains. */
  private kindsFor(components: readonly DesiredComponent[]): { apiVersion: string; kind: string }[] {
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const k of this.o.managedKinds) kinds.set(gvkKey(k), { apiVersion: k.apiVersion, kind: k.kind });
    for (const c of components) {
      for (const o of c.objects) {
        const g = { apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? '' };
        kinds.set(gvkKey(g), g);
      }
    }
    return [...kinds.values()];
  }

  private async listOwned(
    owner: OwnerRef,
    kinds: { apiVersion: string; kind: string }[],
  ): Promise<KubernetesObject[]> {
    const selector = ownerSelector(owner);
    const lists = await Promise.all(
      kinds.map(async (k) => {
        try {
          return (await this.o.client.list(k.apiVersion, k.kind, selector)).items;
        } catch (err) {
          // A kind this apiserver does not serve cannot have objects to prune.
          if (isNotFound(err) || isKindNotServed(err)) return [];
          throw err;
        }
      }),
    );
    return lists.flat();
  }

  private forgetState(key: string): void {
    for (const k of [...this.notReadySince.keys()]) if (k.startsWith(`${key}|`)) this.notReadySince.delete(k);
    for (const k of [...this.redeletedAt.keys()]) if (k.startsWith(`${key}|`)) this.redeletedAt.delete(k);
    for (const k of [...this.keptLogged]) if (k.startsWith(`${key}|`)) this.keptLogged.delete(k);
  }
}

/** The deletionTimestamp in ms (the typed client gives a Date, raw JSON a string). */
function deletionTime(obj: KubernetesObject): number | undefined {
  const ts: unknown = obj.metadata?.deletionTimestamp;
  if (ts instanceof Date) return ts.getTime();
  if (typeof ts !== 'string') return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Why the apiserver says it is still terminating (a CRD's Terminating condition), if it says. */
function terminatingReason(obj: KubernetesObject): string {
  const conditions = (obj as { status?: { conditions?: unknown } }).status?.conditions;
  if (!Array.isArray(conditions)) return '';
  for (const c of conditions as { type?: unknown; reason?: unknown; message?: unknown }[]) {
    if (c.type === 'Terminating' && typeof c.reason === 'string')
      return `, ${c.reason}${typeof c.message === 'string' ? `: ${c.message}` : ''}`;
  }
  return '';
}

/** How many objects of one kind are applied at once. */
export const APPLY_CONCURRENCY = 4;

/** Consecutive objects of the same kind (the plan is sorted by kind), each with its plan index. */
function runsOfOneKind(planned: readonly PlannedObject[]): { p: PlannedObject; i: number }[][] {
  const runs: { p: PlannedObject; i: number }[][] = [];
  planned.forEach((p, i) => {
    const last = runs.at(-1);
    if (last && last[0].p.body.kind === p.body.kind) last.push({ p, i });
    else runs.push([{ p, i }]);
  });
  return runs;
}

/** Runs `fn` over `items`, at most `limit` at a time, starting them in order. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
