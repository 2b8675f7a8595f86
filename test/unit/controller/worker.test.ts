import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import type { ReconcileResult as Result } from '../../../operator/controller/reconcile/reconciler';
import { ControllerRateLimiter } from '../../../operator/controller/queue/rate-limiter';
import { WorkQueue } from '../../../operator/controller/queue/work-queue';
import { processNext } from '../../../operator/controller/runtime/worker';
import { FakeClock } from './fake-clock';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });

function setup(outcomes: (Result | Error)[]) {
  const clock = new FakeClock();
  const queue = new WorkQueue(
    clock,
    new ControllerRateLimiter(clock, { baseMs: 100, maxMs: 10_000 }, { qps: 1000, burst: 1000 }),
  );
  const results: string[] = [];
  const seen: string[] = [];
  const deps = {
    queue,
    clock,
    log: quiet,
    controller: 'istiooperator',
    metrics: { reconciled: (r: string) => results.push(r) },
    reconciler: {
      async reconcile(key: string): Promise<Result> {
        seen.push(key);
        clock.advance(50);
        const next = outcomes.shift() ?? {};
        if (next instanceof Error) throw next;
        return next;
      },
    },
  };
  return { clock, queue, results, seen, deps };
}

describe('worker', () => {
  it('forgets a key after success and records the result', async () => {
    const t = setup([{}]);
    t.queue.add('ns/a');
    expect(await processNext(t.deps)).toBe(true);
    expect(t.results).toEqual(['success']);
    expect(t.queue.len()).toBe(0);
    expect(t.queue.retries('ns/a')).toBe(0);
  });

  it('re-checks a key after requeueAfterMs', async () => {
    const t = setup([{ requeueAfterMs: 2000 }]);
    t.queue.add('ns/a');
    await processNext(t.deps);
    expect(t.results).toEqual(['requeue_after']);
    t.clock.advance(1999);
    expect(t.queue.len()).toBe(0);
    t.clock.advance(1);
    expect(t.queue.len()).toBe(1);
  });

  it('retries failures with growing backoff and resets it after a success', async () => {
    const t = setup([new Error('boom'), new Error('boom'), {}]);
    t.queue.add('ns/a');
    await processNext(t.deps);
    expect(t.queue.retries('ns/a')).toBe(1);
    t.clock.advance(99);
    expect(t.queue.len()).toBe(0);
    t.clock.advance(1);
    await processNext(t.deps);
    t.clock.advance(199);
    expect(t.queue.len()).toBe(0);
    t.clock.advance(1);
    await processNext(t.deps);
    expect(t.results).toEqual(['error', 'error', 'success']);
    expect(t.queue.retries('ns/a')).toBe(0);
    expect(t.seen).toEqual(['ns/a', 'ns/a', 'ns/a']);
  });

  it('stops when the queue shuts down', async () => {
    const t = setup([]);
    const pending = processNext(t.deps);
    t.queue.shutdown();
    await expect(pending).resolves.toBe(false);
  });
});
