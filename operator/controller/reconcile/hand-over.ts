// Before pruning or uninstalling, objects another IstioOperator also renders (shared-objects.ts) are handed
// over to it instead of deleted: the adapter that renders the others and relabels what they take.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { describeObject } from '../apply/object-key';
import { LABEL_OWNING_NAMESPACE, LABEL_OWNING_RESOURCE, ownerKey, parseOwnerKey } from '../apply/ownership';
import { planObject } from '../apply/plan';
import { refOf, type KubeClient } from '../kube/kube-client';
import { listIstioOperators } from './cluster-reads';
import type { RenderFn } from './desired';
import { planHandOver, type RenderedBy } from './shared-objects';

/**
 * Hands the objects of `doomed` that another, not deleted IstioOperator renders over to it and returns the
 * rest, to be deleted. The others are rendered here (memoized by the render cache), only when something is
 * about to be deleted; one that cannot render is skipped (it is reported on its own).
 */
export async function handOverShared(
  o: { client: KubeClient; render: RenderFn },
  self: string,
  doomed: KubernetesObject[],
  log: Logger,
): Promise<KubernetesObject[]> {
  const elsewhere = new Map<string, RenderedBy>();
  const others = (await listIstioOperators(o.client)).filter((x) => !x.metadata?.deletionTimestamp);
  for (const other of others) {
    const owner = { namespace: other.metadata?.namespace ?? '', name: other.metadata?.name ?? '' };
    if (ownerKey(owner) === self) continue;
    const r = await o.render(other);
    if (!r.ok) continue;
    for (const c of r.desired.components)
      for (const obj of c.objects) {
        const key = planObject(c.component, obj).key;
        if (!elsewhere.has(key)) elsewhere.set(key, { owner, component: c.component });
      }
  }
  const plan = planHandOver(parseOwnerKey(self), doomed, elsewhere);
  for (const h of plan.handOver) {
    await o.client.mergePatch(refOf(h.obj), { metadata: { labels: h.labels } });
    log.info('handed a shared object over instead of deleting it', {
      object: describeObject(h.obj),
      to: `${h.labels[LABEL_OWNING_NAMESPACE]}/${h.labels[LABEL_OWNING_RESOURCE]}`,
    });
  }
  return plan.remove;
}
