// Re-injection verdicts of the sidecar census, remembered between censuses and computed without
// holding the event loop. A verdict depends only on the pod, its namespace and the injection config,
// so it is kept per pod uid and resourceVersion and namespace resourceVersion, for one injection
// target (a new target starts empty). A census of unchanged pods then re-injects nothing, and the
// first census of a large cluster (a fraction of a millisecond a pod) yields to the event loop every
// few milliseconds, so lease renewals, watches and probes go on meanwhile.
import { setImmediate as nextTurn } from 'timers/promises';
import { reinjectionChanged, type CensusInput, type PodView } from './outdated';

/** Longest stretch of re-injections between two turns of the event loop. */
export const SLICE_MS = 10;

export interface JudgeResult {
  verdicts: Map<PodView, boolean>;
  /** Pods re-injected by this call (the others came from the cache). */
  computed: number;
}

function podKey(pod: PodView, input: CensusInput): string | undefined {
  const meta = pod.pod?.metadata;
  if (!meta?.uid || !meta.resourceVersion) return undefined;
  const ns = input.namespaces?.get(pod.namespace)?.metadata?.resourceVersion ?? '';
  return `${meta.uid}@${meta.resourceVersion}@${ns}`;
}

/** One census: judges pods page by page; `commit` makes its verdicts the cache's. */
export class CensusPass {
  private readonly next = new Map<string, boolean>();

  constructor(
    private readonly previous: ReadonlyMap<string, boolean>,
    private readonly done: (entries: Map<string, boolean>) => void,
    private readonly sliceMs: number,
    private readonly now: () => number,
  ) {}

  /** Verdicts for `candidates` (from `reinjectionCandidates(input)`). */
  async judge(candidates: readonly PodView[], input: CensusInput): Promise<JudgeResult> {
    const verdicts = new Map<PodView, boolean>();
    let computed = 0;
    let sliceStart = this.now();
    for (const pod of candidates) {
      const key = podKey(pod, input);
      let verdict = key === undefined ? undefined : (this.next.get(key) ?? this.previous.get(key));
      if (verdict === undefined) {
        if (this.now() - sliceStart >= this.sliceMs) {
          await nextTurn();
          sliceStart = this.now();
        }
        verdict = reinjectionChanged(pod, input);
        computed++;
      }
      if (key !== undefined) this.next.set(key, verdict);
      verdicts.set(pod, verdict);
    }
    return { verdicts, computed };
  }

  /** Only pods seen in this census are kept, so the cache never outgrows the cluster. */
  commit(): void {
    this.done(this.next);
  }
}

export class ReinjectionCache {
  private target = '';
  private entries = new Map<string, boolean>();

  constructor(
    private readonly sliceMs = SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts a census for the injection target `target`; an uncommitted pass changes nothing. */
  begin(target: string): CensusPass {
    const previous = target === this.target ? this.entries : new Map<string, boolean>();
    return new CensusPass(
      previous,
      (entries) => {
        this.target = target;
        this.entries = entries;
      },
      this.sliceMs,
      this.now,
    );
  }

  get size(): number {
    return this.entries.size;
  }
}
