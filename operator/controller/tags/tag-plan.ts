// What one IstioRevisionTag should become, from the tag and the IstioOperators installed: the tag's
// MutatingWebhookConfiguration and Service (or "leave them alone") and the tag's status. Pure.
//
// The webhook is only (re)pointed at a revision an IstioOperator installs and reports HEALTHY: its injector
// ConfigMap exists, so Meshwright's webhook can serve /inject/rev/<revision>. In every other case the
// existing webhook is left as it is (still injecting as the previous revision) and the status says why:
// pointing a failurePolicy=Fail webhook at a revision nobody serves would block every pod creation. The
// Service follows the same rule, so istiod's tag watcher and the webhook always name the same revision.
import type { PlainObject } from '../../../lib/istio/merge';
import type { InjectionTarget } from '../../render/injection/injection-target';
import { defaultOwnerConflict } from './default-validator';
import { tagService, tagServiceName } from '../../render/injection/tag-service';
import { tagWebhookConfiguration, tagWebhookName } from '../../render/injection/tag-webhook';

export const TAG_API_VERSION = 'meshwright.io/v1alpha1';
export const TAG_KIND = 'IstioRevisionTag';

/** An IstioOperator as the tag controller sees it. */
export interface RevisionInstall {
  /** namespace/name */
  readonly owner: string;
  /** spec.revision; '' for the default revision. */
  readonly revision: string;
  readonly status?: string;
  readonly version?: string;
  readonly deleting: boolean;
  /**
   * Whether it installs istiod (a Pilot component in its status); false for a gateways-only IstioOperator of
   * the revision, which a tag cannot point at. Unknown (no status yet) counts as true.
   */
  readonly controlPlane?: boolean;
  /** values.defaultRevision when set: the IstioOperator then renders the default webhook itself. */
  readonly defaultRevision?: string;
  /** The namespace its istiod runs in (istio-namespace.ts); istio-system when unknown. */
  readonly istiodNamespace?: string;
}

export interface TagInput {
  readonly name: string;
  readonly generation?: number;
  readonly spec: unknown;
}

export type TagState = 'Ready' | 'InvalidSpec' | 'RevisionNotFound' | 'RevisionNotReady' | 'Conflict';

export interface TagCondition {
  type: 'Ready';
  status: 'True' | 'False';
  reason: TagState;
  message: string;
}

export interface TagStatus {
  observedGeneration?: number;
  revision?: string;
  istioOperator?: string;
  istioVersion?: string;
  webhook: string;
  /** namespace/name of the tag's Service, once the revision's IstioOperator is known. */
  service?: string;
  state: TagState;
  conditions: TagCondition[];
}

