// Standard Kubernetes conditions. lastTransitionTime changes only when a condition's status flips,
// so an unchanged condition does not make the status look changed (and cause a write).
import type { V1Condition } from '@kubernetes/client-node';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Wire form of a condition; lastTransitionTime is an RFC 3339 string as the apiserver returns it. */
export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration: number;
}

function previousTime(prev: V1Condition | StatusCondition | undefined): string | undefined {
  const t: unknown = prev?.lastTransitionTime;
  if (t instanceof Date) return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return typeof t === 'string' ? t : undefined;
}

export function setConditions(
  previous: readonly (V1Condition | StatusCondition)[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  now: string,
): StatusCondition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const keep = prev && prev.status === c.status ? previousTime(prev) : undefined;
    return { ...c, lastTransitionTime: keep ?? now, observedGeneration: generation };
  });
}

/** RFC 3339 with second precision, the format metav1.Time serialises to. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
