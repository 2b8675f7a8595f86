// The gradual sidecar rollout as a pure step function over its persisted progress (kept in
// status.meshwright.sidecarRollout, so an operator restart resumes where it stopped). One call per
// reconcile pass: it decides which workloads to restart now, and what the progress becomes.
//   Idle      nothing to do (disabled, or no outdated workload)
//   Running   a batch is rolling out, or the pause between batches is running
//   Paused    the control plane is not HEALTHY: no new batch starts
//   Halted    a batch missed readyTimeoutSeconds: nothing more is restarted (ACTION_REQUIRED) until
//             the stuck workloads recover or the spec changes
//   Complete  every outdated workload of this target was restarted
import type { RolloutConfig } from './rollout-config';
import { unavailableCap } from './rollout-config';
import { workloadKey, type WorkloadRef } from './outdated';

export type RolloutPhase = 'Idle' | 'Running' | 'Paused' | 'Halted' | 'Complete';

export interface RolloutProgress {
  phase: RolloutPhase;
  /** The proxy image the rollout moves workloads to. */
  targetImage: string;
  /**
   * The full injection target (revision, image and injection settings, hashed); a new target starts a
   * new rollout. Absent in progress written before it existed: that progress is kept if the image matches.
   */
  target?: string;
  targetRevision: string;
  total: number;
  /** Workloads restarted for this target (the cursor), as namespace/Kind/name. */
  restarted: string[];
  pending: number;
  batch: string[];
  batchStartedAt?: string;
  lastBatchTime?: string;
  stuck: string[];
  haltedGeneration?: number;
}

export interface RolloutInput {
  cfg: RolloutConfig;
  prev: RolloutProgress | undefined;
  outdated: readonly WorkloadRef[];
  /** Whether a restarted workload finished its rollout; unknown (deleted) workloads count as done. */
  done: (key: string) => boolean;
  healthy: boolean;
  generation: number;
  targetImage: string;
  /** Identifies the full injection target; defaults to targetImage. */
  target?: string;
  targetRevision: string;
  now: number;
  pollMs: number;
}

export interface RolloutDecision {
  progress: RolloutProgress;
  restart: WorkloadRef[];
  requeueAfterMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function rolloutStep(input: RolloutInput): RolloutDecision {
  const { cfg, now } = input;
  const target = input.target ?? input.targetImage;
  const sameTarget =
    input.prev !== undefined &&
    input.prev.targetImage === input.targetImage &&
    (input.prev.target === undefined || input.prev.target === target);
  const p: RolloutProgress =
    input.prev && sameTarget
      ? {
          ...input.prev,
          target,
          restarted: [...input.prev.restarted],
          batch: [...input.prev.batch],
          stuck: [...input.prev.stuck],
        }
      : {
          phase: 'Idle',
          targetImage: input.targetImage,
          target,
          targetRevision: input.targetRevision,
          total: 0,
          restarted: [],
          pending: 0,
          batch: [],
          stuck: [],
        };
  const pending = input.outdated.filter((w) => !p.restarted.includes(workloadKey(w)));
  p.pending = pending.length;
  p.total = p.restarted.length + pending.length;
  const idleOrComplete = (): RolloutPhase =>
    pending.length === 0 && p.restarted.length > 0 ? 'Complete' : 'Idle';

  if (!cfg.enabled) {
    return {
      progress: {
        ...p,
        phase: idleOrComplete(),
        batch: [],
        stuck: [],
        batchStartedAt: undefined,
        haltedGeneration: undefined,
      },
      restart: [],
    };
  }

  if (p.batch.length > 0) {
    const notDone = p.batch.filter((k) => !input.done(k));
    const started = p.batchStartedAt ? Date.parse(p.batchStartedAt) : now;
    if (notDone.length === 0) {
      p.batch = [];
      p.stuck = [];
      p.lastBatchTime = iso(now);
      delete p.batchStartedAt;
      delete p.haltedGeneration;
    } else if (p.phase === 'Halted' && p.haltedGeneration !== input.generation) {
      // The user changed the spec: stop waiting for the stuck batch and carry on.
      p.batch = [];
      p.stuck = [];
      delete p.batchStartedAt;
      delete p.haltedGeneration;
    } else if (p.phase === 'Halted' || now - started >= cfg.readyTimeoutMs) {
      return {
        progress: {
          ...p,
          phase: 'Halted',
          stuck: notDone,
          haltedGeneration: p.haltedGeneration ?? input.generation,
        },
        restart: [],
        requeueAfterMs: input.pollMs,
      };
    } else {
      return { progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: input.pollMs };
    }
  }

  if (!input.healthy)
    return { progress: { ...p, phase: pending.length > 0 ? 'Paused' : idleOrComplete() }, restart: [] };
  if (pending.length === 0) return { progress: { ...p, phase: idleOrComplete() }, restart: [] };

  if (p.lastBatchTime) {
    const wait = Date.parse(p.lastBatchTime) + cfg.pauseMs - now;
    if (wait > 0) return { progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: wait };
  }
  const inFlight = p.restarted.filter((k) => !input.done(k)).length;
  const slots = Math.min(cfg.batchSize, unavailableCap(cfg, p.total) - inFlight);
  if (slots <= 0) return { progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: input.pollMs };
  const next = pending.slice(0, slots);
  const keys = next.map(workloadKey);
  return {
    progress: {
      ...p,
      phase: 'Running',
      restarted: [...p.restarted, ...keys],
      pending: pending.length - next.length,
      batch: keys,
      batchStartedAt: iso(now),
    },
    restart: next,
    requeueAfterMs: input.pollMs,
  };
}
