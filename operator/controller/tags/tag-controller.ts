// The IstioRevisionTag controller, a registration on runtime/controller: watches on the tags, the
// IstioOperators (a revision becoming HEALTHY, appearing or going away can move or hold every tag), the
// tag webhooks and the tag Services (a deleted or edited one is repaired), keyed by tag name, one worker
// running TagReconciler.
// It runs beside the IstioOperator controller under the same leader.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeHttp } from '../../../lib/kube/http';
import type { Logger } from '../../../lib/log';
import { LABEL_TAG_OWNER } from '../../render/injection/tag-webhook';
import type { Clock } from '../clock';
import type { KubeClient } from '../kube/kube-client';
import type { ControllerMetrics } from '../metrics';
import type { ManagedKind } from '../reconcile/desired';
import { Controller } from '../runtime/controller';
import { IOP_KIND, kindWatch, type Watch } from '../runtime/watches';
import { TAG_API_VERSION, TAG_KIND } from './tag-plan';
import type { TagReconciler } from './tag-reconciler';

export const TAG_CONTROLLER_NAME = 'istiorevisiontag';

export const TAG_RESOURCE: ManagedKind = {
  apiVersion: TAG_API_VERSION,
  kind: TAG_KIND,
  plural: 'istiorevisiontags',
  namespaced: false,
};
const MWC_RESOURCE: ManagedKind = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  namespaced: false,
};
const SERVICE_RESOURCE: ManagedKind = {
  apiVersion: 'v1',
  kind: 'Service',
  plural: 'services',
  namespaced: true,
};

export interface TagControllerOptions {
  http: KubeHttp;
  client: KubeClient;
  reconciler: TagReconciler;
  resyncPeriodMs: number;
  clock: Clock;
  log: Logger;
  metrics: Pick<ControllerMetrics, 'reconciled' | 'queueObserver'>;
}

export class RevisionTagController {
  private readonly runtime: Controller;
  private readonly tags: Watch;

  constructor(private readonly o: TagControllerOptions) {
    this.runtime = new Controller({
      name: TAG_CONTROLLER_NAME,
      reconciler: o.reconciler,
      workers: 1,
      resyncPeriodMs: o.resyncPeriodMs,
      resync: () => this.enqueueAll(),
      clock: o.clock,
      log: o.log,
      metrics: o.metrics,
    });
    const enqueue = this.runtime.enqueue;
    this.tags = this.watch(TAG_RESOURCE, undefined, (o) => enqueue(o.metadata?.name));
    this.watch(IOP_KIND, undefined, () => this.enqueueAll());
    this.watch(MWC_RESOURCE, LABEL_TAG_OWNER, (o) => enqueue(o.metadata?.labels?.[LABEL_TAG_OWNER]));
    // Only the tag Services this controller made (its owner label), in every namespace.
    this.watch(SERVICE_RESOURCE, LABEL_TAG_OWNER, (o) => enqueue(o.metadata?.labels?.[LABEL_TAG_OWNER]));
  }

  synced(): boolean {
    return this.runtime.synced();
  }

  start(term?: AbortSignal): Promise<void> {
    return this.runtime.start(term);
  }

  stop(opts?: { cancel?: boolean }): Promise<void> {
    return this.runtime.stop(opts);
  }

  private enqueueAll(): void {
    for (const t of this.tags.informer.list()) this.runtime.enqueue(t.metadata?.name);
  }

  private watch(k: ManagedKind, labelSelector: string | undefined, on: (o: KubernetesObject) => void): Watch {
    return this.runtime.watch(kindWatch(this.o.http, this.o.client, k, labelSelector, on));
  }
}
