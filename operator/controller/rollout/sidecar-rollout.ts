// Adapter around the pure census and rollout step: reads pods, ReplicaSets, workloads and
// namespaces, restarts the chosen workloads the way `kubectl rollout restart` does (a pod-template
// annotation), and hands back what goes into status.meshwright.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { readinessOf } from '../apply/readiness';
import type { KubeClient } from '../kube/kube-client';
import type { EventSpec } from '../status/status-events';
import { sidecarCensus, workloadKey, type PodView, type WorkloadRef } from './outdated';
import { rolloutConfig } from './rollout-config';
import { rolloutStep, type RolloutProgress } from './rollout-step';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface SidecarTarget {
  /** The proxy image the current injector puts on new pods. */
  expectedImage: string;
  /** '' for the default revision. */
  revision: string;
  controlPlaneNamespace: string;
}

export interface SidecarCounts {
  injected: number;
  outdated: number;
  expectedImage: string;
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
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    owner: controllerOwner(pod),
    proxyImage: proxy?.image,
  };
}

const WORKLOAD_API: Record<WorkloadRef['kind'], string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
};

export class SidecarRollout {
  constructor(
    private readonly client: KubeClient,
    private readonly pollMs: number,
  ) {}

  async observe(
    iop: KubernetesObject & { spec?: unknown },
    target: SidecarTarget,
    prev: RolloutProgress | undefined,
    now: number,
    log: Logger,
  ): Promise<SidecarObservation> {
    const cfg = rolloutConfig(iop.spec);
    const [pods, replicaSets, namespaces] = await Promise.all([
      this.client.list('v1', 'Pod'),
      this.client.list('apps/v1', 'ReplicaSet'),
      this.client.list('v1', 'Namespace'),
    ]);
    const rsOwners = new Map<string, string>();
    for (const rs of replicaSets.items) {
      const owner = controllerOwner(rs);
      if (owner?.kind === 'Deployment')
        rsOwners.set(`${rs.metadata?.namespace}/${rs.metadata?.name}`, owner.name);
    }
    const namespaceLabels = new Map(
      namespaces.items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]),
    );
    const census = sidecarCensus({
      pods: pods.items.map(podView),
      replicaSetOwners: rsOwners,
      namespaceLabels,
      revision: target.revision,
      expectedImage: target.expectedImage,
      controlPlaneNamespace: target.controlPlaneNamespace,
      candidateNamespaceLabels: cfg.namespaceLabels,
    });
    const sidecars = {
      injected: census.injected,
      outdated: census.outdated,
      expectedImage: target.expectedImage,
    };
    if (!cfg.enabled && !prev) return { sidecars, events: [] };

    const workloads = await this.workloadIndex(prev);
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
      targetRevision: target.revision || 'default',
      now,
      pollMs: this.pollMs,
    });
    const events: EventSpec[] = [];
    const stamp = new Date(now).toISOString();
    for (const w of decision.restart) {
      await this.client.mergePatch(
        { apiVersion: WORKLOAD_API[w.kind], kind: w.kind, namespace: w.namespace, name: w.name },
        { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } },
      );
      log.info('restarted workload for its outdated sidecar', {
        workload: workloadKey(w),
        image: target.expectedImage,
      });
    }
    if (decision.restart.length > 0) {
      events.push({
        type: 'Normal',
        reason: 'SidecarRollout',
        message: `restarted ${decision.restart.map(workloadKey).join(', ')} to pick up ${target.expectedImage}`,
      });
    }
    if (decision.progress.phase === 'Halted' && prev?.phase !== 'Halted') {
      events.push({
        type: 'Warning',
        reason: 'SidecarRolloutHalted',
        message: `not ready in time: ${decision.progress.stuck.join(', ')}`,
      });
    }
    return { sidecars, rollout: decision.progress, requeueAfterMs: decision.requeueAfterMs, events };
  }

  /** Live workloads of the rollout's batch and cursor, for the done checks. */
  private async workloadIndex(prev: RolloutProgress | undefined): Promise<Map<string, KubernetesObject>> {
    const index = new Map<string, KubernetesObject>();
    if (!prev || (prev.batch.length === 0 && prev.restarted.length === 0)) return index;
    const lists = await Promise.all(
      (['Deployment', 'StatefulSet', 'DaemonSet'] as const).map(async (kind) => ({
        kind,
        items: (await this.client.list('apps/v1', kind)).items,
      })),
    );
    for (const { kind, items } of lists) {
      for (const o of items)
        index.set(
          workloadKey({ kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }),
          o,
        );
    }
    return index;
  }
}
