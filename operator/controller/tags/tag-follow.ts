// A gateways-only IstioOperator that follows a revision tag: annotated `meshwright.io/revision-tag: <tag>`,
// it is rendered for the revision the tag's webhook serves now (the tag's status when Ready) and for that
// revision's release (the spec.tag / spec.hub of the IstioOperator installing it). When the tag moves, the
// next render differs and the gateway Deployment rolls in place. Pure.
//
// An annotation, not `spec.revision: <tag>`: upstream's spec.revision names a revision (istiod-<rev>, the
// istio.io/rev label), so an istioctl-style input keeps meaning what it means upstream.
import type { KubernetesObject } from '@kubernetes/client-node';

export const FOLLOW_TAG_ANNOTATION = 'meshwright.io/revision-tag';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Obj = KubernetesObject & { spec?: unknown; status?: unknown };

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** The tag an IstioOperator follows (its annotation), or undefined when it follows none. */
export function followedTag(iop: KubernetesObject): string | undefined {
  const v = iop.metadata?.annotations?.[FOLLOW_TAG_ANNOTATION];
  return v === undefined ? undefined : v;
}

export interface FollowedRelease {
  tag: string;
  revision: string;
  /** namespace/name of the IstioOperator installing the revision. */
  istioOperator: string;
  /** Copied from that IstioOperator; undefined when it sets none. */
  istioTag?: string;
  hub?: string;
}

export type FollowOutcome = { ok: true; release: FollowedRelease } | { ok: false; message: string };

/** The spec fields a tag-following IstioOperator must leave to the tag, named when set. */
function checkSpec(iop: Obj, tag: string): string | undefined {
  const where = `metadata.annotations[${FOLLOW_TAG_ANNOTATION}]`;
  if (!DNS_LABEL.test(tag) || tag.length > 63)
    return `${where} must name a revision tag (a DNS label), got ${JSON.stringify(tag)}`;
  const spec = record(iop.spec);
  for (const field of ['revision', 'tag'] as const) {
    if (spec[field] !== undefined && spec[field] !== '')
      return `spec.${field} must be unset when ${where} (${tag}) chooses the revision and its release; got ${JSON.stringify(spec[field])}`;
  }
  // A tag points at an istiod; an IstioOperator installing one of its own cannot follow another's.
  if (spec.profile !== 'empty')
    return `spec.profile must be "empty" (gateways only) when ${where} is set, got ${JSON.stringify(spec.profile ?? 'default')}`;
  return undefined;
}

/**
 * Resolves the tag `iop` follows against the tags and IstioOperators in the cluster. An error (a message
 * naming the tag or the field) means: render nothing new, keep what runs.
 */
export function resolveFollowedTag(
  iop: Obj,
  tags: readonly Obj[],
  iops: readonly Obj[],
): FollowOutcome | undefined {
  const tag = followedTag(iop);
  if (tag === undefined) return undefined;
  const bad = checkSpec(iop, tag);
  if (bad) return { ok: false, message: bad };
  const t = tags.find((x) => x.metadata?.name === tag);
  if (!t)
    return { ok: false, message: `IstioRevisionTag ${tag} does not exist; the gateways stay as they are` };
  const st = record(t.status);
  if (st.state !== 'Ready' || typeof st.revision !== 'string')
    return {
      ok: false,
      message: `IstioRevisionTag ${tag} is not Ready (${typeof st.state === 'string' ? st.state : 'no status yet'}); the gateways stay as they are`,
    };
  const revision = st.revision;
  const want = revision === 'default' ? '' : revision;
  const installs = iops.filter((o) => {
    if (o.metadata?.deletionTimestamp || followedTag(o) !== undefined) return false;
    const spec = record(o.spec);
    const r = typeof spec.revision === 'string' && spec.revision !== 'default' ? spec.revision : '';
    return r === want && spec.profile !== 'empty';
  });
  const named = typeof st.istioOperator === 'string' ? st.istioOperator : undefined;
  const owner = installs.find((o) => keyOf(o) === named) ?? (installs.length === 1 ? installs[0] : undefined);
  if (!owner)
    return {
      ok: false,
      message: `IstioRevisionTag ${tag} serves revision ${revision}, which no IstioOperator installs; the gateways stay as they are`,
    };
  const spec = record(owner.spec);
  const values = record(record(spec.values).global);
  const istioTag =
    typeof spec.tag === 'string' ? spec.tag : typeof values.tag === 'string' ? values.tag : undefined;
  const hub =
    typeof spec.hub === 'string' ? spec.hub : typeof values.hub === 'string' ? values.hub : undefined;
  return {
    ok: true,
    release: {
      tag,
      revision: want,
      istioOperator: keyOf(owner),
      ...(istioTag !== undefined ? { istioTag } : {}),
      ...(hub !== undefined ? { hub } : {}),
    },
  };
}

/** The IstioOperator as rendered for the release its tag resolves to (a copy; the input is not changed). */
export function withFollowedRelease<T extends Obj>(iop: T, release: FollowedRelease): T {
  const spec = { ...record(iop.spec) };
  if (release.revision !== '') spec.revision = release.revision;
  else delete spec.revision;
  if (release.istioTag !== undefined) spec.tag = release.istioTag;
  if (release.hub !== undefined && spec.hub === undefined) spec.hub = release.hub;
  return { ...iop, spec };
}

/**
 * The tag-following IstioOperators whose gateways use `revision` now (their tag's status serves it), for
 * the deletion hold of the IstioOperator installing that revision.
 */
export function followersOf(iops: readonly Obj[], tags: readonly Obj[], revision: string): string[] {
  const want = revision === '' ? 'default' : revision;
  const serving = new Set(
    tags
      .filter((t) => {
        // The revision its webhook serves (status) and the one it is moving to (spec): both are in use.
        return record(t.status).revision === want || record(t.spec).revision === want;
      })
      .map((t) => t.metadata?.name ?? ''),
  );
  return iops
    .filter((o) => !o.metadata?.deletionTimestamp)
    .filter((o) => {
      const tag = followedTag(o);
      return tag !== undefined && serving.has(tag);
    })
    .map(keyOf)
    .sort();
}
