// Per-key exponential backoff: the n-th consecutive failure of a key waits base * 2^n, capped. The
// defaults match client-go's controller rate limiter (5 ms doubling up to 1000 s) so a permanently
// failing object settles at one retry every ~16 minutes instead of hammering the apiserver.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5, maxMs: 1_000_000 };

/** Delay before retry number `failures` (0 = first retry). Pure. */
export function backoffDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (failures < 0) return 0;
  // 2^n overflows to Infinity for large n; the cap keeps the result finite.
  const raw = policy.baseMs * Math.pow(2, failures);
  return Math.min(raw, policy.maxMs);
}

/** Failure counts per key; `when` records a failure and returns the delay for it. */
export class ItemBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return backoffDelay(n, this.policy);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}
