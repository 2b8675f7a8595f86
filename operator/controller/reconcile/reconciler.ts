// One reconcile pass of one IstioOperator: a key in, a result out. It reads everything it owns, applies
// only what differs, in stages with readiness in between (component-apply.ts), prunes what is no longer
// rendered (prune.ts), looks at the sidecars its revision injected (rollout/), and writes status and events
// only when something changed (status-writer.ts). A deleted IstioOperator is uninstalled (uninstall.ts).
// Errors are reported per component and rethrown so the work queue retries with backoff.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { ISTIO_VERSION } from '../../../lib/version';
import type { Clock } from '../clock';
import { crdNote } from '../apply/crd-versions';
import { installStages } from '../apply/order';
import { parseOwnerKey } from '../apply/ownership';
import { planObject } from '../apply/plan';
import { objectKey } from '../apply/object-key';
import { apiMessage } from '../kube/api-errors';
import type { KubeClient, ObjectRef } from '../kube/kube-client';
import type { ControllerMetrics } from '../metrics';
import {
  CENSUS_INTERVAL_MS,
  SidecarRollout,
  type SidecarObservation,
  type SidecarTarget,
} from '../rollout/sidecar-rollout';
import { installedIstioVersion } from '../status/istio-version';
import type { LiveStatus } from '../status/live-status';
import type { ComponentOutcome, PassResult } from '../status/outcome';
import type { EventSpec } from '../status/status-events';
import { defaultOwnerConflict, defaultRevisionOf } from '../tags/default-validator';
import { followedTag, resolveFollowedTag, withFollowedRelease } from '../tags/tag-follow';
import { tagsServing } from '../tags/tag-plan';
import {
  ensureNamespaces,
  IOP_API_VERSION,
  IOP_KIND,
  kindsFor,
  listIstioOperators,
  listOwned,
  listTags,
} from './cluster-reads';
import { ComponentApplier, type KeptCrd, type LiveIndex } from './component-apply';
import type { ManagedKind, RenderFn } from './desired';
import type { EventRecorder } from './event-recorder';
import { addFinalizerPatch, hasFinalizer } from './finalizer';
import { Pruner, STALLED_DELETE_MS } from './prune';
import { StatusWriter } from './status-writer';
import { HOLD_RECHECK_MS, Uninstaller } from './uninstall';
import { upgradeDecision } from './upgrade-decision';

export { APPLY_CONCURRENCY } from './component-apply';
export { IOP_API_VERSION, IOP_KIND } from './cluster-reads';
export { STALLED_DELETE_MS } from './prune';
export { DELETION_HELD } from './status-writer';
export { HOLD_RECHECK_MS } from './uninstall';

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

/**
 * A converged IstioOperator re-queued for its sidecars (each census interval, every poll of a rollout
 * batch) gets sidecar-only passes while nothing it owns changed, and a full pass at least this often: the
 * owned-object watches say what changed (and the resync period re-checks everything), this bounds what a
 * missed watch event can cost.
 */
export const FULL_PASS_MS = 300_000;

/** What the last full pass of a converged IstioOperator found: a sidecar-only pass reports it again. */
interface Converged {
  at: number;
  /** The spec as the pass saw it (generation, labels, annotations): any change needs a full pass. */
  fingerprint: string;
  version: string | undefined;
  outcomes: ComponentOutcome[];
  crds?: PassResult['crds'];
  target: SidecarTarget;
}

function fingerprint(iop: KubernetesObject): string {
  const m = iop.metadata;
  return JSON.stringify([m?.generation ?? 0, m?.labels ?? {}, m?.annotations ?? {}]);
}

export class IstioOperatorReconciler {
  private readonly pollMs: number;
  private readonly censusTtlMs: number;
  private readonly rollout: SidecarRollout;
  private readonly applier: ComponentApplier;
  private readonly pruner: Pruner;
  private readonly status: StatusWriter;
  private readonly uninstaller: Uninstaller;
  /** Converged IstioOperators by key, dropped when a watch reports a change (invalidate). */
  private readonly converged = new Map<string, Converged>();
  /** Invalidations per key (and of all keys), so a pass that raced one does not store a stale result. */
  private readonly epochs = new Map<string, number>();
  private epochAll = 0;

