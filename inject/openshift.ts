// OpenShift assigns each namespace a UID range (restricted SCC); the proxy must run with a UID from it.
// istiod uses the last UID of the range (and of the supplemental-group range for the GID).
import type { V1Namespace } from '@kubernetes/client-node';

export const UID_RANGE = 'openshift.io/sa.scc.uid-range';
export const SUPPLEMENTAL_GROUPS = 'openshift.io/sa.scc.supplemental-groups';

export function openshiftProxyIds(ns: V1Namespace | undefined): { uid?: number; gid?: number } {
  const a = ns?.metadata?.annotations ?? {};
  return { uid: lastOfRange(a[UID_RANGE]), gid: lastOfRange(a[SUPPLEMENTAL_GROUPS]) };
}

/** "1000620000/10000" (start/size) or "1000620000-1000629999" (start-end) -> the last id. */
export function lastOfRange(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  // Several comma-separated ranges may be listed; the first one is used.
  const first = raw.split(',')[0].trim();
  let m = /^(\d+)\/(\d+)$/.exec(first);
  if (m) return Number(m[1]) + Number(m[2]) - 1;
  m = /^(\d+)-(\d+)$/.exec(first);
  if (m) return Number(m[2]);
  return undefined;
}
