// A stable hash of a desired object, written as an annotation when it is applied. Equal hashes mean
// the controller's intent did not change since the last apply; together with live-match.ts (has
// anyone changed what we set?) it decides that an apply can be skipped.
import { createHash } from 'crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stableJson } from '../../../lib/stable-json';

export function appliedHash(desired: KubernetesObject): string {
  return createHash('sha256').update(stableJson(desired)).digest('hex').slice(0, 20);
}
