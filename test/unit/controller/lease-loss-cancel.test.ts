// Losing the lease cancels an in-flight reconcile: the elector aborts its term signal, the runtime hands
// it to the reconcile, and the fenced client refuses every API call after it. The key is neither
// retried nor counted as an error: the next leader lists everything again.
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { LeaderElector } from '../../../operator/controller/leader/elector';
import { DEFAULT_ELECTION } from '../../../operator/controller/leader/lease-record';
import { ControllerRateLimiter } from '../../../operator/controller/queue/rate-limiter';
import { WorkQueue } from '../../../operator/controller/queue/work-queue';
import type { ReconcileResult } from '../../../operator/controller/reconcile/reconciler';
import { CancelledError, FencedClient } from '../../../operator/controller/runtime/fenced-client';
import { processNext, type Reconciler } from '../../../operator/controller/runtime/worker';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';
import { MemoryLeaseStore } from './memory-lease-store';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A reconciler applying five ConfigMaps, pausing after each apply until the test lets it go on. */
class SteppingReconciler implements Reconciler {
  private release: (() => void) | undefined;
  private applied: (() => void) | undefined;
  signals: AbortSignal[] = [];
  constructor(private readonly client: FencedClient) {}

  /** Resolves once the reconcile has applied and paused. */
  nextApply(): Promise<void> {
    return new Promise((resolve) => (this.applied = resolve));
  }
  proceed(): void {
    this.release?.();
  }

  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    this.signals.push(signal);
    for (let i = 0; i < 5; i++) {
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: `${key}-${i}` } };
      await this.client.apply(obj, 'meshwright', true);
      const paused = new Promise<void>((resolve) => (this.release = resolve));
      this.applied?.();
      await paused;
    }
    return {};
  }
}

function setup() {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const kube = new FakeKube();
  const events: string[] = [];
  let term: AbortSignal = new AbortController().signal;
  const elector = new LeaderElector({ identity: 'a', ...DEFAULT_ELECTION }, store, clock, quiet, {
    onStartedLeading: (t) => {
      term = t;
      events.push('started');
    },
    onStoppedLeading: () => events.push(`stopped aborted=${term.aborted}`),
  });
  const client = new FencedClient(kube, () => term);
  const reconciler = new SteppingReconciler(client);
  const queue = new WorkQueue(clock, new ControllerRateLimiter(clock));
  const results: string[] = [];
  const deps = () => ({
    queue,
    clock,
    log: quiet,
    controller: 'test',
    metrics: { reconciled: (r: string) => results.push(r) },
    reconciler,
    signal: term,
  });
  return { clock, store, kube, elector, reconciler, queue, results, deps, events, term: () => term };
}

describe('lease loss cancels the in-flight reconcile', () => {
  it('aborts the term before onStoppedLeading and stops writes within one API call', async () => {
    const t = setup();
    expect(await t.elector.tick()).toBe(true);
    t.queue.add('ns/iop');
    const applied = t.reconciler.nextApply();
    const running = processNext(t.deps());
    await applied;
    expect(t.kube.writes).toEqual(['apply ConfigMap/ns/iop-0 meshwright force=true']);
    expect(t.reconciler.signals[0].aborted).toBe(false);

    // The Lease can no longer be renewed; past the renew deadline the elector steps down.
    t.store.failing = true;
    t.clock.advance(DEFAULT_ELECTION.renewDeadlineMs);
    expect(await t.elector.tick()).toBe(false);
    expect(t.events).toEqual(['started', 'stopped aborted=true']);
    expect(t.reconciler.signals[0].aborted).toBe(true);

    t.reconciler.proceed();
    await expect(running).resolves.toBe(true);
    // No apply after the loss; the key is left for the next leader, not retried nor counted as an error.
    expect(t.kube.writes).toHaveLength(1);
    expect(t.results).toEqual([]);
    expect(t.queue.len()).toBe(0);
    expect(t.queue.retries('ns/iop')).toBe(0);
  });

  it('a key taken after the loss is not reconciled at all', async () => {
    const t = setup();
    await t.elector.tick();
    t.store.failing = true;
    t.clock.advance(DEFAULT_ELECTION.renewDeadlineMs);
    await t.elector.tick();
    t.queue.add('ns/iop');
    await processNext(t.deps());
    expect(t.reconciler.signals).toEqual([]);
    expect(t.kube.writes).toEqual([]);
  });

  it('the fenced client names the cancellation and lets calls through while the term holds', async () => {
    const term = new AbortController();
    const kube = new FakeKube();
    const client = new FencedClient(kube, () => term.signal);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'x' } };
    await client.apply(cm, 'm', true);
    term.abort(new Error('leader lease lost'));
    await expect(client.apply(cm, 'm', true)).rejects.toThrow(
      new CancelledError(new Error('leader lease lost')),
    );
    await expect(
      client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' }),
    ).rejects.toThrow('cancelled: leader lease lost');
    await expect(client.list('v1', 'ConfigMap')).rejects.toBeInstanceOf(CancelledError);
    expect(kube.writes).toHaveLength(1);
  });

  it('a clean stop of the elector ends the term too', async () => {
    const t = setup();
    await t.elector.tick();
    const term = t.term();
    await t.elector.stop();
    expect(term.aborted).toBe(true);
  });
});

describe('FencedClient and in-flight requests', () => {
  it('hands the current term to a client that supports signals, so a request in flight is aborted too', async () => {
    const seen: AbortSignal[] = [];
    const inner = new FakeKube();
    const withSignal = (signal: AbortSignal) => {
      seen.push(signal);
      return inner;
    };
    let term = new AbortController();
    const client = new FencedClient(Object.assign(inner, { withSignal }), () => term.signal);
    await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'x' });
    const first = term;
    term = new AbortController();
    await client.list('v1', 'ConfigMap');
    expect(seen).toEqual([first.signal, term.signal]);
    first.abort();
    await expect(client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' })).resolves.toBeUndefined();
    term.abort(new Error('lease lost'));
    await expect(client.list('v1', 'ConfigMap')).rejects.toThrow(CancelledError);
    expect(seen).toHaveLength(3);
  });
});
