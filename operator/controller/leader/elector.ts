// Runs the pure election steps against a LeaseStore on a timer. The leader renews every retry period;
// if it cannot renew for the renew deadline (shorter than the lease) it stops acting BEFORE any other
// candidate may consider the lease expired. On stop, a leader releases the lease.
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../../../lib/log';
import { apiMessage, statusCode } from '../kube/api-errors';
import { acquireOrRenew, releasedRecord, renewDeadlinePassed, type Observed } from './lease-decision';
import type { ElectionConfig } from './lease-record';
import type { LeaseStore } from './lease-store';

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Called once when leadership is lost (not on a clean stop). The process should stop acting. */
  onStoppedLeading(): void;
}

export class LeaderElector {
  private observed: Observed | undefined;
  private leader = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly cfg: ElectionConfig,
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly callbacks: LeaderCallbacks,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a current leader releases the lease so a successor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
    await this.loop;
    if (!this.leader) return;
    this.leader = false;
    try {
      const current = await this.store.get();
      if (current && current.record.holderIdentity === this.cfg.identity) {
        await this.store.update(releasedRecord(current.record, this.clock.now()), current.version);
        this.log.info('released leader lease', { lease: this.store.describe() });
      }
    } catch (err) {
      this.log.warn('could not release leader lease', {
        lease: this.store.describe(),
        error: apiMessage(err),
      });
    }
  }

  /** One attempt; exposed for tests. Returns whether this candidate holds the lease afterwards. */
  async tick(): Promise<boolean> {
    const ok = await this.tryAcquireOrRenew();
    const now = this.clock.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leader) {
        this.leader = true;
        this.log.info('became leader', { lease: this.store.describe(), identity: this.cfg.identity });
        this.callbacks.onStartedLeading();
      }
    } else if (this.leader && renewDeadlinePassed(this.cfg, this.lastRenew, now)) {
      this.leader = false;
      this.log.error('lost leader lease', { lease: this.store.describe(), identity: this.cfg.identity });
      this.callbacks.onStoppedLeading();
    }
    return this.leader;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.tick();
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = this.clock.after(this.cfg.retryPeriodMs, resolve);
      });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const current = await this.store.get();
      const now = this.clock.now();
      const step = acquireOrRenew(this.cfg, current?.record, this.observed, now);
      this.observed = step.observed;
      const action = step.action;
      if (action.kind === 'wait') return false;
      if (action.kind === 'create') await this.store.create(action.record);
      else await this.store.update(action.record, current?.version ?? '');
      this.observed = { record: action.record, at: now };
      this.lastError = undefined;
      return true;
    } catch (err) {
      // Conflicts are the normal outcome of a lost race; anything else (a missing namespace, RBAC)
      // is logged as a warning once per distinct message, not every retry period.
      const message = apiMessage(err);
      const level = message !== this.lastError && statusCode(err) !== 409 ? 'warn' : 'debug';
      this.lastError = message;
      this.log.log(level, 'leader lease attempt failed', { lease: this.store.describe(), error: message });
      return false;
    }
  }
}
