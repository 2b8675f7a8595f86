import {
  acquireOrRenew,
  releasedRecord,
  renewDeadlinePassed,
} from '../../../operator/controller/leader/lease-decision';
import {
  DEFAULT_ELECTION,
  type ElectionConfig,
  type LeaseRecord,
} from '../../../operator/controller/leader/lease-record';
import { LeaderElector, WAITING_REMINDER_MS } from '../../../operator/controller/leader/elector';
import { createLogger } from '../../../lib/log';
import { Writable } from 'stream';
import { FakeClock } from './fake-clock';
import { MemoryLeaseStore } from './memory-lease-store';

const cfg = (identity: string): ElectionConfig => ({ identity, ...DEFAULT_ELECTION });
const held = (holder: string, renewTime: number, transitions = 0): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: renewTime,
  renewTime,
  leaseTransitions: transitions,
});

describe('acquireOrRenew', () => {
  it('creates the lease when none exists', () => {
    const step = acquireOrRenew(cfg('a'), undefined, undefined, 1000);
    expect(step.action).toEqual({ kind: 'create', record: held('a', 1000) });
  });

  it('waits while another holder renewed within the lease duration, judged by local observation time', () => {
    // The remote renewTime is far in the past (clock skew) but we first saw the record at 5000.
    const record = held('b', 0);
    const first = acquireOrRenew(cfg('a'), record, undefined, 5000);
    expect(first.action).toEqual({ kind: 'wait', holder: 'b' });
    const later = acquireOrRenew(cfg('a'), record, first.observed, 5000 + 14_999);
    expect(later.action.kind).toBe('wait');
  });

  it('takes over an unchanged record after the lease duration and counts the transition', () => {
    const record = held('b', 0, 3);
    const first = acquireOrRenew(cfg('a'), record, undefined, 1000);
    const step = acquireOrRenew(cfg('a'), record, first.observed, 1000 + 15_000);
    expect(step.action).toEqual({ kind: 'update', record: { ...held('a', 16_000), leaseTransitions: 4 } });
  });

  it('restarts the expiry clock when the holder renews', () => {
    const first = acquireOrRenew(cfg('a'), held('b', 0), undefined, 1000);
    const renewed = held('b', 2000);
    const step = acquireOrRenew(cfg('a'), renewed, first.observed, 1000 + 15_000);
    expect(step.action.kind).toBe('wait');
    expect(step.observed?.at).toBe(16_000);
  });

  it('renews its own lease keeping acquireTime and transitions', () => {
    const mine = { ...held('a', 100, 2), renewTime: 900 };
    const step = acquireOrRenew(cfg('a'), mine, undefined, 2000);
    expect(step.action).toEqual({ kind: 'update', record: { ...held('a', 100, 2), renewTime: 2000 } });
  });

  it('acquires a released lease (empty holder) at once', () => {
    const released = releasedRecord(held('b', 0, 1), 500);
    expect(released.holderIdentity).toBe('');
    const step = acquireOrRenew(cfg('a'), released, undefined, 600);
    expect(step.action.kind).toBe('update');
  });

  it('renew deadline is 10 s after the last successful renewal', () => {
    expect(renewDeadlinePassed(cfg('a'), 0, 9_999)).toBe(false);
    expect(renewDeadlinePassed(cfg('a'), 0, 10_000)).toBe(true);
  });
});

