// The generic controller runtime without informers: keys in, reconciles out, the term signal handed to
// each reconcile, the resync hook on the clock, and stop() waiting for the workers.
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import type { ReconcileResult } from '../../../operator/controller/reconcile/reconciler';
import { Controller } from '../../../operator/controller/runtime/controller';
import { FakeClock } from './fake-clock';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function setup() {
  const clock = new FakeClock();
  const seen: { key: string; signal: AbortSignal }[] = [];
  const results: string[] = [];
  let resyncs = 0;
  const controller = new Controller({
    name: 'test',
    workers: 2,
    resyncPeriodMs: 1000,
    resync: () => resyncs++,
    clock,
    log: quiet,
    metrics: {
      reconciled: (r) => results.push(r),
      queueObserver: () => ({
        added: () => undefined,
        depth: () => undefined,
        retried: () => undefined,
        queued: () => undefined,
        worked: () => undefined,
      }),
    },
    reconciler: {
      reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
        seen.push({ key, signal });
        return Promise.resolve({});
      },
    },
  });
  return { clock, controller, seen, results, resyncs: () => resyncs };
}

describe('controller runtime', () => {
  it('reconciles enqueued keys with the term signal, resyncs on the clock, and stops', async () => {
    const t = setup();
    const term = new AbortController();
    await t.controller.start(term.signal);
    expect(t.controller.synced()).toBe(true);
    t.controller.enqueue('ns/a');
    t.controller.enqueue(undefined);
    await flush();
    expect(t.seen.map((s) => s.key)).toEqual(['ns/a']);
    expect(t.results).toEqual(['success']);
    expect(t.seen[0].signal.aborted).toBe(false);
    term.abort(new Error('leader lease lost'));
    expect(t.seen[0].signal.aborted).toBe(true);

    expect(t.resyncs()).toBe(0);
    t.clock.advance(1000);
    t.clock.advance(1000);
    expect(t.resyncs()).toBe(2);
    await t.controller.stop();
    t.clock.advance(5000);
    expect(t.resyncs()).toBe(2);
  });

  it('stop({ cancel: true }) aborts the signal of reconciles; a plain stop does not', async () => {
    const plain = setup();
    await plain.controller.start();
    plain.controller.enqueue('k');
    await flush();
    await plain.controller.stop();
    expect(plain.seen[0].signal.aborted).toBe(false);

    const cancelled = setup();
    await cancelled.controller.start();
    cancelled.controller.enqueue('k');
    await flush();
    await cancelled.controller.stop({ cancel: true });
    expect(cancelled.seen[0].signal.aborted).toBe(true);
  });
});
