import { backoffDelay, ItemBackoff } from '../../../operator/controller/queue/item-backoff';
import { TokenBucket } from '../../../operator/controller/queue/token-bucket';
import { ControllerRateLimiter } from '../../../operator/controller/queue/rate-limiter';
import { FakeClock } from './fake-clock';

describe('backoffDelay', () => {
  it('doubles from 5 ms per consecutive failure', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n))).toEqual([5, 10, 20, 40, 5120]);
  });

  it('caps at 1000 s, also for huge failure counts', () => {
    expect(backoffDelay(30)).toBe(1_000_000);
    expect(backoffDelay(5000)).toBe(1_000_000);
  });

  it('honours a custom policy', () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: 500 })).toBe(500);
    expect(backoffDelay(1, { baseMs: 100, maxMs: 500 })).toBe(200);
  });
});

describe('ItemBackoff', () => {
  it('tracks failures per key and forgets them on success', () => {
    const b = new ItemBackoff();
    expect(b.when('a')).toBe(5);
    expect(b.when('a')).toBe(10);
    expect(b.when('b')).toBe(5);
    expect(b.retries('a')).toBe(2);
    b.forget('a');
    expect(b.retries('a')).toBe(0);
    expect(b.when('a')).toBe(5);
  });
});

describe('TokenBucket', () => {
  it('allows the burst immediately, then spaces reservations at 1/qps', () => {
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, 0);
    expect([bucket.reserve(0), bucket.reserve(0), bucket.reserve(0)]).toEqual([0, 0, 0]);
    expect(bucket.reserve(0)).toBe(100);
    expect(bucket.reserve(0)).toBe(200);
  });

  it('refills over time up to the burst', () => {
    const bucket = new TokenBucket({ qps: 10, burst: 2 }, 0);
    bucket.reserve(0);
    bucket.reserve(0);
    expect(bucket.reserve(10_000)).toBe(0);
    expect(bucket.reserve(10_000)).toBe(0);
    expect(bucket.reserve(10_000)).toBe(100);
  });
});

describe('ControllerRateLimiter', () => {
  it('takes the larger of the key backoff and the bucket delay', () => {
    const clock = new FakeClock();
    const limiter = new ControllerRateLimiter(clock, { baseMs: 5, maxMs: 1000 }, { qps: 1, burst: 1 });
    expect(limiter.when('a')).toBe(5); // token available, key backoff wins
    expect(limiter.when('b')).toBe(1000); // bucket empty: 1 s for the next token
    expect(limiter.retries('a')).toBe(1);
  });
});
