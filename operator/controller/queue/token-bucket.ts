// Overall rate limit across all keys (client-go's 10 qps, burst 100): a burst of failing keys cannot
// turn into a retry storm even when each key is still early in its own backoff. Reservation-style:
// every call takes a token, possibly from the future, and returns how long to wait for it.

export interface BucketPolicy {
  qps: number;
  burst: number;
}

export const DEFAULT_BUCKET: BucketPolicy = { qps: 10, burst: 100 };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly policy: BucketPolicy,
    now: number,
  ) {
    this.tokens = policy.burst;
    this.last = now;
  }

  /** Reserves one token at time `now` (ms); returns the delay in ms until it is available. */
  reserve(now: number): number {
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.policy.burst, this.tokens + (elapsed / 1000) * this.policy.qps);
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.policy.qps) * 1000);
  }
}
