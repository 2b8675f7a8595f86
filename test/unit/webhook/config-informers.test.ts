import { PassThrough } from 'stream';
import type { Informer, ObjectCache, V1Node } from '@kubernetes/client-node';
import { createLogger } from '../../../lib/log';
import { ManagedInformer } from '../../../webhook/config/managed-informer';
import { kubeletVersions, slimNode } from '../../../webhook/config/nodes';

type Callback = (err?: unknown) => void;

/** An informer whose start() fails (through the error callback, like client-node) `failures` times. */
function flakyInformer(failures: number) {
  let errorCb: Callback = () => undefined;
  let starts = 0;
  const informer = {
    on(verb: string, cb: Callback) {
      if (verb === 'error') errorCb = cb;
    },
    off() {},
    async start() {
      starts++;
      if (starts <= failures) errorCb(new Error(`list failed ${starts}`));
    },
    async stop() {},
    get: () => undefined,
    list: () => [],
  };
  return {
    // A fake of the few informer methods ManagedInformer calls; client-node's type has many more.
    informer: informer as unknown as Informer<V1Node> & ObjectCache<V1Node>,
    starts: () => starts,
    fail: () => errorCb(new Error('watch broke')),
  };
}

describe('ManagedInformer', () => {
  const log = createLogger({ stream: new PassThrough() });
  afterEach(() => jest.useRealTimers());

  it('retries a failing list with backoff and reports sync after the first success', async () => {
    jest.useFakeTimers();
    const fake = flakyInformer(2);
    const managed = new ManagedInformer('nodes', fake.informer, log);
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
    const managed = new ManagedInformer('configmaps', fake.informer, log);
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
});

describe('kubeletVersions', () => {
  it('collects the versions nodes report', () => {
    const nodes: V1Node[] = [
      { status: { nodeInfo: { kubeletVersion: 'v1.33.1' } as NonNullable<V1Node['status']>['nodeInfo'] } },
      { status: {} },
    ];
    expect(kubeletVersions(nodes)).toEqual(['v1.33.1']);
  });
});

describe('slimNode', () => {
  it('keeps the cache keys and the kubelet version only', () => {
    const node = {
      metadata: {
        name: 'n1',
        uid: 'u',
        resourceVersion: '7',
        labels: { a: 'b' },
        annotations: { big: 'x'.repeat(1000) },
      },
      status: {
        nodeInfo: { kubeletVersion: 'v1.35.8', osImage: 'linux' },
        images: [{ names: ['a'], sizeBytes: 1 }],
      },
    } as unknown as V1Node;
    expect(slimNode(node)).toEqual({
      metadata: { name: 'n1', uid: 'u', resourceVersion: '7' },
      status: { nodeInfo: { kubeletVersion: 'v1.35.8' } },
    });
    expect(kubeletVersions([slimNode(node)])).toEqual(['v1.35.8']);
  });
});
