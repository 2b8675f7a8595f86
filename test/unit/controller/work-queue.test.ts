import { WorkQueue, type QueueObserver } from '../../../operator/controller/queue/work-queue';
import { ControllerRateLimiter } from '../../../operator/controller/queue/rate-limiter';
import { FakeClock } from './fake-clock';

function recorder() {
  const events = {
    added: 0,
    retried: 0,
    depth: [] as number[],
    queued: [] as number[],
    worked: [] as number[],
  };
  const observer: QueueObserver = {
    added: () => events.added++,
    retried: () => events.retried++,
    depth: (n) => events.depth.push(n),
    queued: (s) => events.queued.push(s),
    worked: (s) => events.worked.push(s),
  };
  return { events, observer };
}

function setup() {
  const clock = new FakeClock();
  const rec = recorder();
  const q = new WorkQueue(
    clock,
    new ControllerRateLimiter(clock, { baseMs: 5, maxMs: 1000 }, { qps: 1000, burst: 1000 }),
    rec.observer,
  );
  return { clock, q, events: rec.events };
}

describe('WorkQueue', () => {
  it('deduplicates keys waiting in the queue', async () => {
    const { q } = setup();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  it('never hands a key being processed to a second worker, but re-queues it on done', async () => {
    const { q } = setup();
    q.add('k');
    const key = await q.get();
    q.add('k');
    expect(q.len()).toBe(0);
    q.done(key!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('k');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { q } = setup();
    const pending = q.get();
    q.add('late');
    await expect(pending).resolves.toBe('late');
  });

  it('delays addAfter keys and keeps only the earliest pending time', () => {
    const { q, clock } = setup();
    q.addAfter('k', 1000);
    q.addAfter('k', 200);
    q.addAfter('k', 5000);
    clock.advance(199);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('backs off exponentially per key on rate-limited adds and resets on forget', async () => {
    const { q, clock, events } = setup();
    q.addRateLimited('k');
    clock.advance(4);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    q.done((await q.get())!);
    q.addRateLimited('k');
    clock.advance(9);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.retries('k')).toBe(2);
    expect(events.retried).toBe(2);
    q.forget('k');
    expect(q.retries('k')).toBe(0);
  });

  it('reports queue and work durations from the injected clock', async () => {
    const { q, clock, events } = setup();
    q.add('k');
    clock.advance(1500);
    const key = await q.get();
    clock.advance(250);
    q.done(key!);
    expect(events.queued).toEqual([1.5]);
    expect(events.worked).toEqual([0.25]);
    expect(events.added).toBe(1);
    expect(events.depth.at(-1)).toBe(0);
  });

  it('releases idle workers and drops new keys after shutdown', async () => {
    const { q, clock } = setup();
    const idle = q.get();
    q.addAfter('k', 100);
    q.shutdown();
    await expect(idle).resolves.toBeUndefined();
    q.add('x');
    clock.advance(1000);
    expect(q.len()).toBe(0);
    await expect(q.get()).resolves.toBeUndefined();
  });
});
