// What one reconcile pass found for each component; the input of the status computation.
import type { CrdNote } from '../apply/crd-versions';
import type { RolloutProgress } from '../rollout/rollout-step';
import type { SidecarCounts } from '../rollout/sidecar-rollout';

export type ComponentOutcome =
  /** Every object applied (or already up to date) and every workload ready. */
  | { component: string; state: 'ready' }
  /** Applied, workloads not ready yet. `changed`: this pass wrote to objects that already existed. */
  | { component: string; state: 'progressing'; reason: string; changed: boolean }
  /** Not applied in this pass because an earlier install stage is not done. */
  | { component: string; state: 'waiting'; reason: string }
  /** The apiserver rejected an object, or a workload stayed unready past the deadline. */
  | { component: string; state: 'error'; message: string };

export interface PassResult {
  generation: number;
  /** The Istio version the IstioOperator asks for (istio-version.ts), shown in status.meshwright.version. */
  version?: string;
  /** Spec or render failure: nothing could be applied. */
  invalid?: { reason: 'InvalidSpec' | 'RenderFailed'; message: string };
  /** A version change Istio does not support (upgrade-decision.ts): nothing applied, a human must act. */
  refused?: { message: string };
  /** Rendered CRDs kept at a newer release than this IstioOperator's (never downgraded). */
  crds?: CrdNote;
  outcomes: ComponentOutcome[];
  /** Sidecar census and rollout progress; undefined when not observed in this pass (kept as they were). */
  sidecars?: { counts: SidecarCounts; rollout?: RolloutProgress };
}
