// Held deletion: an IstioOperator being deleted keeps its finalizer (and everything it installed) while a
// revision tag points at its revision or pods still run sidecars its revision injected, because removing
// the revision's injector ConfigMap and webhook then would break those pods' next restart and the tag's
// namespaces. Pure: the tags and pod views in, the holders (or none) out.
import { parseStatus } from '../../../inject/status';
import { LABEL_COMPONENT } from '../apply/ownership';
import { ANNOTATIONS } from '../../../lib/istio/names';

export interface HeldPod {
  namespace: string;
  name: string;
  /** `Kind/name` of the pod's controller (ReplicaSet pods are named by their Deployment's name). */
  workload: string;
}

export interface DeletionHold {
  tags: string[];
  /** Other IstioOperators of the revision (gateways-only ones): their gateways use its istiod. */
  istioOperators: string[];
  /** namespace/workload -> pods, sorted. */
  workloads: string[];
  pods: number;
  message: string;
}

type PodLike = {
  metadata?: {
    namespace?: string;
    name?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
  };
  status?: { phase?: string };
};

/** The revision that injected a pod (its sidecar.istio.io/status annotation), if any. */
export function injectedRevisionOf(pod: PodLike): string | undefined {
  const st = parseStatus(pod.metadata?.annotations?.[ANNOTATIONS.status]);
  return st ? st.revision || 'default' : undefined;
}

function workloadOf(pod: PodLike): string {
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner?.kind || !owner.name) return `Pod/${pod.metadata?.name ?? ''}`;
  // A ReplicaSet's name is its Deployment's plus a hash: name the Deployment, which is what users restart.
  if (owner.kind === 'ReplicaSet') return `Deployment/${owner.name.replace(/-[a-z0-9]+$/, '')}`;
  return `${owner.kind}/${owner.name}`;
}

/** The running pods a revision injected (finished and terminating pods do not hold anything). */
export function podsInjectedBy(pods: readonly PodLike[], revision: string): HeldPod[] {
  const want = revision === '' ? 'default' : revision;
  return pods
    .filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed' &&
        injectedRevisionOf(p) === want,
    )
    .map((p) => ({
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata?.name ?? '',
      workload: workloadOf(p),
    }));
}

/**
 * Whether an IstioOperator's owned objects include its revision's control plane (the Pilot component:
 * istiod, the injector ConfigMap and webhooks). Only that is what tags and sidecars use, so only such an
 * IstioOperator's deletion is ever held; a gateways-only one of the same revision goes when deleted (it
 * used to be held by the tags of the revision, while itself holding the control plane's IstioOperator).
 */
export function ownsControlPlane(
  owned: readonly { metadata?: { labels?: Record<string, string> } }[],
): boolean {
  return owned.some((o) => o.metadata?.labels?.[LABEL_COMPONENT] === 'Pilot');
}

const FIRST = 5;

/** Why the deletion of revision `revision` must wait, or undefined when nothing holds it. */
export function deletionHold(
  revision: string,
  tags: readonly string[],
  pods: readonly HeldPod[],
  istioOperators: readonly string[] = [],
): DeletionHold | undefined {
  if (tags.length === 0 && pods.length === 0 && istioOperators.length === 0) return undefined;
  const workloads = [...new Set(pods.map((p) => `${p.namespace}/${p.workload}`))].sort();
  const parts: string[] = [];
  if (tags.length) parts.push(`revision tag(s) ${[...tags].sort().join(', ')} point at it (move them first)`);
  if (istioOperators.length)
    parts.push(
      `IstioOperator(s) ${[...istioOperators].sort().join(', ')} of the same revision use its istiod (move their gateways first)`,
    );
  if (workloads.length) {
    const shown = workloads.slice(0, FIRST).join(', ');
    const more = workloads.length > FIRST ? ` and ${workloads.length - FIRST} more` : '';
    parts.push(
      `${pods.length} pod(s) still run its sidecar, in ${shown}${more} (restart them onto another revision)`,
    );
  }
  const name = revision === '' ? 'default' : revision;
  return {
    tags: [...tags].sort(),
    istioOperators: [...istioOperators].sort(),
    workloads,
    pods: pods.length,
    message: `deletion held: revision ${name} is still in use: ${parts.join('; ')}`,
  };
}
