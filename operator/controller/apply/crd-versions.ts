// Istio's CRDs across versions: several IstioOperators may render the same CRDs from different releases.
// The installed CRDs are the newest release's among them, so an older IstioOperator never downgrades a
// CRD a newer one applied, and a newer one upgrades what an older one applied. The release is read from
// the `operator.istio.io/version` label the chart render stamps; when either side has none (the built-in
// renderer, CRDs installed by hand) nothing is judged and ownership decides, as before. Pure.
import type { KubernetesObject } from '@kubernetes/client-node';
import { compareIstioVersions, parseIstioVersion } from '../../../release/version';
import { LABELS } from '../../../lib/istio/names';

export const LABEL_ISTIO_VERSION = LABELS.istioVersion;

export type CrdVersionOrder = 'live-newer' | 'live-older' | 'same' | 'unknown';

export function istioVersionOf(o: KubernetesObject | undefined): string | undefined {
  return o?.metadata?.labels?.[LABEL_ISTIO_VERSION];
}

/** How the live CRD's Istio release compares with the rendered one's. */
export function compareCrdVersions(desired: KubernetesObject, live: KubernetesObject): CrdVersionOrder {
  const d = parseIstioVersion(istioVersionOf(desired));
  const l = parseIstioVersion(istioVersionOf(live));
  if (!d || !l) return 'unknown';
  const c = compareIstioVersions(l, d);
  return c > 0 ? 'live-newer' : c < 0 ? 'live-older' : 'same';
}

export type CrdApply =
  /** Apply the rendered CRD (ours, or upgrading another IstioOperator's older one). */
  | { action: 'apply' }
  /** Leave it to the other IstioOperator that owns it (same or unknown release). */
  | { action: 'leave' }
  /** Keep the newer live CRD; `adopt` when nobody owns it any more, so this IstioOperator takes it as is. */
  | { action: 'keep-newer'; liveVersion: string; adopt: boolean };

/**
 * What to do with a rendered CRD that must be applied (missing from, or changed in, this IstioOperator's
 * objects). `live` is the object in the cluster (undefined: absent); `otherOwner` whether another
 * IstioOperator that still exists owns it.
 */
export function decideCrdApply(
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
  otherOwner: boolean,
): CrdApply {
  if (!live) return { action: 'apply' };
  const order = compareCrdVersions(desired, live);
  if (order === 'live-newer')
    return { action: 'keep-newer', liveVersion: istioVersionOf(live) ?? '', adopt: !otherOwner };
  if (otherOwner && order !== 'live-older') return { action: 'leave' };
  return { action: 'apply' };
}

/** The note in status.meshwright.crds while CRDs newer than this IstioOperator's release are kept. */
export interface CrdNote {
  /** How many rendered CRDs are kept at a newer release. */
  keptNewer: number;
  /** The newest release among them. */
  version: string;
  message: string;
}

export function crdNote(
  kept: readonly { name: string; liveVersion: string }[],
  ownVersion: string,
): CrdNote | undefined {
  if (kept.length === 0) return undefined;
  const versions = [...new Set(kept.map((k) => k.liveVersion))];
  const newest = versions.reduce((a, b) => {
    const pa = parseIstioVersion(a);
    const pb = parseIstioVersion(b);
    return pa && pb && compareIstioVersions(pb, pa) > 0 ? b : a;
  });
  return {
    keptNewer: kept.length,
    version: newest,
    message:
      `${kept.length} CRD(s) kept at Istio ${versions.join(', ')}, newer than this IstioOperator's ` +
      `${ownVersion}: CRDs are never downgraded`,
  };
}
