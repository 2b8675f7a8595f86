// Adapter around the pure census and rollout step: reads pods, ReplicaSets, workloads and
// namespaces, restarts the chosen workloads the way `kubectl rollout restart` does (a pod-template
// annotation), and hands back what goes into status.meshwright.
import { createHash } from 'crypto';
import type { KubernetesObject, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { InjectionConfig } from '../../../inject/api';
import { parseStatus } from '../../../inject/status';
import type { Logger } from '../../../lib/log';
import { readinessOf } from '../apply/readiness';
import type { KubeClient } from '../kube/kube-client';
import type { ControllerMetrics } from '../metrics';
import type { EventSpec } from '../status/status-events';
import {
  mergeCensus,
  reinjectionCandidates,
  sidecarCensus,
  type SidecarCensus,
  workloadKey,
  type CensusInput,
  type PodView,
  parseWorkloadKey,
  type WorkloadRef,
} from './outdated';
import { optOutReason } from './opt-out';
import { ReinjectionCache } from './reinjection-cache';
import { rolloutConfig } from './rollout-config';
import { rolloutStep, type RolloutProgress } from './rollout-step';
import { ANNOTATIONS } from '../../../lib/istio/names';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/**
 * On a restarted workload's own metadata: the rollout target it was restarted for. Written in the same
 * patch as the restart, so a pass whose status write was lost (operator killed in between) still never
 * restarts it twice for one target.
 */
export const RESTARTED_FOR = 'meshwright.io/sidecar-rollout-target';
/** Outdated workloads named in status.meshwright.sidecars; the count covers them all. */
export const OUTDATED_LISTED = 10;

export interface SidecarTarget {
  /** The proxy image the current injector puts on new pods. */
  expectedImage: string;
  /** '' for the default revision. */
  revision: string;
  /** Revision tags whose webhooks call this revision now (a tag move changes the rollout target). */
  tags?: readonly string[];
  controlPlaneNamespace: string;
  /** The injection config the current injector ConfigMaps give; enables the re-injection check. */
  injection?: InjectionConfig;
  /** Identifies the injection settings (the rendered ConfigMaps' data); a change invalidates the cached census. */
  injectionKey?: string;
}

export interface SidecarCounts {
  injected: number;
  outdated: number;
  expectedImage: string;
  /** Owners of outdated pods, the first OUTDATED_LISTED by namespace/Kind/name. */
  outdatedWorkloads?: string[];
  /** How many owners (workloads, Jobs, bare pods) have outdated pods. */
  outdatedWorkloadCount?: number;
  /** Why the last census failed (e.g. the operator may not list pods); counts are then the previous ones. */
  error?: string;
}

export interface SidecarObservation {
  sidecars: SidecarCounts;
  /** Undefined while the rollout was never enabled for this IstioOperator. */
  rollout?: RolloutProgress;
  requeueAfterMs?: number;
  events: EventSpec[];
}

interface PodShape {
  metadata?: KubernetesObject['metadata'];
  spec?: {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
}

function controllerOwner(obj: KubernetesObject): { kind: string; name: string } | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
}

function podView(pod: KubernetesObject & PodShape): PodView {
  const proxy = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const injectedRevision =
    parseStatus(annotations[ANNOTATIONS.status])?.revision || annotations[ANNOTATIONS.rev] || undefined;
  let owner = controllerOwner(pod);
  // The Deployment controller names ReplicaSets <deployment>-<pod-template-hash>.
  const hash = labels['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    owner = { kind: 'Deployment', name: owner.name.slice(0, -(hash.length + 1)) };
  }
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels,
    owner,
    proxyImage: proxy?.image,
    injectedRevision,
    pod: pod as V1Pod,
  };
}

const WORKLOAD_API: Record<WorkloadRef['kind'], string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
};

/**
 * Census TTL: counts may be reused this long while no rollout is enabled (a census lists every pod),
 * and a pass that used the census asks to be re-queued when it expires, so counts are never older.
 */
export const CENSUS_INTERVAL_MS = 60_000;

/**
 * Pods per page of the census list. A page stays live while its pods are re-injected, and every
 * young-generation GC during that copies it: small pages keep those pauses short (pages of 500
 * injected pods gave 60-100 ms scavenges in the operator benchmark).
 */
export const CENSUS_PAGE_SIZE = 100;

/**
 * The rollout target as kept in status (`sidecarRollout.target`): a short hash of the revision, the
 * image and the injection settings, so a settings-only change starts a new rollout pass.
 */
