// A per-key work queue with client-go semantics:
// - a key waits in the queue at most once (dedup), however many events arrive for it;
// - a key being processed is never handed to a second worker; if it is added meanwhile it is
//   re-queued when the first worker calls done(), so no event is lost;
// - delayed adds (backoff, resync) keep only the earliest pending time per key.
import type { Clock, TimerHandle } from '../clock';
import type { RateLimiter } from './rate-limiter';

/** Observes the queue for metrics; the no-op default keeps the queue usable without prom-client. */
export interface QueueObserver {
  added(): void;
  depth(n: number): void;
  retried(): void;
  /** Seconds the key waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds a worker spent on the key. */
  worked(seconds: number): void;
}

const noObserver: QueueObserver = {
  added() {},
  depth() {},
  retried() {},
  queued() {},
  worked() {},
};

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly observer: QueueObserver = noObserver,
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer.added();
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after ms; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.clock.after(ms, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { at, timer });
  }

  /** Re-adds a failed key after its backoff. */
  addRateLimited(key: string): void {
    this.observer.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the failure history of a key after a success. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** Resolves with the next key, or undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.pop();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    const started = this.processing.get(key);
    if (started !== undefined) this.observer.worked((this.clock.now() - started) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  len(): number {
    return this.queue.length;
  }

  /** Stops accepting keys, cancels delayed adds and wakes idle workers with undefined. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.queue.push(key);
      getter(this.pop());
      return;
    }
    this.queue.push(key);
    this.observer.depth(this.queue.length);
  }

  private pop(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.observer.depth(this.queue.length);
    this.dirty.delete(key);
    const now = this.clock.now();
    this.processing.set(key, now);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.observer.queued((now - added) / 1000);
    return key;
  }
}