describe('LeaderElector', () => {
  const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });

  function candidate(id: string, store: MemoryLeaseStore, clock: FakeClock) {
    const events: string[] = [];
    const e = new LeaderElector(cfg(id), store, clock, quiet, {
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    });
    return { e, events };
  }

  it('lets only one of two candidates lead, and hands over after release', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = candidate('a', store, clock);
    const b = candidate('b', store, clock);
    expect(await a.e.tick()).toBe(true);
    expect(await b.e.tick()).toBe(false);
    for (let i = 0; i < 20; i++) {
      clock.advance(2000);
      expect(await a.e.tick()).toBe(true);
      expect(await b.e.tick()).toBe(false);
    }
    expect(a.events).toEqual(['started']);
    await a.e.stop();
    expect(store.lease?.record.holderIdentity).toBe('');
    expect(await b.e.tick()).toBe(true);
    expect(b.events).toEqual(['started']);
    expect(store.lease?.record.leaseTransitions).toBe(1);
  });

  it('a leader that cannot renew steps down before the lease could expire for others', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = candidate('a', store, clock);
    const b = candidate('b', store, clock);
    await a.e.tick();
    await b.e.tick();
    store.failing = true;
    clock.advance(8000);
    expect(await a.e.tick()).toBe(true);
    clock.advance(2000);
    expect(await a.e.tick()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
    // 10 s after a's last renewal b still must wait: a stepped down first.
    store.failing = false;
    expect(await b.e.tick()).toBe(false);
    clock.advance(5000);
    expect(await b.e.tick()).toBe(true);
  });

  it('renews with one write and no read while it holds the lease, and reads again when that write fails', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = candidate('a', store, clock);
    const b = candidate('b', store, clock);
    expect(await a.e.tick()).toBe(true);
    expect(store.calls).toEqual(['get', 'create']);
    store.calls.length = 0;
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      expect(await a.e.tick()).toBe(true);
    }
    expect(store.calls).toEqual(['update', 'update', 'update', 'update', 'update']);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'a', renewTime: clock.now() });

    // The Lease changed behind a (here: released and taken by b): the write of a's version conflicts, a
    // reads the Lease and waits for b; it never overwrites b.
    store.lease = { ...store.lease!, record: { ...store.lease!.record, holderIdentity: '' } };
    store.lease = { record: store.lease.record, version: `${store.lease.version}x` };
    expect(await b.e.tick()).toBe(true);
    store.calls.length = 0;
    clock.advance(2000);
    expect(await a.e.tick()).toBe(true); // still within its renew deadline
    expect(store.calls).toEqual(['update', 'get']);
    expect(store.lease?.record.holderIdentity).toBe('b');
    clock.advance(8000);
    expect(await a.e.tick()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
    expect(store.lease?.record.holderIdentity).toBe('b');
  });

  it('loses a create race cleanly through the store conflict', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = candidate('a', store, clock);
    const b = candidate('b', store, clock);
    const [ra, rb] = await Promise.all([a.e.tick(), b.e.tick()]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
  });
});

describe('LeaderElector: why a candidate is not leading', () => {
  function recording() {
    const lines: { level: string; message: string; reason?: string; waitingSeconds?: number }[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
        cb();
      },
    });
    return { lines, log: createLogger({ stream, level: 'info' }) };
  }
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  const noop = { onStartedLeading: () => undefined, onStoppedLeading: () => undefined };

  it('names the holder it waits for, on /readyz and once in the log until it changes', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const { lines, log } = recording();
    const a = new LeaderElector(cfg('a'), store, clock, log, noop);
    const b = new LeaderElector(cfg('b'), store, clock, log, noop);
    expect(b.describe()).toBe('waiting for leadership: first attempt on lease memory/lease pending');
    await a.tick();
    await b.tick();
    expect(b.state()).toEqual({ kind: 'standby', holder: 'a' });
    expect(b.describe()).toBe('waiting for leadership: lease memory/lease is held by a');
    expect(a.describe()).toBe('leader (lease memory/lease)');
    clock.advance(2000);
    await b.tick();
    await flush();
    const waiting = lines.filter((l) => l.message.includes('waiting for leadership'));
    expect(waiting).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'waiting for leadership',
        reason: 'waiting for leadership: lease memory/lease is held by a',
      }),
    ]);
  });

  it('reports a Lease it cannot reach as a warning with the error, and repeats it every minute', async () => {
    const store = new MemoryLeaseStore();
    store.failing = true;
    const clock = new FakeClock();
    const { lines, log } = recording();
    const e = new LeaderElector(cfg('a'), store, clock, log, noop);
    for (let t = 0; t <= WAITING_REMINDER_MS; t += 2000) {
      await e.tick();
      clock.advance(2000);
    }
    await flush();
    expect(e.state()).toEqual({ kind: 'failing', error: 'apiserver unavailable' });
    const waiting = lines.filter((l) => l.message.includes('waiting for leadership'));
    expect(waiting.map((l) => [l.level, l.message, l.waitingSeconds])).toEqual([
      ['warn', 'waiting for leadership', 0],
      ['warn', 'still waiting for leadership', 60],
    ]);
    expect(waiting[0].reason).toBe(
      'waiting for leadership: cannot take lease memory/lease: apiserver unavailable',
    );
    // Once the Lease is reachable it leads, and says so; a failed renewal is logged while it still leads.
    store.failing = false;
    expect(await e.tick()).toBe(true);
    expect(e.state()).toEqual({ kind: 'leader' });
    store.failing = true;
    clock.advance(2000);
    expect(await e.tick()).toBe(true);
    await flush();
    expect(lines.at(-1)).toMatchObject({
      level: 'warn',
      message: 'could not renew leader lease',
      error: 'apiserver unavailable',
    });
  });
});
