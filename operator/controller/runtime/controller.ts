// A small generic controller runtime (controller-runtime's shape): watches map events to keys on one
// rate-limited work queue, N workers run a Reconciler per key, and a periodic resync re-queues what the
// watches may have missed. Each controller (IstioOperator, IstioRevisionTag) is a registration on it.
// A reconcile gets an AbortSignal: aborted by the leadership term passed to start() (lease lost) or by
// stop({ cancel: true }); a graceful stop() lets in-flight reconciles finish.
import type { Logger } from '../../../lib/log';
import type { Clock, TimerHandle } from '../clock';
import type { ControllerMetrics } from '../metrics';
import { ControllerRateLimiter } from '../queue/rate-limiter';
import { WorkQueue } from '../queue/work-queue';
import { runWatch, type Watch } from './watches';
import { runWorker, type Reconciler } from './worker';

export interface ControllerOptions {
  /** The `controller` label of logs and metrics. */
  name: string;
  reconciler: Reconciler;
  workers?: number;
  resyncPeriodMs: number;
  /** Called every resync period once synced (typically: enqueue every object). */
  resync: () => void;
  clock: Clock;
  log: Logger;
  metrics: Pick<ControllerMetrics, 'reconciled' | 'queueObserver'>;
}

export class Controller {
  private readonly queue: WorkQueue;
  private readonly watches: Watch[] = [];
  private workers: Promise<void>[] = [];
  private resyncTimer: TimerHandle | undefined;
  private started = false;
  private stopped = false;
  private isSynced = false;
  private signalStop: () => void = () => undefined;
  private readonly stopping = new Promise<void>((resolve) => (this.signalStop = resolve));
  private readonly watchesAbort = new AbortController();
  private readonly cancel = new AbortController();

  constructor(private readonly o: ControllerOptions) {
    this.queue = new WorkQueue(o.clock, new ControllerRateLimiter(o.clock), o.metrics.queueObserver());
  }

  /** Enqueues a key (a watch handler's target). */
  readonly enqueue = (key: string | undefined): void => {
    if (key) this.queue.add(key);
  };

  /** Registers a watch; one added after start() runs at once (a kind served later). */
  watch(w: Watch): Watch {
    this.watches.push(w);
    if (this.started && !this.stopped) void runWatch(w, this.o.log, this.watchesAbort.signal);
    return w;
  }

  /** Watches synced (initial lists done) and workers running. */
  synced(): boolean {
    return this.isSynced;
  }

  /**
   * Runs the registered watches, waits for their first lists, then starts the workers and the resync.
   * `term` aborts every in-flight and later reconcile (the leadership term ended).
   */
  async start(term?: AbortSignal): Promise<void> {
    if (this.started) return;
    this.started = true;
    const signal = term ? AbortSignal.any([term, this.cancel.signal]) : this.cancel.signal;
    await Promise.race([
      Promise.all(this.watches.map((w) => runWatch(w, this.o.log, this.watchesAbort.signal))),
      this.stopping,
    ]);
    if (this.stopped) return;
    this.isSynced = true;
    this.o.log.info('watches synced, starting workers', {
      controller: this.o.name,
      watches: this.watches.length,
    });
    for (let i = 0; i < (this.o.workers ?? 2); i++) {
      this.workers.push(
        runWorker({
          queue: this.queue,
          reconciler: this.o.reconciler,
          clock: this.o.clock,
          metrics: this.o.metrics,
          log: this.o.log,
          controller: this.o.name,
          signal,
        }),
      );
    }
    this.scheduleResync();
  }

  /** Stops watches, queue and resync; waits for the workers. `cancel` also aborts in-flight reconciles. */
  async stop(opts: { cancel?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (opts.cancel) this.cancel.abort(new Error('controller stopped'));
    this.watchesAbort.abort();
    this.signalStop();
    this.resyncTimer?.cancel();
    this.queue.shutdown();
    await Promise.all(this.watches.map((w) => w.informer.stop().catch(() => undefined)));
    await Promise.all(this.workers);
  }

  private scheduleResync(): void {
    this.resyncTimer = this.o.clock.after(this.o.resyncPeriodMs, () => {
      this.o.resync();
      if (!this.stopped) this.scheduleResync();
    });
  }
}
