// The retry delay of a key is the larger of its own exponential backoff and the shared token bucket.
import type { Clock } from '../clock';
import { ItemBackoff, type BackoffPolicy, DEFAULT_BACKOFF } from './item-backoff';
import { TokenBucket, type BucketPolicy, DEFAULT_BUCKET } from './token-bucket';

export interface RateLimiter {
  when(key: string): number;
  retries(key: string): number;
  forget(key: string): void;
}

export class ControllerRateLimiter implements RateLimiter {
  private readonly items: ItemBackoff;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly clock: Clock,
    backoff: BackoffPolicy = DEFAULT_BACKOFF,
    bucket: BucketPolicy = DEFAULT_BUCKET,
  ) {
    this.items = new ItemBackoff(backoff);
    this.bucket = new TokenBucket(bucket, clock.now());
  }

  when(key: string): number {
    return Math.max(this.items.when(key), this.bucket.reserve(this.clock.now()));
  }

  retries(key: string): number {
    return this.items.retries(key);
  }

  forget(key: string): void {
    this.items.forget(key);
  }
}
