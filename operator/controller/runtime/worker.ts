// One worker: takes keys from the queue until it shuts down and turns each reconcile result into the
// key's next step: forgotten (success), re-checked after a delay (requeueAfterMs), or retried with
// its backoff (error). Metrics and logs are recorded per result.
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import { parseOwnerKey } from '../apply/ownership';
import { apiMessage } from '../kube/api-errors';
import type { ControllerMetrics } from '../metrics';
import type { WorkQueue } from '../queue/work-queue';
import type { ReconcileResult } from '../reconcile/reconciler';

export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult>;
}

export interface WorkerDeps {
  queue: WorkQueue;
  reconciler: Reconciler;
  clock: Clock;
  metrics: Pick<ControllerMetrics, 'reconciled'>;
  log: Logger;
  controller: string;
}

/** Processes one key; false once the queue is shut down and drained. */
export async function processNext(d: WorkerDeps): Promise<boolean> {
  const key = await d.queue.get();
  if (key === undefined) return false;
  const started = d.clock.now();
  const seconds = () => (d.clock.now() - started) / 1000;
  try {
    const result = await d.reconciler.reconcile(key);
    d.queue.forget(key);
    if (result.requeueAfterMs) {
      d.queue.addAfter(key, result.requeueAfterMs);
      d.metrics.reconciled('requeue_after', seconds());
    } else {
      d.metrics.reconciled('success', seconds());
    }
  } catch (err) {
    d.metrics.reconciled('error', seconds());
    const { namespace, name } = parseOwnerKey(key);
    d.log.error('reconcile failed, retrying with backoff', {
      controller: d.controller,
      namespace,
      name,
      retries: d.queue.retries(key),
      error: apiMessage(err),
    });
    d.queue.addRateLimited(key);
  } finally {
    d.queue.done(key);
  }
  return true;
}

export async function runWorker(d: WorkerDeps): Promise<void> {
  while (await processNext(d));
}
