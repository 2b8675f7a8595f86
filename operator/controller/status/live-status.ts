// The status as read back from the apiserver. Conditions may carry Date or string times depending on
// which client read them, so both are accepted.
import type { V1Condition } from '@kubernetes/client-node';
import type { ComponentStatus, InstallStatus } from '../../api/types';
import type { StatusCondition } from './conditions';

export interface LiveStatus {
  status?: InstallStatus;
  message?: string;
  observedGeneration?: number;
  componentStatus?: Record<string, ComponentStatus>;
  conditions?: (V1Condition | StatusCondition)[];
}
