// What `make demo DEMO_UPGRADE=1` applies and how it reads the results, as pure functions: the two revision
// IstioOperators (1.30.3 as `1-30`, 1.31.0-rc.0 as `1-31`), the gateways-only IstioOperator that moves in
// place (docs/upgrade.md "Gateways"), the revision tags, and the one-line views of revisions and pods the
// demo prints while the upgrade progresses.
import type { RevisionRow } from '../../cli/status-report';
import { rolloutCell } from '../../cli/status-report';
import type { Obj } from './kube';

export const IOP_API = 'install.istio.io/v1alpha1';
export const TAG_API = 'meshwright.io/v1alpha1';

export interface Release {
  /** The IstioOperator's name and its revision (the same: `1-30`). */
  revision: string;
  /** spec.tag: the Istio release the operator renders. */
  version: string;
}

export const OLD: Release = { revision: '1-30', version: '1.30.3' };
export const NEW: Release = { revision: '1-31', version: '1.31.0-rc.0' };
export const GATEWAY_IOP = 'ingress';
export const TAGS = ['prod', 'default'] as const;

/** How the new revision restarts outdated workloads: small batches so the progress is visible. */
export const ROLLOUT = { enabled: true, batchSize: 2, pauseSeconds: 2, readyTimeoutSeconds: 120 };

/** A revision's control plane: Base and istiod (profile minimal); the gateway is its own IstioOperator. */
export function revisionIop(r: Release, namespace: string, rollout?: typeof ROLLOUT): Obj {
  return {
    apiVersion: IOP_API,
    kind: 'IstioOperator',
    metadata: { name: r.revision, namespace },
    spec: {
      profile: 'minimal',
      revision: r.revision,
      tag: r.version,
      ...(rollout ? { sidecarRollout: rollout } : {}),
    },
  };
}

/** The ingress gateway alone (profile empty), on revision `r`: moved to the next one by re-applying it. */
export function gatewayIop(r: Release, namespace: string): Obj {
  return {
    apiVersion: IOP_API,
    kind: 'IstioOperator',
    metadata: { name: GATEWAY_IOP, namespace },
    spec: {
      profile: 'empty',
      revision: r.revision,
      tag: r.version,
      components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
    },
  };
}

export function revisionTag(name: string, revision: string): Obj {
  return { apiVersion: TAG_API, kind: 'IstioRevisionTag', metadata: { name }, spec: { revision } };
}

interface TagStatus {
  state?: string;
  revision?: string;
  message?: string;
}

export function tagStatus(tag: Obj | undefined): TagStatus {
  const s = tag?.status;
  return typeof s === 'object' && s !== null ? (s as TagStatus) : {};
}

/** True once the tag's webhook serves `revision` (the operator says so in the tag's status). */
export function tagServes(tag: Obj | undefined, revision: string): boolean {
  const s = tagStatus(tag);
  return s.state === 'Ready' && s.revision === revision;
}

interface Condition {
  type?: string;
  status?: string;
  message?: string;
}

/** The IstioOperator's DeletionHeld message (what still uses the revision), when it is held. */
export function deletionHeld(iop: Obj | undefined): string | undefined {
  const conds = (iop?.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  const held = conds.find((c) => c.type === 'DeletionHeld' && c.status !== 'False');
  return held?.message;
}

/** One `kubectl get iop -o wide`-like line for a revision (the columns `meshwright status` prints). */
export function revisionLine(r: RevisionRow): string {
  const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
  return [
    r.name.padEnd(8),
    `rev=${r.revision}`.padEnd(9),
    (r.version ?? '-').padEnd(12),
    r.status.padEnd(15),
    `injected=${n(r.injected)}`.padEnd(12),
    `outdated=${n(r.outdated)}`.padEnd(12),
    `rollout=${rolloutCell(r.rollout)}`,
  ]
    .join(' ')
    .trimEnd();
}

interface ContainerLike {
  name?: string;
  image?: string;
}

/** The sidecar a pod runs: the istio-proxy image's tag and the revision that injected it (its annotation). */
export function podSidecar(pod: Obj): { version?: string; revision?: string } {
  const spec = (pod.spec ?? {}) as { initContainers?: ContainerLike[]; containers?: ContainerLike[] };
  const proxy = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  const image = proxy?.image;
  const at = image?.lastIndexOf(':') ?? -1;
  const annotations = pod.metadata?.annotations ?? {};
  return {
    ...(image && at > image.lastIndexOf('/') ? { version: image.slice(at + 1) } : {}),
    ...(annotations['istio.io/rev'] ? { revision: annotations['istio.io/rev'] } : {}),
  };
}

/**
 * Pods (not being deleted) whose sidecar is not `r`'s: missing, another image tag, or injected by another
 * revision. Each as `namespace/name (what it runs)`.
 */
export function podsNotOn(pods: readonly Obj[], r: Release): string[] {
  return pods
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({ p, s: podSidecar(p) }))
    .filter(({ s }) => s.version !== r.version || s.revision !== r.revision)
    .map(
      ({ p, s }) =>
        `${p.metadata?.namespace}/${p.metadata?.name} (${s.version ? `${s.version} from ${s.revision ?? '?'}` : 'no sidecar'})`,
    );
}

/** "7 pods: 5 on 1.30.3 (1-30), 2 on 1.31.0-rc.0 (1-31)": how far the sidecars have moved. */
export function sidecarVersions(pods: readonly Obj[]): string {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const counts = new Map<string, number>();
  for (const p of live) {
    const s = podSidecar(p);
    const key = s.version ? `${s.version} (${s.revision ?? '?'})` : 'no sidecar';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${n} on ${k}`);
  return `${live.length} pods: ${parts.join(', ') || 'none'}`;
}