  constructor(private readonly o: ReconcilerOptions) {
    this.pollMs = o.pollMs ?? 2000;
    this.censusTtlMs = o.sidecarCensusTtlMs ?? CENSUS_INTERVAL_MS;
    this.rollout = new SidecarRollout(o.client, this.pollMs, this.censusTtlMs, o.metrics);
    this.applier = new ComponentApplier({
      client: o.client,
      clock: o.clock,
      readinessTimeoutMs: o.readinessTimeoutMs ?? 300_000,
    });
    this.pruner = new Pruner(o);
    this.status = new StatusWriter(o);
    this.uninstaller = new Uninstaller({
      ...o,
      pruner: this.pruner,
      status: this.status,
      holdDeletion: o.holdDeletion ?? false,
      pollMs: this.pollMs,
      holdRecheckMs: Math.min(HOLD_RECHECK_MS, this.censusTtlMs),
      forget: (key) => this.forgetState(key),
    });
  }

  /**
   * Something `key` owns or depends on changed (a watch event), or anything did (no key: tag events,
   * resyncs, a new leadership term): the next pass of it is a full one.
   */
  invalidate(key?: string): void {
    if (key === undefined) {
      this.converged.clear();
      this.epochAll++;
      return;
    }
    this.converged.delete(key);
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
  }

