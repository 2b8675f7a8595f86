// Reconciles one IstioRevisionTag (the key is its name): reads the tag and the IstioOperators, plans
// (tag-plan.ts), server-side applies the tag's webhook when the plan says so and writes the status when it
// changed. A deleted tag's webhook is deleted, but only one this controller made (its owner label).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { InjectionTarget } from '../../render/injection/injection-target';
import { LABEL_TAG_OWNER, tagWebhookName } from '../../render/injection/tag-webhook';
import { LABEL_OWNING_NAMESPACE, LABEL_OWNING_RESOURCE } from '../apply/ownership';
import type { KubeClient } from '../kube/kube-client';
import type { ReconcileResult } from '../reconcile/reconciler';
import type { Reconciler } from '../runtime/worker';
import { IOP_KIND } from '../runtime/watches';
import type { PlainObject } from '../../../lib/istio/merge';
import {
  DEFAULT_VALIDATOR_NAME,
  defaultRevisionOf,
  defaultValidator,
  revisionValidatorName,
} from './default-validator';
import { followedTag } from './tag-follow';
import { planTag, TAG_API_VERSION, TAG_KIND, type RevisionInstall, type TagStatus } from './tag-plan';

/** The field manager of tag webhooks (not the IstioOperators' one: they never own these). */
export const TAG_FIELD_MANAGER = 'meshwright-revision-tags';
const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };

export interface TagReconcilerOptions {
  client: KubeClient;
  target: InjectionTarget;
  caFrom?: string;
  log: Logger;
}

type WithSpec = KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

/** An IstioOperator as the tag plan sees it. */
export function revisionInstall(iop: WithSpec): RevisionInstall {
  const spec = (iop.spec ?? {}) as { revision?: unknown };
  const status = (iop.status ?? {}) as {
    status?: unknown;
    componentStatus?: Record<string, unknown>;
    meshwright?: { version?: unknown };
  };
  const revision = typeof spec.revision === 'string' && spec.revision !== 'default' ? spec.revision : '';
  return {
    owner: `${iop.metadata?.namespace ?? ''}/${iop.metadata?.name ?? ''}`,
    revision,
    ...(typeof status.status === 'string' ? { status: status.status } : {}),
    ...(typeof status.meshwright?.version === 'string' ? { version: status.meshwright.version } : {}),
    deleting: iop.metadata?.deletionTimestamp !== undefined,
    ...(status.componentStatus ? { controlPlane: 'Pilot' in status.componentStatus } : {}),
    ...(defaultRevisionOf(iop) !== '' ? { defaultRevision: defaultRevisionOf(iop) } : {}),
  };
}

/** The status fields the controller owns, for comparison (condition times and order aside). */
function comparable(s: unknown): string {
  const o = (s ?? {}) as Record<string, unknown>;
  const conds = Array.isArray(o.conditions) ? (o.conditions as Record<string, unknown>[]) : [];
  return JSON.stringify([
    o.observedGeneration,
    o.revision,
    o.istioOperator,
    o.istioVersion,
    o.webhook,
    o.state,
    conds.map((c) => [c.type, c.status, c.reason, c.message]),
  ]);
}

export class TagReconciler implements Reconciler {
  constructor(private readonly o: TagReconcilerOptions) {}

  /** Another webhook that would make this tag's webhook a second injector, described; else undefined. */
  private async webhookConflict(name: string): Promise<string | undefined> {
    const live = await this.o.client.get({ ...MWC, name: tagWebhookName(name) });
    const owner = live?.metadata?.labels?.[LABEL_OWNING_RESOURCE];
    if (owner !== undefined && live?.metadata?.labels?.[LABEL_TAG_OWNER] === undefined) {
      // The tag is also rendered by an IstioOperator's values.revisionTags: two owners would fight.
      const ns = live?.metadata?.labels?.[LABEL_OWNING_NAMESPACE] ?? '';
      return `${tagWebhookName(name)} is installed by IstioOperator ${ns}/${owner} (values.revisionTags); remove the tag there or delete this IstioRevisionTag`;
    }
    if (name === 'default' && (await this.o.client.get({ ...MWC, name: STATIC_INJECTOR }))) {
      // Both would serve istio-injection=enabled namespaces: every pod there would be injected twice.
      return `the static webhook ${STATIC_INJECTOR} (config/webhook/standalone) also serves istio-injection=enabled; delete it before using the default tag`;
    }
    return undefined;
  }

