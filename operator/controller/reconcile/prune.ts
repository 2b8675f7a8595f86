// Deleting owned objects no longer rendered (after handing shared ones over), and re-issuing the DELETE of
// objects whose deletion stalled.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import type { Clock } from '../clock';
import { describeObject, objectKey } from '../apply/object-key';
import { planPrune } from '../apply/plan';
import { apiMessage } from '../kube/api-errors';
import { refOf, type KubeClient } from '../kube/kube-client';
import type { EventSpec } from '../status/status-events';
import type { RenderFn } from './desired';
import { handOverShared } from './hand-over';

/**
 * An owned object still terminating this long after its deletionTimestamp gets its DELETE re-issued,
 * at most once per this interval (kube-apiserver's CRD cleanup can give up and never retry; a second
 * DELETE gets it going again).
 */
export const STALLED_DELETE_MS = 10_000;

export interface PruneResult {
  errors: string[];
  /** Objects deleted now or still terminating: looked at again in case their deletion stalls. */
  terminating: number;
}

export class Pruner {
  /** `<iop key>|<object key>` -> when its DELETE was last re-issued (stalled deletions). */
  private readonly redeletedAt = new Map<string, number>();

  constructor(private readonly o: { client: KubeClient; render: RenderFn; clock: Clock }) {}

  forget(iopKey: string): void {
    for (const k of [...this.redeletedAt.keys()]) if (k.startsWith(`${iopKey}|`)) this.redeletedAt.delete(k);
  }

  async prune(
    iopKey: string,
    desiredKeys: ReadonlySet<string>,
    liveOwned: readonly KubernetesObject[],
    log: Logger,
    actions: EventSpec[],
  ): Promise<PruneResult> {
    const deleted: string[] = [];
    const errors: string[] = [];
    const stale = planPrune(desiredKeys, liveOwned);
    for (const obj of stale.length > 0 ? await handOverShared(this.o, iopKey, stale, log) : []) {
      const what = describeObject(obj);
      try {
        if (await this.o.client.delete(refOf(obj))) deleted.push(what);
        log.info('pruned object', { object: what });
      } catch (err) {
        errors.push(`prune ${what}: ${apiMessage(err)}`);
      }
    }
    if (deleted.length > 0) {
      actions.push({
        type: 'Normal',
        reason: 'Pruned',
        message: `deleted objects no longer rendered: ${deleted.join(', ')}`,
      });
    }
    const terminating = liveOwned.filter(
      (o) => !desiredKeys.has(objectKey(o)) && o.metadata?.deletionTimestamp,
    );
    const stalled = await this.redeleteStalled(iopKey, terminating, log);
    errors.push(...stalled.errors);
    if (stalled.event) actions.push(stalled.event);
    return { errors, terminating: terminating.length + deleted.length };
  }

  /**
   * Re-issues DELETE for objects terminating longer than STALLED_DELETE_MS, at most once per that
   * interval each, and describes them in a Warning event when it did. Only called while something is
   * being deleted, so a steady state still makes no writes.
   */
  async redeleteStalled(
    iopKey: string,
    terminating: readonly KubernetesObject[],
    log: Logger,
  ): Promise<{ errors: string[]; event?: EventSpec }> {
    const now = this.o.clock.now();
    const prefix = `${iopKey}|`;
    const current = new Set(terminating.map((o) => `${prefix}${objectKey(o)}`));
    for (const k of [...this.redeletedAt.keys()])
      if (k.startsWith(prefix) && !current.has(k)) this.redeletedAt.delete(k);
    const redeleted: string[] = [];
    const errors: string[] = [];
    for (const obj of terminating) {
      const since = deletionTime(obj);
      if (since === undefined || now - since < STALLED_DELETE_MS) continue;
      const k = `${prefix}${objectKey(obj)}`;
      const last = this.redeletedAt.get(k);
      if (last !== undefined && now - last < STALLED_DELETE_MS) continue;
      const what = `${describeObject(obj)} (terminating for ${Math.round((now - since) / 1000)}s${terminatingReason(obj)})`;
      try {
        await this.o.client.delete(refOf(obj));
        this.redeletedAt.set(k, now);
        redeleted.push(what);
        log.warn('deletion stalled, DELETE re-issued', { object: what });
      } catch (err) {
        errors.push(`re-delete ${describeObject(obj)}: ${apiMessage(err)}`);
        log.warn('re-issuing DELETE failed', { object: what, error: apiMessage(err) });
      }
    }
    if (redeleted.length === 0) return { errors };
    return {
      errors,
      event: {
        type: 'Warning',
        reason: 'DeletionStalled',
        message: `still terminating, DELETE re-issued: ${redeleted.join(', ')}`,
      },
    };
  }
}

/** The deletionTimestamp in ms (the typed client gives a Date, raw JSON a string). */
function deletionTime(obj: KubernetesObject): number | undefined {
  const ts: unknown = obj.metadata?.deletionTimestamp;
  if (ts instanceof Date) return ts.getTime();
  if (typeof ts !== 'string') return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Why the apiserver says it is still terminating (a CRD's Terminating condition), if it says. */
function terminatingReason(obj: KubernetesObject): string {
  const conditions = (obj as { status?: { conditions?: unknown } }).status?.conditions;
  if (!Array.isArray(conditions)) return '';
  for (const c of conditions as { type?: unknown; reason?: unknown; message?: unknown }[]) {
    if (c.type === 'Terminating' && typeof c.reason === 'string')
      return `, ${c.reason}${typeof c.message === 'string' ? `: ${c.message}` : ''}`;
  }
  return '';
}