export function rolloutTarget(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** One IstioOperator's part in a census: what it counts pods for. */
interface CensusJob {
  uid: string;
  /** Identifies the target (revision, image, injection settings, tags): a cached census of another key is stale. */
  key: string;
  target: SidecarTarget;
  candidateNamespaceLabels: Record<string, string>;
}

interface CensusResult {
  results: SidecarCensus[];
  namespaces: Map<string, V1Namespace>;
}

const EMPTY_CENSUS: SidecarCensus = { injected: 0, outdated: 0, outdatedWorkloads: [], outdatedOwners: [] };

/** What status.meshwright.sidecars shows of a census. */
function counts(census: SidecarCensus, target: SidecarTarget): SidecarCounts {
  return {
    injected: census.injected,
    outdated: census.outdated,
    expectedImage: target.expectedImage,
    ...(census.outdatedOwners.length > 0
      ? {
          outdatedWorkloads: census.outdatedOwners.slice(0, OUTDATED_LISTED),
          outdatedWorkloadCount: census.outdatedOwners.length,
        }
      : {}),
  };
}

export class SidecarRollout {
  /** Last census per IstioOperator uid, reused for passes soon after it when no rollout is enabled. */
  private readonly recent = new Map<string, { at: number; key: string; sidecars: SidecarCounts }>();
  /** IstioOperators whose last pass had no rollout, by uid: another revision's census counts theirs too. */
  private readonly idle = new Map<string, CensusJob>();
  /** The census in progress and the targets (uid -> key) it counts, so a pass it covers waits for it. */
  private running: { covers: Map<string, string>; done: Promise<CensusResult> } | undefined;
  /** Re-injection verdicts per IstioOperator uid, so a census re-injects only new or changed pods. */
  private readonly verdicts = new Map<string, ReinjectionCache>();

  constructor(
    private readonly client: KubeClient,
    private readonly pollMs: number,
    private readonly intervalMs = CENSUS_INTERVAL_MS,
    private readonly metrics?: Pick<ControllerMetrics, 'censused'>,
  ) {}

  forget(uid: string): void {
    this.recent.delete(uid);
    this.verdicts.delete(uid);
    this.idle.delete(uid);
  }

  /**
   * One census for several revisions: pods are read a page at a time and each page judged for every job
   * before the next is read, so memory holds one page, not the cluster, and the cluster is listed once.
   * Namespaces are read one by one for the pods that matter, and Deployments are found from the
   * ReplicaSet name and pod-template-hash (no ReplicaSet access needed). Nothing is kept if the list fails.
   */
  private census(jobs: readonly CensusJob[], now: number, log: Logger): Promise<CensusResult> {
    const done = this.listAndJudge(jobs, now, log);
    const running = { covers: new Map(jobs.map((j) => [j.uid, j.key])), done };
    this.running = running;
    const clear = () => {
      if (this.running === running) this.running = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /** The census itself; each job's counts become its cached census (`recent`) before it resolves. */
  private async listAndJudge(jobs: readonly CensusJob[], now: number, log: Logger): Promise<CensusResult> {
    const passes = jobs.map((j) => {
      let cache = this.verdicts.get(j.uid);
      if (!cache) this.verdicts.set(j.uid, (cache = new ReinjectionCache()));
      return cache.begin(j.key);
    });
    const results = jobs.map((): SidecarCensus => ({ ...EMPTY_CENSUS }));
    const reinjected = jobs.map(() => 0);
    const fromCache = jobs.map(() => 0);
    const started = performance.now();
    let pods = 0;
    const namespaces = new Map<string, V1Namespace>();
    const namespaceLabels = new Map<string, Record<string, string>>();
    await this.client.listPages(
      'v1',
      'Pod',
      async (items) => {
        const views = items.map(podView);
        pods += views.length;
        const unseen = [...new Set(views.filter((p) => p.proxyImage).map((p) => p.namespace))].filter(
          (name) => !namespaces.has(name),
        );
        for (const [name, ns] of await Promise.all(unseen.map((name) => this.namespace(name)))) {
          namespaces.set(name, ns);
          namespaceLabels.set(name, ns.metadata?.labels ?? {});
        }
        for (const [i, { target, candidateNamespaceLabels }] of jobs.entries()) {
          const input: CensusInput = {
            pods: views,
            replicaSetOwners: new Map(),
            namespaceLabels,
            namespaces,
            revision: target.revision,
            ...(target.tags ? { tags: target.tags } : {}),
            expectedImage: target.expectedImage,
            injection: target.injection,
            controlPlaneNamespace: target.controlPlaneNamespace,
            candidateNamespaceLabels,
          };
          const judged = await passes[i].judge(reinjectionCandidates(input), input);
          reinjected[i] += judged.computed;
          fromCache[i] += judged.verdicts.size - judged.computed;
          results[i] = mergeCensus(
            results[i],
            sidecarCensus({ ...input, reinjectionVerdicts: judged.verdicts }),
          );
        }
      },
      { pageSize: CENSUS_PAGE_SIZE },
    );
    for (const pass of passes) pass.commit();
    // The list is shared: each revision's census took as long as all of them.
    const seconds = (performance.now() - started) / 1000;
    for (const [i, { target }] of jobs.entries()) {
      const revision = target.revision || 'default';
      this.metrics?.censused(revision, seconds, reinjected[i], fromCache[i]);
      log.debug('sidecar census', {
        revision,
        pods,
        injected: results[i].injected,
        outdated: results[i].outdated,
        reinjected: reinjected[i],
        cached: fromCache[i],
        durationMs: Math.round(seconds * 1e6) / 1e3,
        ...(jobs.length > 1 ? { revisions: jobs.length } : {}),
      });
    }
    jobs.forEach((j, i) =>
      this.recent.set(j.uid, { at: now, key: j.key, sidecars: counts(results[i], j.target) }),
    );
    return { results, namespaces };
  }

  async observe(
    iop: KubernetesObject & { spec?: unknown },
    target: SidecarTarget,
    prev: RolloutProgress | undefined,
    now: number,
    log: Logger,
  ): Promise<SidecarObservation> {
    const cfg = rolloutConfig(iop.spec);
    const uid = iop.metadata?.uid ?? '';
    const tags = target.tags?.length ? `\n${[...target.tags].sort().join(',')}` : '';
    const key = `${target.revision}\n${target.expectedImage}\n${target.injectionKey ?? ''}${tags}`;
    const job: CensusJob = { uid, key, target, candidateNamespaceLabels: cfg.namespaceLabels };
    const idle = !cfg.enabled && !prev;
    if (idle) {
      this.idle.set(uid, job);
      // Another IstioOperator's census running now counts this one too (two workers run two keys at once).
      if (this.running?.covers.get(uid) === key) await this.running.done.catch(() => undefined);
      const fresh = this.cachedCensus(uid, key, now, this.intervalMs);
      // Pods are not watched: the next census comes from a re-queue when this one expires.
      if (fresh)
        return {
          sidecars: fresh.sidecars,
          requeueAfterMs: Math.max(0, fresh.at + this.intervalMs - now),
          events: [],
        };
    } else this.idle.delete(uid);
    const cached = this.cachedCensus(uid, key, now, this.intervalMs);
    // While a batch rolls out, the next step depends only on its workloads becoming ready: they are read
    // (a GET each), not every pod of the cluster. The last census stands (at most the census interval)
    // until the batch is done, halts, or the target changes.
    if (cfg.enabled && prev && cached && (await this.batchInFlight(prev, rolloutTarget(key), cfg, now)))
      return { sidecars: cached.sidecars, rollout: prev, requeueAfterMs: this.pollMs, events: [] };
    // Revisions without a rollout whose census is half an interval old are counted from the same pages:
    // the pods are listed once for them all, and their next passes find the counts fresh.
    const companions = [...this.idle.values()].filter(
      (j) => j.uid !== uid && !this.cachedCensus(j.uid, j.key, now, this.intervalMs / 2),
    );
    const { results, namespaces } = await this.census([job, ...companions], now, log);
    const census = results[0];
    const sidecars = counts(census, target);
    if (idle) return { sidecars, requeueAfterMs: this.intervalMs, events: [] };

    const targetId = rolloutTarget(key);
    const workloads = await this.workloadIndex(
      census.outdatedWorkloads,
      prev,
      cfg.enabled,
      cfg.maxUnavailable !== undefined,
    );
    const optedOut = new Map<string, string>();
    const stamped = new Set<string>();
    for (const w of census.outdatedWorkloads) {
      const k = workloadKey(w);
      const reason = optOutReason(workloads.get(k)?.metadata, namespaces.get(w.namespace)?.metadata);
      if (reason) optedOut.set(k, reason);
    }
    // Stamped for this target, outdated or not (rolloutStep: a restart whose status write was lost).
    for (const [k, live] of workloads)
      if (live.metadata?.annotations?.[RESTARTED_FOR] === targetId) stamped.add(k);
    const decision = rolloutStep({
      cfg,
      prev,
      outdated: census.outdatedWorkloads,
      done: (key) => {
        const w = workloads.get(key);
        return !w || readinessOf(w).ready;
      },
      healthy: true,
      generation: iop.metadata?.generation ?? 0,
      targetImage: target.expectedImage,
      target: targetId,
      optedOut,
      stamped,
      targetRevision: target.revision || 'default',
      now,
      pollMs: this.pollMs,
    });
    const stamp = new Date(now).toISOString();
    for (const w of decision.restart) {
      await this.client.mergePatch(
        { apiVersion: WORKLOAD_API[w.kind], kind: w.kind, namespace: w.namespace, name: w.name },
        {
          metadata: { annotations: { [RESTARTED_FOR]: targetId } },
          spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } },
        },
      );
      log.info('restarted workload for its outdated sidecar', {
        workload: workloadKey(w),
        image: target.expectedImage,
      });
    }
    // A finished or halted rollout asks for no re-check of its own; the census still expires.
    const requeueAfterMs = Math.min(decision.requeueAfterMs ?? this.intervalMs, this.intervalMs);
    return { sidecars, rollout: decision.progress, requeueAfterMs, events: decision.events };
  }

  /** The last census of `uid` if it was taken for `key` less than `maxAgeMs` before `now`. */
  private cachedCensus(
    uid: string,
    key: string,
    now: number,
    maxAgeMs: number,
  ): { at: number; sidecars: SidecarCounts } | undefined {
    const c = this.recent.get(uid);
    return c && c.key === key && now - c.at < maxAgeMs ? c : undefined;
  }

  /**
   * True when `prev` is a running batch of this target that is still within its ready timeout and has a
   * workload not yet rolled out (a deleted one counts as done, as rolloutStep counts it).
   */
  private async batchInFlight(
    prev: RolloutProgress,
    target: string,
    cfg: { readyTimeoutMs: number },
    now: number,
  ): Promise<boolean> {
    if (prev.phase !== 'Running' || prev.batch.length === 0 || prev.target !== target) return false;
    const started = prev.batchStartedAt ? Date.parse(prev.batchStartedAt) : NaN;
    if (!Number.isFinite(started) || now - started >= cfg.readyTimeoutMs) return false;
    for (const key of prev.batch) {
      const ref = parseWorkloadKey(key);
      if (!(ref.kind in WORKLOAD_API)) return false;
      const live = await this.workload(ref);
      if (live && !readinessOf(live).ready) return true;
    }
    return false;
  }

  /** One workload as read; undefined when it is gone. */
  private workload(w: WorkloadRef): Promise<KubernetesObject | undefined> {
    return this.client.get({
      apiVersion: WORKLOAD_API[w.kind],
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
    });
  }

  /** A namespace as read (labels select the revision, annotations feed injection); a stub if gone. */
  private async namespace(name: string): Promise<[string, V1Namespace]> {
    const ns = await this.client.get({ apiVersion: 'v1', kind: 'Namespace', name });
    return [name, (ns ?? { metadata: { name } }) as V1Namespace];
  }

  /**
   * Live workloads, by key. With the rollout enabled: every workload of the kinds that are outdated, in the
   * current batch or (with maxUnavailable, which counts every restarted workload not yet available)
   * restarted, listed per kind (their metadata carries opt-outs and restart stamps, their status the done
   * checks). Disabled: only the current batch, read one by one.
   */
  private async workloadIndex(
    outdated: readonly WorkloadRef[],
    prev: RolloutProgress | undefined,
    enabled: boolean,
    allRestarted: boolean,
  ): Promise<Map<string, KubernetesObject>> {
    const index = new Map<string, KubernetesObject>();
    const refs = (keys: readonly string[]) => keys.map((key) => ({ key, ...parseWorkloadKey(key) }));
    const batch = refs(prev?.batch ?? []);
    if (enabled) {
      // Deployments always: a stamped one may have finished rolling out (no longer outdated) before a
      // new leader's first census, and must still be found (rolloutStep's lost-status recovery).
      const kinds = new Set<WorkloadRef['kind']>([
        'Deployment',
        ...outdated.map((w) => w.kind),
        ...batch.map((r) => r.kind),
        ...(allRestarted ? refs(prev?.restarted ?? []).map((r) => r.kind) : []),
      ]);
      for (const kind of kinds) {
        for (const o of (await this.client.list(WORKLOAD_API[kind], kind)).items) {
          index.set(
            workloadKey({ kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }),
            o,
          );
        }
      }
      return index;
    }
    for (const r of batch) {
      const o = await this.workload(r);
      if (o) index.set(r.key, o);
    }
    return index;
  }
}
