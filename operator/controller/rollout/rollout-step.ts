// The gradual sidecar rollout as a pure step function over its persisted progress (kept in
// status.meshwright.sidecarRollout, so an operator restart resumes where it stopped). One call per
// reconcile pass: it decides which workloads to restart now, what the progress becomes, and which
// Events tell about it (batch started, batch completed, halted, complete).
//   Idle      nothing to do (disabled, or no outdated workload)
//   Running   a batch is rolling out, or the pause between batches is running
//   Paused    the control plane is not HEALTHY: no new batch starts
//   Halted    a batch missed readyTimeoutSeconds: nothing more is restarted (ACTION_REQUIRED) until
//             the stuck workloads recover or the spec changes
//   Complete  every outdated workload of this target that may be restarted was restarted
// Opted-out workloads (opt-out.ts) are outdated but never candidates; they are listed, not counted in
// total/pending.
import type { EventSpec } from '../status/status-events';
import type { RolloutConfig } from './rollout-config';
import { unavailableCap } from './rollout-config';
import { workloadKey, type WorkloadRef } from './outdated';

export type RolloutPhase = 'Idle' | 'Running' | 'Paused' | 'Halted' | 'Complete';

/** Opted-out workloads listed in status; the count covers them all. */
export const OPTED_OUT_LISTED = 10;

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
  /** Batches started for this target (the current or last one's number). */
  batches?: number;
  batchStartedAt?: string;
  lastBatchTime?: string;
  stuck: string[];
  haltedGeneration?: number;
  /** Outdated workloads that opted out (the first OPTED_OUT_LISTED, sorted), never restarted. */
  optedOut?: string[];
  optedOutCount?: number;
  /** Opt-outs by a value that is neither disabled nor enabled, with what is wrong ("key: reason"). */
  invalidOptOuts?: string[];
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
  /** Outdated workloads that must not be restarted: key -> why (opt-out.ts). */
  optedOut?: ReadonlyMap<string, string>;
  /**
   * Workloads whose live object already carries this target's restart stamp: restarted by an earlier
   * pass whose status write was lost (e.g. the operator was killed in between). Never restarted again.
   */
  stamped?: ReadonlySet<string>;
}

