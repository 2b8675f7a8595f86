// The IstioRevisionTag controller: informers on the tags, the IstioOperators (a revision becoming HEALTHY,
// appearing or going away can move or hold every tag) and the tag webhooks (a deleted or edited one is
// repaired), a work queue keyed by tag name, and workers running TagReconciler. It runs beside the
// IstioOperator controller under the same leader.
import { makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { LABEL_TAG_OWNER } from '../../render/injection/tag-webhook';
import type { Clock } from '../clock';
import type { KubeClient } from '../kube/kube-client';
import type { ControllerMetrics } from '../metrics';
import { ControllerRateLimiter } from '../queue/rate-limiter';
import { WorkQueue } from '../queue/work-queue';
import type { ManagedKind } from '../reconcile/desired';
import { IOP_KIND, lister, resourcePath, runWatch, syncedLister, type Watch } from './../runtime/watches';
import { runWorker } from '../runtime/worker';
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

export interface TagControllerOptions {
  kc: KubeConfig;
  client: KubeClient;
  reconciler: TagReconciler;
  resyncPeriodMs: number;
  clock: Clock;
  log: Logger;
  metrics: Pick<ControllerMetrics, 'reconciled'>;
}

export class RevisionTagController {
  private readonly queue: WorkQueue;
  private readonly watches: Watch[] = [];
  private workers: Promise<void>[] = [];
  private stopped = false;
  private readonly watchesAbort = new AbortController();
  private isSynced = false;
  private resync: { cancel(): void } | undefined;

  constructor(private readonly o: TagControllerOptions) {
    this.queue = new WorkQueue(o.clock, new ControllerRateLimiter(o.clock));
  }

  synced(): boolean {
    return this.isSynced;
  }

  async start(): Promise<void> {
    const tags = this.watch(TAG_RESOURCE, undefined, (o) => this.enqueue(o.metadata?.name));
    const all = () => {
      for (const t of tags.informer.list()) this.enqueue(t.metadata?.name);
    };
    this.watch(IOP_KIND, undefined, all);
    this.watch(MWC_RESOURCE, LABEL_TAG_OWNER, (o) => this.enqueue(o.metadata?.labels?.[LABEL_TAG_OWNER]));
    await Promise.all(this.watches.map((w) => runWatch(w, this.o.log, this.watchesAbort.signal)));
    if (this.stopped) return;
    this.isSynced = true;
    this.o.log.info('watches synced, starting workers', { controller: TAG_CONTROLLER_NAME });
    this.workers.push(
      runWorker({
        queue: this.queue,
        reconciler: this.o.reconciler,
        clock: this.o.clock,
        metrics: this.o.metrics,
        log: this.o.log,
        controller: TAG_CONTROLLER_NAME,
      }),
    );
    const tick = () => {
      all();
      if (!this.stopped) this.resync = this.o.clock.after(this.o.resyncPeriodMs, tick);
    };
    this.resync = this.o.clock.after(this.o.resyncPeriodMs, tick);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchesAbort.abort();
    this.resync?.cancel();
    this.queue.shutdown();
    await Promise.all(this.watches.map((w) => w.informer.stop().catch(() => undefined)));
    await Promise.all(this.workers);
  }

  private enqueue(name: string | undefined): void {
    if (name) this.queue.add(name);
  }

  private watch(k: ManagedKind, labelSelector: string | undefined, on: (o: KubernetesObject) => void): Watch {
    const l = syncedLister(lister(this.o.client, k, labelSelector));
    const informer = makeInformer(this.o.kc, resourcePath(k), l.fn, labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, on);
    const w = { name: `${k.plural}.${k.apiVersion}`, informer, synced: l.synced };
    this.watches.push(w);
    return w;
  }
}
