// Pure leader-election steps. Expiry is judged against the LOCAL time at which this candidate first
// saw the current record, never against the renewTime written by another machine, so clock skew
// between replicas cannot make two of them believe the lease is free.
import { sameRecord, type ElectionConfig, type LeaseRecord } from './lease-record';

export interface Observed {
  record: LeaseRecord;
  /** Local time (ms) when this record was first seen unchanged. */
  at: number;
}

export type LeaseAction =
  | { kind: 'create'; record: LeaseRecord }
  | { kind: 'update'; record: LeaseRecord }
  | { kind: 'wait'; holder: string };

export interface Step {
  action: LeaseAction;
  observed: Observed | undefined;
}

/** One acquire-or-renew attempt given the lease as read now (undefined: no Lease object yet). */
export function acquireOrRenew(
  cfg: ElectionConfig,
  current: LeaseRecord | undefined,
  observed: Observed | undefined,
  now: number,
): Step {
  const leaseDurationSeconds = Math.ceil(cfg.leaseDurationMs / 1000);
  if (!current) {
    const record = {
      holderIdentity: cfg.identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    return { action: { kind: 'create', record }, observed };
  }
  const seen = observed && sameRecord(observed.record, current) ? observed : { record: current, at: now };
  const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== cfg.identity;
  const validFor = current.leaseDurationSeconds * 1000;
  if (heldByOther && seen.at + validFor > now) {
    return { action: { kind: 'wait', holder: current.holderIdentity }, observed: seen };
  }
  const mine = current.holderIdentity === cfg.identity;
  const record: LeaseRecord = {
    holderIdentity: cfg.identity,
    leaseDurationSeconds,
    acquireTime: mine ? current.acquireTime : now,
    renewTime: now,
    leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
  };
  return { action: { kind: 'update', record }, observed: seen };
}

/** A leader that has not renewed successfully within the renew deadline must stop acting. */
export function renewDeadlinePassed(cfg: ElectionConfig, lastRenewAt: number, now: number): boolean {
  return now - lastRenewAt >= cfg.renewDeadlineMs;
}

/** The record a leader writes on clean shutdown so a successor need not wait out the lease. */
export function releasedRecord(current: LeaseRecord, now: number): LeaseRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: current.leaseTransitions,
  };
}
