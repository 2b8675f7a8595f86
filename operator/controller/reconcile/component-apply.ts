// Applying one component's planned objects: only what differs from the live object, each run of one kind
// a few at a time, never over another IstioOperator's object or a newer release's CRD; then the
// component's readiness, with a timeout that turns a workload stuck not ready into an error.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import { decideCrdApply, istioVersionOf } from '../apply/crd-versions';
import { firstDifference } from '../apply/live-match';
import { describeObject } from '../apply/object-key';
import {
  FIELD_MANAGER,
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
  ownerKey,
  ownerOf,
} from '../apply/ownership';
import { decideApply, type PlannedObject } from '../apply/plan';
import { readinessOf } from '../apply/readiness';
import { apiMessage } from '../kube/api-errors';
import { refOf, type KubeClient } from '../kube/kube-client';
import { isKindNotServed, notServedMessage } from '../kube/served-kind';
import type { ComponentOutcome } from '../status/outcome';
import type { EventSpec } from '../status/status-events';
import { IOP_API_VERSION, IOP_KIND } from './cluster-reads';

/** Live owned objects by object key; applies update it so later stages see what was written. */
export type LiveIndex = Map<string, KubernetesObject>;

/** A rendered CRD left alone because the live one is of a newer release. */
export interface KeptCrd {
  name: string;
  liveVersion: string;
}

/** How many objects of one kind are applied at once. */
export const APPLY_CONCURRENCY = 4;

/** What one pass collects while applying: events to record and CRDs kept. */
export interface ApplyPass {
  iopKey: string;
  live: LiveIndex;
  log: Logger;
  actions: EventSpec[];
  kept: KeptCrd[];
}

export class ComponentApplier {
  /** objectKey@hash of objects whose live form never matches the desired subset (apiserver normalisation). */
  private readonly hashOnly = new Set<string>();
  /** `<iop key>|<component>` -> since when it has not been ready. */
  private readonly notReadySince = new Map<string, number>();
  /** `<iop key>|<object key>|<version>` of newer CRDs already logged as kept. */
  private readonly keptLogged = new Set<string>();

  constructor(private readonly o: { client: KubeClient; clock: Clock; readinessTimeoutMs: number }) {}

  /** Drops what is remembered about an IstioOperator (deleted, or its finalizer removed). */
  forget(iopKey: string): void {
    for (const k of [...this.notReadySince.keys()])
      if (k.startsWith(`${iopKey}|`)) this.notReadySince.delete(k);
    for (const k of [...this.keptLogged]) if (k.startsWith(`${iopKey}|`)) this.keptLogged.delete(k);
  }

  async apply(component: string, planned: PlannedObject[], pass: ApplyPass): Promise<ComponentOutcome> {
    const { iopKey, live, log } = pass;
    const existed = planned.some((p) => live.has(p.key));
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
          if (await this.crdInstead(p, pass)) return;
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
    const applied = done.filter((w): w is string => w !== undefined);
    const errors = failed.filter((e): e is string => e !== undefined);
    if (applied.length > 0) {
      pass.actions.push({
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
      if (now - since >= this.o.readinessTimeoutMs) {
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
  private async crdInstead(p: PlannedObject, pass: ApplyPass): Promise<boolean> {
    const { iopKey: self, live, log } = pass;
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
    pass.kept.push({ name: p.body.metadata?.name ?? '', liveVersion: d.liveVersion });
    return true;
  }
}

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