  /**
   * Tag default chooses the default validator: `istiod-default-validator` derived from the revision's own
   * live validator. A revision without one (config validation off, or not applied yet) leaves the current
   * default validator as it is; the next reconcile retries.
   */
  private async applyDefaultValidator(revision: string, iop: WithSpec | undefined): Promise<void> {
    const values = ((iop?.spec ?? {}) as { values?: { global?: { istioNamespace?: unknown } } }).values;
    const ns =
      typeof values?.global?.istioNamespace === 'string' ? values.global.istioNamespace : 'istio-system';
    const rev = revision === 'default' ? '' : revision;
    const own = await this.o.client.get({ ...VWC, name: revisionValidatorName(rev, ns) });
    if (!own) {
      this.o.log.info('default tag: the revision has no validator yet, default validator left as it is', {
        validator: revisionValidatorName(rev, ns),
      });
      return;
    }
    const body = defaultValidator(own as unknown as PlainObject, rev);
    await this.o.client.apply(body as KubernetesObject, TAG_FIELD_MANAGER, true);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const { client } = this.o;
    const tag = (await client.get({ apiVersion: TAG_API_VERSION, kind: TAG_KIND, name })) as
      WithSpec | undefined;
    if (!tag || tag.metadata?.deletionTimestamp) {
      const live = await client.get({ ...MWC, name: tagWebhookName(name) });
      if (live && live.metadata?.labels?.[LABEL_TAG_OWNER] === name) {
        await client.delete({ ...MWC, name: tagWebhookName(name) });
        this.o.log.info('deleted the webhook of a deleted revision tag', { tag: name });
      }
      if (name === 'default') {
        const validator = await client.get({ ...VWC, name: DEFAULT_VALIDATOR_NAME });
        if (validator?.metadata?.labels?.[LABEL_TAG_OWNER] === 'default') {
          await client.delete({ ...VWC, name: DEFAULT_VALIDATOR_NAME });
          this.o.log.info('deleted the default validator of the deleted default tag');
        }
      }
      return {};
    }
    const iops = await client.list(IOP_KIND.apiVersion, IOP_KIND.kind);
    const plan = planTag(
      { name, generation: tag.metadata?.generation, spec: tag.spec },
      // Tag-following (gateways-only) IstioOperators install no revision a tag could point at.
      iops.items.filter((i) => followedTag(i) === undefined).map((i) => revisionInstall(i as WithSpec)),
      this.o.target,
      this.o.caFrom,
    );
    let status = plan.status;
    if (plan.webhook) {
      const conflict = await this.webhookConflict(name);
      if (conflict) {
        status = {
          ...plan.status,
          state: 'Conflict',
          conditions: [{ type: 'Ready', status: 'False', reason: 'Conflict', message: conflict }],
        };
      } else {
        await client.apply(plan.webhook as KubernetesObject, TAG_FIELD_MANAGER, true);
        if (name === 'default' && status.istioOperator !== undefined) {
          const owner = iops.items.find(
            (i) => `${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}` === status.istioOperator,
          ) as WithSpec | undefined;
          await this.applyDefaultValidator(status.revision ?? '', owner);
        }
      }
    }
    if (comparable(tag.status) !== comparable(status)) {
      await client.mergePatch(
        { apiVersion: TAG_API_VERSION, kind: TAG_KIND, name },
        { status: withTimes(status, tag.status) },
        'status',
      );
      this.o.log.info('revision tag', {
        tag: name,
        state: status.state,
        revision: status.revision ?? '',
      });
    }
    return {};
  }
}

/** The static default-revision webhook (config/webhook/standalone; no longer deployed by config/ or the chart). */
export const STATIC_INJECTOR = 'meshwright-sidecar-injector';

/** Keeps a condition's lastTransitionTime while its status does not change. */
function withTimes(next: TagStatus, live: Record<string, unknown> | undefined): Record<string, unknown> {
  const liveConds = Array.isArray(live?.conditions) ? (live.conditions as Record<string, unknown>[]) : [];
  const now = new Date().toISOString();
  // A merge patch keeps keys it does not name: clear what the new status no longer has.
  const cleared = Object.fromEntries(
    ['revision', 'istioOperator', 'istioVersion']
      .filter((k) => live?.[k] !== undefined && !(k in next))
      .map((k) => [k, null]),
  );
  return {
    ...cleared,
    ...next,
    conditions: next.conditions.map((c) => {
      const old = liveConds.find((l) => l.type === c.type);
      const since =
        old && old.status === c.status && typeof old.lastTransitionTime === 'string'
          ? old.lastTransitionTime
          : now;
      return {
        ...c,
        lastTransitionTime: since,
        ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
      };
    }),
  };
}
