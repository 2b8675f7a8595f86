// One worker: takes keys from the queue until it shuts down and turns each reconcile result into the
// key's next step: forgotten (success), re-checked after a delay (requeueAfterMs), or retried with
// its backoff (error). Metrics and logs are recorded per result. Once `signal` is aborted (the lease
// was lost) a failing or pending key is neither retried nor logged as an error: it is left to the next
// leader, which lists everything again.
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import { parseOwnerKey } from '../apply/ownership';
import { apiMessage } from '../kube/api-errors';
import type { ControllerMetrics } from '../metrics';
import type { WorkQueue } from '../queue/work-queue';
import type { ReconcileResult } from '../reconcile/reconciler';

/**
 * What a controller runs per key (controller-runtime's Reconcile(ctx, req)): `signal` is aborted when
 * this replica must stop writing; a reconciler stops at its next API call (see fenced-client.ts).
 */
export interface Reconciler {
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult>;
}

export interface WorkerDeps {
  queue: WorkQueue;
  reconciler: Reconciler;
  clock: Clock;
  metrics: Pick<ControllerMetrics, 'reconciled'>;
  log: Logger;
  controller: string;
  /** Cancels in-flight reconciles; never aborted when omitted. */
  signal?: AbortSignal;
}

const NEVER = new AbortController().signal;

/** Processes one key; false once the queue is shut down and drained. */
export async function processNext(d: WorkerDeps): Promise<boolean> {
  const key = await d.queue.get();
  if (key === undefined) return false;
  const signal = d.signal ?? NEVER;
  if (signal.aborted) {
    d.queue.done(key);
    return true;
  }
  const started = d.clock.now();
  const seconds = () => (d.clock.now() - started) / 1000;
  try {
    const result = await d.reconciler.reconcile(key, signal);
    d.queue.forget(key);
    if (result.requeueAfterMs) {
      d.queue.addAfter(key, result.requeueAfterMs);
      d.metrics.reconciled('requeue_after', seconds());
    } else {
      d.metrics.reconciled('success', seconds());
    }
  } catch (err) {
    if (signal.aborted) {
      d.log.info('reconcile cancelled, left to the next leader', {
        controller: d.controller,
        ...keyFields(key),
        reason: apiMessage(err),
      });
      return true;
    }
    d.metrics.reconciled('error', seconds());
    d.log.error('reconcile failed, retrying with backoff', {
      controller: d.controller,
      ...keyFields(key),
      retries: d.queue.retries(key),
      error: apiMessage(err),
    });
    d.queue.addRateLimited(key);
  } finally {
    d.queue.done(key);
  }
  return true;
}

// IstioOperator keys are namespace/name; cluster-scoped ones (IstioRevisionTag) are a bare name.
function keyFields(key: string): { namespace?: string; name: string } {
  return key.includes('/') ? parseOwnerKey(key) : { name: key };
}

export async function runWorker(d: WorkerDeps): Promise<void> {
  while (await processNext(d));
}
