// The status as read back from the apiserver: the wire type of operator/api/types.ts, except that
// conditions may carry Date or string times depending on which client read them. Keys a newer operator
// wrote under status.meshwright (the CRD preserves them) are left alone: merge patches never name them.
import type { V1Condition } from '@kubernetes/client-node';
import type { IstioOperatorStatus } from '../../api/types';
import type { StatusCondition } from './conditions';

export interface LiveStatus extends Omit<IstioOperatorStatus, 'conditions'> {
  conditions?: (V1Condition | StatusCondition)[];
}
