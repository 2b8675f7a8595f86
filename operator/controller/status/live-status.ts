// The status as read back from the apiserver. Conditions may carry Date or string times depending on
// which client read them, so both are accepted.
import type { V1Condition } from '@kubernetes/client-node';
import type { ComponentStatus, InstallStatus } from '../../api/types';
import type { CrdNote } from '../apply/crd-versions';
import type { RolloutProgress } from '../rollout/rollout-step';
import type { SidecarCounts } from '../rollout/sidecar-rollout';
import type { StatusCondition } from './conditions';
import type { InjectionVersion } from './injection-version';

export interface LiveStatus {
  status?: InstallStatus;
  message?: string;
  observedGeneration?: number;
  componentStatus?: Record<string, ComponentStatus>;
  conditions?: (V1Condition | StatusCondition)[];
  /** Meshwright's own observations; other keys may be written by other features. */
  meshwright?: {
    version?: string;
    injection?: InjectionVersion;
    sidecars?: SidecarCounts;
    sidecarRollout?: RolloutProgress;
    crds?: CrdNote;
    [key: string]: unknown;
  };
}
