// What the upgrade bench knows about its pods, fed by a pod watch: per pod its workload, the revision
// whose sidecar it runs, readiness and whether it is going away. Pure (no I/O), so the "every pod of
// every workload is Ready on the new revision" rule and the restart counts are unit-tested.
import type { V1Pod } from '@kubernetes/client-node';

/** Pod template label naming the bench workload a pod belongs to (Bookinfo's `app` is shared by reviews-v1..3). */
export const WORKLOAD_LABEL = 'bench.meshwright.io/workload';

export interface PodFacts {
  uid: string;
  name: string;
  /** The workload the bench made it for (WORKLOAD_LABEL). */
  workload: string;
  /** The revision that injected its sidecar (annotation istio.io/rev), undefined without one. */
  revision?: string;
  proxyImage?: string;
  ready: boolean;
  terminating: boolean;
}

export function podFacts(pod: V1Pod): PodFacts {
  const proxy = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  const revision = pod.metadata?.annotations?.['istio.io/rev'];
  return {
    uid: pod.metadata?.uid ?? '',
    name: pod.metadata?.name ?? '',
    workload: pod.metadata?.labels?.[WORKLOAD_LABEL] ?? '',
    ...(revision !== undefined ? { revision } : {}),
    ...(proxy?.image !== undefined ? { proxyImage: proxy.image } : {}),
    ready: (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    terminating: pod.metadata?.deletionTimestamp !== undefined,
  };
}

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Converged {
  /** Pods counted: as many as the workloads' replicas. */
  pods: number;
}

export class PodTracker {
  private readonly pods = new Map<string, PodFacts>();
  /** Pods seen per workload since `mark()`, by uid (a re-list must not count one pod twice). */
  private created = new Map<string, Set<string>>();
  private before = new Set<string>();

  /** `replicas` per workload name: what a converged state holds. */
  constructor(private readonly replicas: ReadonlyMap<string, number>) {}

  /** A full list replaces what is known (after a watch restart); pods not in it are gone. */
  reset(pods: readonly V1Pod[]): void {
    this.pods.clear();
    for (const p of pods) this.event('ADDED', p);
  }

  event(type: PodEventType, pod: V1Pod): void {
    const f = podFacts(pod);
    if (!f.uid) return;
    if (type === 'DELETED') {
      this.pods.delete(f.uid);
      return;
    }
    this.pods.set(f.uid, f);
    if (!this.before.has(f.uid)) {
      const seen = this.created.get(f.workload) ?? new Set<string>();
      seen.add(f.uid);
      this.created.set(f.workload, seen);
    }
  }

  /** From now on, count the pods created: those present now are the "before" pods. */
  mark(): void {
    this.before = new Set(this.pods.keys());
    this.created = new Map();
  }

  /**
   * Whether every workload runs exactly its replicas, each pod Ready, not terminating and injected by
   * `revision` (and, when given, with `image`), and no other pod of the workloads is left.
   */
  converged(revision: string, image?: string): Converged | undefined {
    const per = new Map<string, number>();
    for (const p of this.pods.values()) {
      if (!this.replicas.has(p.workload)) continue;
      if (p.terminating || !p.ready || p.revision !== revision) return undefined;
      if (image !== undefined && p.proxyImage !== image) return undefined;
      per.set(p.workload, (per.get(p.workload) ?? 0) + 1);
    }
    let pods = 0;
    for (const [w, n] of this.replicas) {
      if (per.get(w) !== n) return undefined;
      pods += n;
    }
    return { pods };
  }

  /** Pods created since `mark()` beyond one replacement per replica: a pod restarted more than once. */
  extraRestarts(): { pods: number; workloads: string[] } {
    let pods = 0;
    const workloads: string[] = [];
    for (const [w, n] of this.replicas) {
      const extra = (this.created.get(w)?.size ?? 0) - n;
      if (extra > 0) {
        pods += extra;
        workloads.push(w);
      }
    }
    return { pods, workloads: workloads.sort() };
  }

  /** Pods created since `mark()`. */
  createdSinceMark(): number {
    let n = 0;
    for (const s of this.created.values()) n += s.size;
    return n;
  }

  /** Revisions of the live pods, with counts (for progress lines and failure messages). */
  summary(): string {
    const by = new Map<string, number>();
    for (const p of this.pods.values()) {
      const k = `${p.revision ?? 'none'}${p.ready ? '' : ' not-ready'}${p.terminating ? ' terminating' : ''}`;
      by.set(k, (by.get(k) ?? 0) + 1);
    }
    return [...by].map(([k, n]) => `${n} ${k}`).join(', ') || 'no pods';
  }
}