  private epoch(key: string): string {
    return `${this.epochAll}.${this.epochs.get(key) ?? 0}`;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const epoch = this.epoch(key);
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
    if (iop.metadata?.deletionTimestamp) return this.uninstaller.finalize(key, ref, iop, owner, log);
    if (!hasFinalizer(iop)) iop = await this.o.client.mergePatch(ref, addFinalizerPatch(iop));

    const prevStatus = (iop as KubernetesObject & { status?: LiveStatus }).status;
    const generation = iop.metadata?.generation ?? 0;
    // The version installed so far; status keeps it while nothing of a new version is applied.
    const installed = prevStatus?.meshwright?.version;
    const last = this.converged.get(key);
    if (last && last.fingerprint === fingerprint(iop) && this.o.clock.now() - last.at < FULL_PASS_MS)
      return this.sidecarPass(iop, ref, prevStatus, last, log);
    this.converged.delete(key);
    const refuse = async (
      what: Pick<PassResult, 'invalid' | 'refused'>,
      version = installed,
    ): Promise<void> => {
      await this.status.write(iop, ref, prevStatus, { generation, version, ...what, outcomes: [] }, []);
    };
    // A gateways-only IstioOperator following a revision tag renders the tag's revision and release.
    const follows = followedTag(iop) !== undefined;
    const tags = follows || defaultRevisionOf(iop) !== '' ? await listTags(this.o.client) : [];
    const following = follows
      ? resolveFollowedTag(iop, tags, await listIstioOperators(this.o.client))
      : undefined;
    if (following && !following.ok) {
      log.warn('cannot follow revision tag, what runs is kept', { error: following.message });
      await refuse({ invalid: { reason: 'InvalidSpec', message: following.message } });
      return { requeueAfterMs: FOLLOW_RECHECK_MS };
    }
    // values.defaultRevision beside an IstioRevisionTag `default`: two owners of the default webhook.
    const defaultConflict =
      defaultRevisionOf(iop) !== ''
        ? defaultOwnerConflict(
            tags.some((t) => t.metadata?.name === 'default'),
            [{ owner: `${owner.namespace}/${owner.name}`, defaultRevision: defaultRevisionOf(iop) }],
          )
        : undefined;
    if (defaultConflict) {
      log.warn('default revision owned by a tag, nothing applied', { error: defaultConflict });
      await refuse({ invalid: { reason: 'InvalidSpec', message: defaultConflict } });
      return {};
    }
    const subject = following?.ok ? withFollowedRelease(iop, following.release) : iop;
    if (following?.ok) await this.status.followed(iop, ref, prevStatus, following.release, log);
    const version = installedIstioVersion(subject, this.o.defaultIstioVersion ?? ISTIO_VERSION);
    const rendered = await this.o.render(subject);
    if (!rendered.ok) {
      log.warn('cannot render IstioOperator', { reason: rendered.reason, error: rendered.message });
      // Nothing to retry until the spec changes; the update event will enqueue it again.
      await refuse({ invalid: rendered }, installed ?? version);
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
      await refuse({ refused: { message: change.message } });
      return {};
    }
    const desired = rendered.desired;
    await ensureNamespaces(this.o.client, desired.namespaces, log);
    const liveOwned = await listOwned(
      this.o.client,
      owner,
      kindsFor(this.o.managedKinds, desired.components),
    );
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
        planned.map((p) =>
          this.applier.apply(p.c.component, p.objects, { iopKey: key, live, log, actions, kept }),
        ),
      );
      outcomes.push(...results);
      const unfinished = results.filter((r) => r.state !== 'ready').map((r) => r.component);
      if (unfinished.length > 0) blockedBy = unfinished.join(', ');
    }

    const pruned = blockedBy
      ? { errors: [], terminating: 0 }
      : await this.pruner.prune(key, desiredKeys, liveOwned, log, actions);
    const failures = outcomes.filter((x) => x.state === 'error').map((x) => `${x.component}: ${x.message}`);
    failures.push(...pruned.errors);
    // Sidecars are only looked at (and restarted) while the control plane itself is healthy.
    const sidecars =
      !blockedBy && failures.length === 0 && desired.sidecar
        ? await this.observeSidecars(iop, desired.sidecar, prevStatus, log, true)
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
    await this.status.write(iop, ref, prevStatus, pass, actions);

    if (failures.length > 0) throw new ReconcileError(failures.join('; '));
    if (blockedBy) return { requeueAfterMs: this.pollMs };
    const target = sidecars?.target;
    if (target && !follows && pruned.terminating === 0 && this.epoch(key) === epoch) {
      this.converged.set(key, {
        at: this.o.clock.now(),
        fingerprint: fingerprint(iop),
        version,
        outcomes,
        ...(crds ? { crds } : {}),
        target,
      });
    }
    // Pruned objects (just deleted or still terminating) are looked at again, in case their deletion stalls.
    const requeue = Math.min(
      sidecars?.requeueAfterMs ?? Infinity,
      pruned.terminating > 0 ? STALLED_DELETE_MS : Infinity,
      follows ? FOLLOW_RECHECK_MS : Infinity,
    );
    return Number.isFinite(requeue) ? { requeueAfterMs: requeue } : {};
  }

  /**
   * A pass of a converged IstioOperator that nothing changed since its last full pass: only the sidecar
   * census and rollout run (the census itself is reused while a rollout batch is in flight), and status
   * reports the components as that full pass found them. A rollout's 2 s polls cost a few requests each,
   * not a list of every owned kind.
   */
  private async sidecarPass(
    iop: KubernetesObject,
    ref: ObjectRef,
    prev: LiveStatus | undefined,
    last: Converged,
    log: Logger,
  ): Promise<ReconcileResult> {
    const sidecars = await this.observeSidecars(iop, last.target, prev, log, false);
    const pass: PassResult = {
      generation: iop.metadata?.generation ?? 0,
      version: last.version,
      outcomes: last.outcomes,
      ...(last.crds ? { crds: last.crds } : {}),
      sidecars: { counts: sidecars.sidecars, rollout: sidecars.rollout },
    };
    await this.status.write(iop, ref, prev, pass, sidecars.events);
    return { requeueAfterMs: sidecars.requeueAfterMs ?? this.censusTtlMs };
  }

  /** The sidecar target with the revision tags whose webhooks call its revision now (census key). */
  private async withTags(target: SidecarTarget): Promise<SidecarTarget> {
    if (!this.o.holdDeletion) return target;
    const tags = tagsServing(await listTags(this.o.client), target.revision);
    return tags.length ? { ...target, tags } : target;
  }

  /**
   * The census (and rollout step) of the sidecars `target` injects; with the target it judged by (tags
   * resolved when `resolveTags`), absent when it failed.
   */
  private async observeSidecars(
    iop: KubernetesObject,
    sidecar: SidecarTarget,
    prev: LiveStatus | undefined,
    log: Logger,
    resolveTags: boolean,
  ): Promise<SidecarObservation & { target?: SidecarTarget }> {
    try {
      const target = resolveTags ? await this.withTags(sidecar) : sidecar;
      const seen = await this.rollout.observe(
        iop,
        target,
        prev?.meshwright?.sidecarRollout,
        this.o.clock.now(),
        log,
      );
      return { ...seen, target };
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
          expectedImage: sidecar.expectedImage,
          error: message,
        },
        rollout: prev?.meshwright?.sidecarRollout,
        requeueAfterMs: this.censusTtlMs,
        events:
          before?.error === message ? [] : [{ type: 'Warning', reason: 'SidecarCensusFailed', message }],
      };
    }
  }

  private forgetState(key: string): void {
    this.converged.delete(key);
    this.epochs.delete(key);
    this.applier.forget(key);
    this.pruner.forget(key);
  }
}
