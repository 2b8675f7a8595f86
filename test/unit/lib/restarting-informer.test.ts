import type { Informer, ObjectCache, V1Node } from '@kubernetes/client-node';
import { PassThrough } from 'stream';
import { createLogger } from '../../../lib/log';
import { RestartingInformer } from '../../../lib/kube/restarting-informer';

type Callback = (err?: unknown) => void;

/** An informer whose start() fails (through the error callback, like client-node) `failures` times. */
function flakyInformer(failures: number) {
  let errorCb: Callback = () => undefined;
  let starts = 0;
  let stops = 0;
  const informer = {
    on(verb: string, cb: Callback) {
      if (verb === 'error') errorCb = cb;
    },
    off() {},
    async start() {
      starts++;
      if (starts <= failures) errorCb(new Error(`list failed ${starts}`));
    },
    async stop() {
      stops++;
    },
    get: () => undefined,
    list: () => [],
  };
  return {
    // A fake of the few informer methods RestartingInformer calls; client-node's type has many more.
    informer: informer as unknown as Informer<V1Node> & ObjectCache<V1Node>,
    starts: () => starts,
    stops: () => stops,
    fail: () => errorCb(new Error('watch broke')),
  };
}

describe('RestartingInformer', () => {
  const log = createLogger({ stream: new PassThrough() });
  afterEach(() => jest.useRealTimers());

  it('retries a failing list with backoff and reports sync after the first success', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(2);
    const managed = new RestartingInformer('nodes', fake.informer, log);
    let synced = false;
    void managed.waitForSync().then(() => (synced = true));
    managed.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(fake.starts()).toBe(1);
    expect(managed.synced).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000); // first backoff
    expect(fake.starts()).toBe(2);
    expect(managed.synced).toBe(false);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(fake.starts()).toBe(2);
    await jest.advanceTimersByTimeAsync(1); // second backoff: 2 s
    expect(fake.starts()).toBe(3);
    expect(managed.synced).toBe(true);
    expect(synced).toBe(true);
  });

  it('restarts after a later watch error and not after stop', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(0);
    const managed = new RestartingInformer('configmaps', fake.informer, log);
    managed.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(managed.synced).toBe(true);
    fake.fail();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(fake.starts()).toBe(2);
    await managed.stop();
    fake.fail();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(fake.starts()).toBe(2);
  });
  it('backs off a watch that fails at once after each good list, and restarts quickly one that stayed up', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(0);
    const managed = new RestartingInformer('istiorevisiontags', fake.informer, log);
    managed.start();
    await jest.advanceTimersByTimeAsync(0);
    // The list works, the watch fails at once (a kind not served): 1 s, 2 s, 4 s, not every second.
    const restartsAfter = async (ms: number) => {
      fake.fail();
      const before = fake.starts();
      await jest.advanceTimersByTimeAsync(ms - 1);
      expect(fake.starts()).toBe(before);
      await jest.advanceTimersByTimeAsync(1);
      expect(fake.starts()).toBe(before + 1);
    };
    await restartsAfter(1_000);
    await restartsAfter(2_000);
    await restartsAfter(4_000);
    // Up for the policy's maximum (30 s): the next failure is retried after 1 s again.
    await jest.advanceTimersByTimeAsync(30_000);
    await restartsAfter(1_000);
    await managed.stop();
  });

  it('stops for good when the AbortSignal given to start() fires', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(0);
    const managed = new RestartingInformer('istiooperators', fake.informer, log);
    const abort = new AbortController();
    managed.start(abort.signal);
    await jest.advanceTimersByTimeAsync(0);
    expect(fake.starts()).toBe(1);
    abort.abort();
    fake.fail();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(fake.starts()).toBe(1);
    expect(fake.stops()).toBe(1);
  });

  it('does not start when the signal has already fired', async () => {
    const fake = flakyInformer(0);
    const managed = new RestartingInformer('nodes', fake.informer, log);
    managed.start(AbortSignal.abort());
    await Promise.resolve();
    expect(fake.starts()).toBe(0);
    expect(managed.synced).toBe(false);
  });

  it('doubles its backoff up to the policy maximum and describes errors as asked', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(10);
    let text = '';
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (text += d.toString()));
    const managed = new RestartingInformer('kinds', fake.informer, createLogger({ stream: sink }), {
      policy: { initialMs: 100, maxMs: 300 },
      describeError: () => 'described',
    });
    managed.start();
    await jest.advanceTimersByTimeAsync(0); // start 1 fails: retry in 100
    await jest.advanceTimersByTimeAsync(100); // start 2 fails: retry in 200
    await jest.advanceTimersByTimeAsync(200); // start 3 fails: retry in 300 (capped)
    await jest.advanceTimersByTimeAsync(300); // start 4 fails: retry in 300
    expect(fake.starts()).toBe(4);
    await jest.advanceTimersByTimeAsync(299);
    expect(fake.starts()).toBe(4);
    await jest.advanceTimersByTimeAsync(1);
    expect(fake.starts()).toBe(5);
    const retries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { retryMs?: number; error?: string });
    expect(retries.map((r) => r.retryMs)).toEqual([100, 200, 300, 300, 300]);
    expect(retries.every((r) => r.error === 'described')).toBe(true);
    await managed.stop();
  });
});
