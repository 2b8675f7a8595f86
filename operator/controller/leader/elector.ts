// Runs the pure election steps against a LeaseStore on a timer. The leader renews every retry period
// with one write of the Lease version it last wrote (client-go's fast path), and reads the Lease
// only when that write fails: a conflict means the Lease changed behind it, and is judged afresh;
// if it cannot renew for the renew deadline (shorter than the lease) it stops acting BEFORE any other
// candidate may consider the lease expired. On stop, a leader releases the lease. A candidate that is
// not leading says why (state(), /readyz) and logs it on every change and again every minute, so a
// replica that waits forever (a Lease it cannot write, a holder that never lets go) is never silent.
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../../../lib/log';
import { apiMessage, statusCode } from '../kube/api-errors';
import { describeElection, sameElectionState, type ElectionState } from './election-state';
import { acquireOrRenew, releasedRecord, renewDeadlinePassed, type Observed } from './lease-decision';
import type { ElectionConfig, LeaseRecord } from './lease-record';
import type { LeaseStore } from './lease-store';

export interface LeaderCallbacks {
  /** `term` is aborted when this leadership ends (lost, or a clean stop): in-flight writes must stop. */
  onStartedLeading(term: AbortSignal): void;
  /** Called once when leadership is lost (not on a clean stop). The process should stop acting. */
  onStoppedLeading(): void;
}

/** How often a candidate that is still not leading repeats why. */
export const WAITING_REMINDER_MS = 60_000;

export class LeaderElector {
  private observed: Observed | undefined;
  /** The version of the Lease this leader last wrote (its record is `observed`): the next renewal writes over it. */
  private heldVersion: string | undefined;
  private leader = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private current: ElectionState = { kind: 'starting' };
  private waitingSince: number | undefined;
  private lastReport = 0;
  private term: AbortController | undefined;

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

  state(): ElectionState {
    return this.current;
  }

  /** One sentence for /readyz: leading, or waiting for leadership and why. */
  describe(): string {
    return describeElection(this.current, this.store.describe());
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
    this.term?.abort(new Error('leader election stopped'));
    if (!this.leader) return;
    this.leader = false;
    this.heldVersion = undefined;
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
    const attempt = await this.tryAcquireOrRenew();
    const now = this.clock.now();
    if (attempt.kind === 'leader') {
      this.lastRenew = now;
      if (!this.leader) {
        this.leader = true;
        this.current = attempt;
        this.waitingSince = undefined;
        this.log.info('became leader', { lease: this.store.describe(), identity: this.cfg.identity });
        this.term = new AbortController();
        this.callbacks.onStartedLeading(this.term.signal);
      }
    } else if (this.leader && renewDeadlinePassed(this.cfg, this.lastRenew, now)) {
      this.leader = false;
      this.heldVersion = undefined;
      this.current = attempt;
      this.log.error('lost leader lease', { lease: this.store.describe(), identity: this.cfg.identity });
      // Abort first: a reconcile running now must not write again before the callback has run.
      this.term?.abort(new Error('leader lease lost'));
      this.callbacks.onStoppedLeading();
    } else if (this.leader) {
      // Still leading until the renew deadline; each failed renewal is worth a line.
      this.log.warn('could not renew leader lease', {
        lease: this.store.describe(),
        error: attempt.kind === 'failing' ? attempt.error : describeElection(attempt, this.store.describe()),
      });
    } else {
      this.reportWaiting(attempt, now);
    }
    return this.leader;
  }

  // Logs a waiting candidate's reason when it changes, and repeats it every WAITING_REMINDER_MS.
  private reportWaiting(next: ElectionState, now: number): void {
    this.waitingSince ??= now;
    const changed = !sameElectionState(this.current, next);
    this.current = next;
    if (!changed && now - this.lastReport < WAITING_REMINDER_MS) return;
    this.lastReport = now;
    // A lost write race is routine; an error reaching the Lease (RBAC, no namespace) is not.
    const level = next.kind === 'failing' ? 'warn' : 'info';
    this.log.log(level, changed ? 'waiting for leadership' : 'still waiting for leadership', {
      lease: this.store.describe(),
      identity: this.cfg.identity,
      reason: this.describe(),
      waitingSeconds: Math.round((now - this.waitingSince) / 1000),
    });
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

  /** One attempt: leader if this candidate holds the lease afterwards, else why not. */
  private async tryAcquireOrRenew(): Promise<ElectionState> {
    const held = this.heldVersion;
    if (
      this.leader &&
      held !== undefined &&
      this.observed &&
      (await this.renewHeld(this.observed.record, held))
    )
      return { kind: 'leader' };
    this.heldVersion = undefined;
    try {
      const current = await this.store.get();
      const now = this.clock.now();
      const step = acquireOrRenew(this.cfg, current?.record, this.observed, now);
      this.observed = step.observed;
      const action = step.action;
      if (action.kind === 'wait') return { kind: 'standby', holder: action.holder };
      const version =
        action.kind === 'create'
          ? await this.store.create(action.record)
          : await this.store.update(action.record, current?.version ?? '');
      this.observed = { record: action.record, at: now };
      this.heldVersion = version;
      return { kind: 'leader' };
    } catch (err) {
      // A conflict is the normal outcome of a lost race; anything else (RBAC, a namespace deleted
      // after start-up, an unreachable apiserver) is reported as the reason this replica waits.
      if (statusCode(err) === 409) return { kind: 'standby', holder: '' };
      this.log.debug('leader lease attempt failed', { lease: this.store.describe(), error: apiMessage(err) });
      return { kind: 'failing', error: apiMessage(err) };
    }
  }

  /**
   * The renewal of a Lease this leader wrote last, without reading it: the write carries that version, so
   * it succeeds only if nobody wrote the Lease since. False on any error (the caller reads and judges).
   */
  private async renewHeld(written: LeaseRecord, version: string): Promise<boolean> {
    const now = this.clock.now();
    const record = { ...written, renewTime: now };
    try {
      this.heldVersion = await this.store.update(record, version);
      this.observed = { record, at: now };
      return true;
    } catch (err) {
      this.log.debug('leader lease renewal without a read failed; reading it', {
        lease: this.store.describe(),
        error: apiMessage(err),
      });
      return false;
    }
  }
}
