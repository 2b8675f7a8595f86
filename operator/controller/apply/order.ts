// Install order. Components go in dependency stages (base, then CNI and pilot, then gateways) with a
// readiness wait between stages; within a component, kinds go in the usual dependency order
// (definitions and identities before the workloads that use them). Deletion runs in reverse.
import type { KubernetesObject } from '@kubernetes/client-node';

const STAGES: Record<string, number> = {
  Base: 0,
  Cni: 1,
  Pilot: 1,
  Ztunnel: 1,
  IngressGateways: 2,
  EgressGateways: 2,
};

/** Stage of a component; unknown components go last so they never precede their dependencies. */
export function stageOf(component: string): number {
  return STAGES[component] ?? 3;
}

const KIND_ORDER = [
  'CustomResourceDefinition',
  'Namespace',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Deployment',
  'StatefulSet',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

export function kindRank(kind: string | undefined): number {
  const i = KIND_ORDER.indexOf(kind ?? '');
  return i < 0 ? KIND_ORDER.length : i;
}

/** Components grouped by stage, in apply order. */
export function stagesOf<C extends { component: string }>(components: readonly C[]): C[][] {
  const byStage = new Map<number, C[]>();
  for (const c of components) {
    const s = stageOf(c.component);
    byStage.set(s, [...(byStage.get(s) ?? []), c]);
  }
  return [...byStage.entries()].sort(([a], [b]) => a - b).map(([, cs]) => cs);
}

export function applyOrder<T extends KubernetesObject>(objects: readonly T[]): T[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => kindRank(a.o.kind) - kindRank(b.o.kind) || a.i - b.i)
    .map(({ o }) => o);
}

/** Deletion order: later stages first, and within a stage webhooks and workloads before what they use. */
export function deleteOrder<T extends KubernetesObject>(
  objects: readonly T[],
  componentOf: (o: T) => string,
): T[] {
  return [...objects].sort(
    (a, b) => stageOf(componentOf(b)) - stageOf(componentOf(a)) || kindRank(b.kind) - kindRank(a.kind),
  );
}

/** One component of an install plan: its name and its objects in apply order. */
export interface StagedComponent<T extends KubernetesObject> {
  readonly component: string;
  readonly objects: T[];
}

/**
 * The operator's install plan: components of the same name merged (a component rendered per gateway is
 * applied as one), grouped in stages, each component's objects in apply order. `manifest generate`
 * prints this order, so what it shows is what the operator applies, in the order it applies it.
 */
export function installStages<T extends KubernetesObject>(
  components: readonly { component: string; objects: readonly T[] }[],
): StagedComponent<T>[][] {
  const merged = new Map<string, T[]>();
  for (const c of components) merged.set(c.component, [...(merged.get(c.component) ?? []), ...c.objects]);
  const staged = [...merged].map(([component, objects]) => ({ component, objects }));
  return stagesOf(staged).map((stage) =>
    stage.map((c) => ({ component: c.component, objects: applyOrder(c.objects) })),
  );
}

/** The install plan flattened: every object in the order the operator applies it. */
export function installOrder<T extends KubernetesObject>(
  components: readonly { component: string; objects: readonly T[] }[],
): T[] {
  return installStages(components).flatMap((stage) => stage.flatMap((c) => c.objects));
}
