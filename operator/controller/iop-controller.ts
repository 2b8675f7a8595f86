// The IstioOperator controller, a registration on runtime/controller: IstioOperators map to themselves,
// owned objects of every managed kind to their owner. Kinds the apiserver does not serve (an optional
// CRD) are not watched until a resync finds them served; the resync also re-queues every IstioOperator
// so drift the watches missed is still repaired. IstioRevisionTag events re-queue every IstioOperator.
import type { KubeHttp } from '../../lib/kube/http';
import type { Logger } from '../../lib/log';
import type { Clock } from './clock';
import type { KubeClient } from './kube/kube-client';
import { servesKind } from './kube/served-kind';
import type { ControllerMetrics } from './metrics';
import type { ManagedKind } from './reconcile/desired';
import { Controller } from './runtime/controller';
import { iopWatch, kindWatch, ownedWatch, type Watch } from './runtime/watches';
import { TAG_RESOURCE } from './tags/tag-controller';
import type { Reconciler } from './runtime/worker';

export const CONTROLLER_NAME = 'istiooperator';

export interface IstioOperatorControllerOptions {
  http: KubeHttp;
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
  /**
   * Told what a watch saw change: an owned object of the IstioOperator `key`, or (no key) anything that may
   * concern every IstioOperator (a tag, a shared object, a resync, a new start). The reconciler's next pass
   * of it is then a full one (reconciler.ts, sidecar-only passes).
   */
  onChange?: (key?: string) => void;
}

export class IstioOperatorController {
  private readonly runtime: Controller;
  private iops: Watch | undefined;
  /** Managed kinds the apiserver did not serve when last looked at (not watched). */
  private readonly unserved: ManagedKind[] = [];
  private stopped = false;

  constructor(private readonly o: IstioOperatorControllerOptions) {
    this.runtime = new Controller({
      name: CONTROLLER_NAME,
      reconciler: o.reconciler,
      workers: o.workers,
      resyncPeriodMs: o.resyncPeriodMs,
      resync: () => {
        void this.watchNewlyServed();
        this.o.onChange?.();
        this.enqueueAll();
      },
      clock: o.clock,
      log: o.log,
      metrics: o.metrics,
    });
  }

  synced(): boolean {
    return this.runtime.synced();
  }

  async start(term?: AbortSignal): Promise<void> {
    if (this.iops) return;
    const { http, client, namespace } = this.o;
    this.iops = this.runtime.watch(iopWatch(http, client, this.runtime.enqueue, namespace));
    // A tag that moves starts the sidecar rollout of its new revision and moves the gateways following
    // it now, not at their next resync or census. Tags change rarely and IstioOperators are few, so every
    // IstioOperator is looked at again (a pass of an unchanged one renders from cache and applies nothing).
    this.runtime.watch(
      kindWatch(http, client, TAG_RESOURCE, undefined, () => {
        this.o.onChange?.();
        this.enqueueAll();
      }),
    );
    for (const k of this.o.managedKinds) {
      // A kind whose API is absent has nothing to watch; resyncs look for it again. When discovery
      // itself fails the watch starts as before and retries on its own.
      if (await servesKind(client, k.apiVersion, k.kind).catch(() => true)) this.watchOwned(k);
      else this.unserved.push(k);
    }
    if (this.unserved.length > 0)
      this.o.log.info('kinds not served by the apiserver, not watched until they are', {
        controller: CONTROLLER_NAME,
        kinds: this.unserved.map((k) => `${k.apiVersion} ${k.kind}`).join(', '),
      });
    if (this.stopped) return;
    await this.runtime.start(term);
  }

  stop(opts?: { cancel?: boolean }): Promise<void> {
    this.stopped = true;
    return this.runtime.stop(opts);
  }

  private watchOwned(k: ManagedKind): Watch {
    const { http, client, namespace } = this.o;
    return this.runtime.watch(
      ownedWatch(
        http,
        client,
        k,
        (key) => {
          this.o.onChange?.(key);
          this.runtime.enqueue(key);
        },
        namespace,
        () => {
          this.o.onChange?.();
          this.enqueueAll();
        },
      ),
    );
  }

  /** Starts the watches of kinds that were not served at start-up and are now (a CRD installed since). */
  private async watchNewlyServed(): Promise<void> {
    for (const k of [...this.unserved]) {
      const served = await servesKind(this.o.client, k.apiVersion, k.kind).catch(() => false);
      if (!served || this.stopped) continue;
      this.unserved.splice(this.unserved.indexOf(k), 1);
      const w = this.watchOwned(k);
      this.o.log.info('kind now served, watching it', { controller: CONTROLLER_NAME, watch: w.name });
    }
  }

  private enqueueAll(): void {
    for (const iop of this.iops?.informer.list() ?? []) {
      const { name, namespace } = iop.metadata ?? {};
      if (name && namespace) this.runtime.enqueue(`${namespace}/${name}`);
    }
  }
}
