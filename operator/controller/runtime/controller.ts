// The IstioOperator controller: watches feed a work queue, workers run the reconciler, results decide
// whether a key is forgotten, re-checked later or retried with backoff. A periodic resync re-queues
// every IstioOperator so drift the watches missed is still repaired.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { Clock, TimerHandle } from '../clock';
import type { KubeClient } from '../kube/kube-client';
import type { ControllerMetrics } from '../metrics';
import { ControllerRateLimiter } from '../queue/rate-limiter';
import { WorkQueue } from '../queue/work-queue';
import type { ManagedKind } from '../reconcile/desired';
import { servesKind } from '../kube/served-kind';
import { iopWatch, ownedWatch, runWatch, type Watch } from './watches';
import { runWorker, type Reconciler } from './worker';

export const CONTROLLER_NAME = 'istiooperator';

export interface ControllerOptions {
  kc: KubeConfig;
  client: KubeClient;
  reconciler: Reconciler;
  managedKinds: readonly ManagedKind[];
  /** Only IstioOperators in this namespace; all namespaces when unset. */
  namespace?: string;
  resyncPeriodMs: number;
  workers?: number;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
}

export class IstioOperatorController {
  private readonly queue: WorkQueue;
  private readonly watches: Watch[] = [];
  private workers: Promise<void>[] = [];
  private resyncTimer: TimerHandle | undefined;
  private stopped = false;
  private started = false;
  private signalStop: () => void = () => undefined;
  private readonly stopping = new Promise<void>((resolve) => (this.signalStop = resolve));
  private isSynced = false;
  /** Managed kinds the apiserver did not serve when last looked at (not watched). */
  private readonly unserved: ManagedKind[] = [];
  private startOwnedWatch: ((k: ManagedKind) => Watch) | undefined;
  private readonly watchesAbort = new AbortController();

  constructor(private readonly o: ControllerOptions) {
    this.queue = new WorkQueue(o.clock, new ControllerRateLimiter(o.clock), o.metrics.queueObserver());
  }

  /** Watches synced (initial lists done) and workers running. */
  synced(): boolean {
    return this.isSynced;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const enqueue = (key: string) => this.queue.add(key);
    const iops = iopWatch(this.o.kc, this.o.client, enqueue, this.o.namespace);
    this.watches.push(iops);
    const enqueueAll = () => this.enqueueAll(iops);
    this.startOwnedWatch = (k) => {
      const w = ownedWatch(this.o.kc, this.o.client, k, enqueue, this.o.namespace, enqueueAll);
      this.watches.push(w);
      return w;
    };
    for (const k of this.o.managedKinds) {
      // A kind whose API is absent (an optional CRD) has nothing to watch; resyncs look for it again. When
      // discovery itself fails the watch starts as before and retries on its own.
      if (await servesKind(this.o.client, k.apiVersion, k.kind).catch(() => true)) this.startOwnedWatch(k);
      else this.unserved.push(k);
    }
    if (this.unserved.length > 0)
      this.o.log.info('kinds not served by the apiserver, not watched until they are', {
        controller: CONTROLLER_NAME,
        kinds: this.unserved.map((k) => `${k.apiVersion} ${k.kind}`).join(', '),
      });
    await Promise.race([
      Promise.all(this.watches.map((w) => runWatch(w, this.o.log, this.watchesAbort.signal))),
      this.stopping,
    ]);
    if (this.stopped) return;
    this.isSynced = true;
    this.o.log.info('watches synced, starting workers', {
      controller: CONTROLLER_NAME,
      watches: this.watches.length,
    });
    for (let i = 0; i < (this.o.workers ?? 2); i++) this.workers.push(this.work());
    this.scheduleResync(iops);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchesAbort.abort();
    this.signalStop();
    this.resyncTimer?.cancel();
    this.queue.shutdown();
    await Promise.all(this.watches.map((w) => w.informer.stop().catch(() => undefined)));
    await Promise.all(this.workers);
  }

  private scheduleResync(iops: Watch): void {
    this.resyncTimer = this.o.clock.after(this.o.resyncPeriodMs, () => {
      void this.watchNewlyServed();
      this.enqueueAll(iops);
      if (!this.stopped) this.scheduleResync(iops);
    });
  }

  /** Starts the watches of kinds that were not served at start-up and are now (a CRD installed since). */
  private async watchNewlyServed(): Promise<void> {
    for (const k of [...this.unserved]) {
      const served = await servesKind(this.o.client, k.apiVersion, k.kind).catch(() => false);
      if (!served || this.stopped || !this.startOwnedWatch) continue;
      this.unserved.splice(this.unserved.indexOf(k), 1);
      const w = this.startOwnedWatch(k);
      this.o.log.info('kind now served, watching it', { controller: CONTROLLER_NAME, watch: w.name });
      void runWatch(w, this.o.log, this.watchesAbort.signal);
    }
  }

  private enqueueAll(iops: Watch): void {
    for (const iop of iops.informer.list()) {
      const { name, namespace } = iop.metadata ?? {};
      if (name && namespace) this.queue.add(`${namespace}/${name}`);
    }
  }

  private work(): Promise<void> {
    return runWorker({
      queue: this.queue,
      reconciler: this.o.reconciler,
      clock: this.o.clock,
      metrics: this.o.metrics,
      log: this.o.log,
      controller: CONTROLLER_NAME,
    });
  }
}