export interface TagPlan {
  /** The webhook to apply; undefined leaves the live one (if any) untouched. */
  readonly webhook?: PlainObject;
  /** The Service to apply, exactly when there is a webhook to apply. */
  readonly service?: PlainObject;
  readonly status: TagStatus;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function planTag(
  tag: TagInput,
  installs: readonly RevisionInstall[],
  target: InjectionTarget,
  caFrom?: string,
): TagPlan {
  const webhook = tagWebhookName(tag.name);
  const base = { ...(tag.generation !== undefined ? { observedGeneration: tag.generation } : {}), webhook };
  const fail = (state: TagState, message: string, extra: Partial<TagStatus> = {}): TagPlan => ({
    status: {
      ...base,
      ...extra,
      state,
      conditions: [{ type: 'Ready', status: 'False', reason: state, message }],
    },
  });
  const spec = tag.spec !== null && typeof tag.spec === 'object' ? (tag.spec as Record<string, unknown>) : {};
  const revision = spec.revision;
  if (typeof revision !== 'string' || !DNS_LABEL.test(revision) || revision.length > 63)
    return fail(
      'InvalidSpec',
      `spec.revision must be a revision name (a DNS label), got ${JSON.stringify(revision)}`,
    );
  if (!DNS_LABEL.test(tag.name) || tag.name.length > 63)
    return fail(
      'InvalidSpec',
      `metadata.name ${JSON.stringify(tag.name)} is the tag, a label value: it must be a DNS label`,
    );
  const wanted = revision === 'default' ? '' : revision;
  if (tag.name === 'default') {
    const conflict = defaultOwnerConflict(
      true,
      installs
        .filter((i) => !i.deleting)
        .map((i) => ({ owner: i.owner, defaultRevision: i.defaultRevision ?? '' })),
    );
    if (conflict) return fail('Conflict', conflict, { revision });
  }
  installs = installs.filter((i) => i.controlPlane !== false);
  const shadowed = installs.filter(
    (i) => i.revision === tag.name || (tag.name === 'default' && i.revision === ''),
  );
  if (shadowed.length > 0) {
    const why =
      tag.name === 'default'
        ? `the default revision installed by ${shadowed.map((i) => i.owner).join(', ')} already serves istio-injection=enabled; a default tag would inject twice`
        : `a revision named ${tag.name} is installed by ${shadowed.map((i) => i.owner).join(', ')}; a tag cannot share a revision's name`;
    return fail('Conflict', why, { revision });
  }
  const matches = installs.filter((i) => i.revision === wanted);
  if (matches.length === 0)
    return fail(
      'RevisionNotFound',
      `no IstioOperator installs revision ${revision}; the tag's webhook is left as it was`,
      {
        revision,
      },
    );
  if (matches.length > 1)
    return fail(
      'Conflict',
      `revision ${revision} is installed by several IstioOperators: ${matches.map((i) => i.owner).join(', ')}`,
      {
        revision,
      },
    );
  const [iop] = matches;
  const namespace = iop.istiodNamespace ?? 'istio-system';
  const found = {
    revision,
    istioOperator: iop.owner,
    ...(iop.version !== undefined ? { istioVersion: iop.version } : {}),
    service: `${namespace}/${tagServiceName(tag.name)}`,
  };
  if (iop.deleting)
    return fail(
      'RevisionNotReady',
      `${iop.owner} (revision ${revision}) is being deleted; the tag's webhook is left as it was`,
      found,
    );
  if (iop.status !== 'HEALTHY')
    return fail(
      'RevisionNotReady',
      `${iop.owner} (revision ${revision}) is ${iop.status ?? 'not installed yet'}; the tag moves once it is HEALTHY`,
      found,
    );
  return {
    webhook: tagWebhookConfiguration({
      tag: tag.name,
      revision: wanted,
      target,
      ...(caFrom !== undefined ? { caFrom } : {}),
    }),
    service: tagService({ tag: tag.name, revision: wanted, namespace }),
    status: {
      ...base,
      ...found,
      state: 'Ready',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: `pods in namespaces labelled istio.io/rev=${tag.name}${tag.name === 'default' ? ' or istio-injection=enabled' : ''} get revision ${revision}'s sidecar`,
        },
      ],
    },
  };
}

/** The tags pointing at a revision (by their spec), for held deletion. */
export function tagsPointingAt(tags: readonly { name: string; spec: unknown }[], revision: string): string[] {
  const want = revision === '' ? 'default' : revision;
  return tags
    .filter((t) => {
      const r =
        t.spec !== null && typeof t.spec === 'object'
          ? (t.spec as Record<string, unknown>).revision
          : undefined;
      return r === want;
    })
    .map((t) => t.name)
    .sort();
}

/** The tags whose webhook calls `revision` now: Ready, and their status names it. */
export function tagsServing(
  tags: readonly { metadata?: { name?: string }; status?: unknown }[],
  revision: string,
): string[] {
  const want = revision === '' ? 'default' : revision;
  return tags
    .filter((t) => {
      const st =
        t.status !== null && typeof t.status === 'object' ? (t.status as Record<string, unknown>) : {};
      return st.state === 'Ready' && st.revision === want;
    })
    .map((t) => t.metadata?.name ?? '')
    .filter((n) => n !== '')
    .sort();
}
