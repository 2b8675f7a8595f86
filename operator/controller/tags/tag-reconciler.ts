// Reconciles one IstioRevisionTag (the key is its name): reads the tag and the IstioOperators, plans
// (tag-plan.ts), server-side applies the tag's webhook and Service when the plan says so and writes the
// status when it changed. A deleted tag's webhook and Service are deleted, but only those this controller
// made (its owner label); so is its Service left in a namespace the tag's revision no longer runs in.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { InjectionTarget } from '../../render/injection/injection-target';
import { tagServiceName } from '../../render/injection/tag-service';
import { LABEL_TAG, LABEL_TAG_OWNER, tagWebhookName } from '../../render/injection/tag-webhook';
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
import { istiodNamespaceOf, istioNamespaceOf } from './istio-namespace';
import { followedTag } from './tag-follow';
import { planTag, TAG_API_VERSION, TAG_KIND, type RevisionInstall, type TagStatus } from './tag-plan';

/** The field manager of tag webhooks (not the IstioOperators' one: they never own these). */
export const TAG_FIELD_MANAGER = 'meshwright-revision-tags';
const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };
const SERVICE = { apiVersion: 'v1', kind: 'Service' };

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
    istiodNamespace: istiodNamespaceOf(iop),
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
    o.service,
    o.state,
    conds.map((c) => [c.type, c.status, c.reason, c.message]),
  ]);
}

export class TagReconciler implements Reconciler {
  constructor(private readonly o: TagReconcilerOptions) {}

  /**
   * Another owner of this tag's webhook or Service (`services`: those labelled with the tag), or another
   * webhook that would make this tag's webhook a second injector, described; else undefined.
   */
  private async conflict(name: string, services: readonly KubernetesObject[]): Promise<string | undefined> {
    const live = await this.o.client.get({ ...MWC, name: tagWebhookName(name) });
    // The tag is also rendered by an IstioOperator's values.revisionTags: two owners would fight. Its
    // Service alone counts too (the chart with resourceScope=namespace renders no webhook): the istiod it
    // selects would claim the tag.
    const owned = [live, ...services.filter((s) => s.metadata?.name === tagServiceName(name))].find(
      (o) =>
        o?.metadata?.labels?.[LABEL_OWNING_RESOURCE] !== undefined &&
        o.metadata.labels[LABEL_TAG_OWNER] === undefined,
    );
    if (owned) {
      const labels = owned.metadata?.labels ?? {};
      const what =
        owned === live
          ? tagWebhookName(name)
          : `Service ${owned.metadata?.namespace ?? ''}/${tagServiceName(name)}`;
      return `${what} is installed by IstioOperator ${labels[LABEL_OWNING_NAMESPACE] ?? ''}/${labels[LABEL_OWNING_RESOURCE] ?? ''} (values.revisionTags); remove the tag there or delete this IstioRevisionTag`;
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
    const ns = istioNamespaceOf(iop ?? {});
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

  /**
   * Applies the tag's Service (moving a tag is one update of it: labels and selector), then deletes this
   * tag's Services elsewhere: its revision's istiod moved namespace, and the Service left behind would
   * keep the old istiod claiming the tag. New first: the tag is never without one.
   */
  private async applyService(
    name: string,
    service: PlainObject,
    labelled: readonly KubernetesObject[],
  ): Promise<void> {
    await this.o.client.apply(service as KubernetesObject, TAG_FIELD_MANAGER, true);
    const namespace = (service.metadata as { namespace?: string }).namespace;
    for (const svc of labelled)
      if (svc.metadata?.labels?.[LABEL_TAG_OWNER] === name && svc.metadata.namespace !== namespace)
        await this.deleteService(svc, "deleted a revision tag's Service its revision no longer runs beside");
  }

  private async deleteService(svc: KubernetesObject, why: string): Promise<void> {
    const ref = { ...SERVICE, namespace: svc.metadata?.namespace, name: svc.metadata?.name ?? '' };
    if (await this.o.client.delete(ref))
      this.o.log.info(why, { service: `${ref.namespace ?? ''}/${ref.name}` });
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
      // By the owner label, in every namespace: the deleted tag's status (which names it) is gone.
      const own = await client.list(SERVICE.apiVersion, SERVICE.kind, `${LABEL_TAG_OWNER}=${name}`);
      for (const svc of own.items)
        await this.deleteService(svc, 'deleted the Service of a deleted revision tag');
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
      const services = (await client.list(SERVICE.apiVersion, SERVICE.kind, `${LABEL_TAG}=${name}`)).items;
      const conflict = await this.conflict(name, services);
      if (conflict) {
        status = {
          ...plan.status,
          state: 'Conflict',
          conditions: [{ type: 'Ready', status: 'False', reason: 'Conflict', message: conflict }],
        };
      } else {
        await client.apply(plan.webhook as KubernetesObject, TAG_FIELD_MANAGER, true);
        if (plan.service) await this.applyService(name, plan.service, services);
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
    ['revision', 'istioOperator', 'istioVersion', 'service']
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