export interface RolloutDecision {
  progress: RolloutProgress;
  restart: WorkloadRef[];
  requeueAfterMs?: number;
  events: EventSpec[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function fresh(input: RolloutInput, target: string): RolloutProgress {
  return {
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
}

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
      : fresh(input, target);
  const prevPhase = sameTarget ? input.prev?.phase : undefined;
  const events: EventSpec[] = [];

  // A stamped workload was restarted for this target already: it joins the cursor, unpatched, and
  // those still rolling out become the batch to wait for (their pass's progress was lost).
  // Every stamped one counts, outdated or not: one whose new pods all run the new sidecar before this
  // census is no longer outdated, and was still restarted for this target.
  const recovered: string[] = [];
  const outdatedKeys = input.outdated.map(workloadKey);
  const stampedKeys = [...(input.stamped ?? [])];
  for (const key of [
    ...outdatedKeys.filter((k) => input.stamped?.has(k)),
    ...stampedKeys.filter((k) => !outdatedKeys.includes(k)).sort(),
  ]) {
    if (!p.restarted.includes(key)) recovered.push(key);
  }
  p.restarted.push(...recovered);
  const inFlightRecovered = recovered.filter((k) => !input.done(k));
  if (p.batch.length === 0 && inFlightRecovered.length > 0) {
    p.batch = inFlightRecovered;
    p.batches = (p.batches ?? 0) + 1;
    p.batchStartedAt = iso(now);
  }
  const optedOut = input.optedOut ?? new Map<string, string>();
  const optedOutKeys = input.outdated
    .map(workloadKey)
    .filter((k) => optedOut.has(k))
    .sort();
  delete p.optedOut;
  delete p.optedOutCount;
  delete p.invalidOptOuts;
  if (optedOutKeys.length > 0) {
    p.optedOut = optedOutKeys.slice(0, OPTED_OUT_LISTED);
    p.optedOutCount = optedOutKeys.length;
  }
  const invalid = optedOutKeys
    .filter((k) => optedOut.get(k)?.startsWith('invalid'))
    .map((k) => `${k}: ${optedOut.get(k)}`);
  if (invalid.length > 0) {
    p.invalidOptOuts = invalid;
    if (JSON.stringify(invalid) !== JSON.stringify(input.prev?.invalidOptOuts ?? []))
      events.push({ type: 'Warning', reason: 'SidecarRolloutOptOutInvalid', message: invalid.join('; ') });
  }

  const pending = input.outdated.filter((w) => {
    const key = workloadKey(w);
    return !p.restarted.includes(key) && !optedOut.has(key);
  });
  p.pending = pending.length;
  p.total = p.restarted.length + pending.length;
  const idleOrComplete = (): RolloutPhase =>
    pending.length === 0 && p.restarted.length > 0 ? 'Complete' : 'Idle';
  const finish = (d: Omit<RolloutDecision, 'events'>): RolloutDecision => {
    if (d.progress.phase === 'Complete' && prevPhase !== 'Complete' && cfg.enabled) {
      const skipped = d.progress.optedOutCount ? `, ${d.progress.optedOutCount} opted out` : '';
      events.push({
        type: 'Normal',
        reason: 'SidecarRolloutComplete',
        message: `every outdated workload restarted for ${input.targetImage} (${d.progress.restarted.length}${skipped})`,
      });
    }
    return { ...d, events };
  };
  const progressText = () => `${p.restarted.length} of ${p.total} restarted`;

  if (!cfg.enabled) {
    return finish({
      progress: {
        ...p,
        phase: idleOrComplete(),
        batch: [],
        stuck: [],
        batchStartedAt: undefined,
        haltedGeneration: undefined,
      },
      restart: [],
    });
  }

  if (p.batch.length > 0) {
    const notDone = p.batch.filter((k) => !input.done(k));
    const started = p.batchStartedAt ? Date.parse(p.batchStartedAt) : now;
    if (notDone.length === 0) {
      events.push({
        type: 'Normal',
        reason: 'SidecarRolloutBatchCompleted',
        message: `batch ${p.batches ?? 1} completed: ${p.batch.join(', ')} (${progressText()})`,
      });
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
      if (prevPhase !== 'Halted') {
        events.push({
          type: 'Warning',
          reason: 'SidecarRolloutHalted',
          message:
            `batch ${p.batches ?? 1} halted: pods not Ready within ${cfg.readyTimeoutMs / 1000}s: ` +
            `${notDone.join(', ')}; nothing more is restarted until they recover or the spec changes`,
        });
      }
      return finish({
        progress: {
          ...p,
          phase: 'Halted',
          stuck: notDone,
          haltedGeneration: p.haltedGeneration ?? input.generation,
        },
        restart: [],
        requeueAfterMs: input.pollMs,
      });
    } else {
      return finish({ progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: input.pollMs });
    }
  }

  if (!input.healthy)
    return finish({
      progress: { ...p, phase: pending.length > 0 ? 'Paused' : idleOrComplete() },
      restart: [],
    });
  if (pending.length === 0) return finish({ progress: { ...p, phase: idleOrComplete() }, restart: [] });

  if (p.lastBatchTime) {
    const wait = Date.parse(p.lastBatchTime) + cfg.pauseMs - now;
    if (wait > 0) return finish({ progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: wait });
  }
  const inFlight = p.restarted.filter((k) => !input.done(k)).length;
  const slots = Math.min(cfg.batchSize, unavailableCap(cfg, p.total) - inFlight);
  if (slots <= 0)
    return finish({ progress: { ...p, phase: 'Running' }, restart: [], requeueAfterMs: input.pollMs });
  const next = pending.slice(0, slots);
  const keys = next.map(workloadKey);
  const batches = (p.batches ?? 0) + 1;
  const restarted = [...p.restarted, ...keys];
  const skipped = p.optedOutCount ? `, ${p.optedOutCount} opted out` : '';
  events.push({
    type: 'Normal',
    reason: 'SidecarRollout',
    message:
      `batch ${batches} started: restarting ${keys.join(', ')} to pick up ${input.targetImage} ` +
      `(${restarted.length} of ${p.total} restarted${skipped})`,
  });
  return finish({
    progress: {
      ...p,
      phase: 'Running',
      restarted,
      pending: pending.length - next.length,
      batch: keys,
      batches,
      batchStartedAt: iso(now),
    },
    restart: next,
    requeueAfterMs: input.pollMs,
  });
}
