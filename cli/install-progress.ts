// What `meshwright install` makes of each IstioOperator it reads back while waiting: progress lines for
// what changed since the last read, and whether the wait is over. Pure: snapshots in, text and verdicts out.
// The status shape is the one operator/controller/status/compute-status.ts writes.
import type { ComponentStatus, InstallStatus } from '../operator/api/types';

/** The parts of a live IstioOperator the wait looks at. */
export interface IopSnapshot {
  generation?: number;
  status?: {
    status?: InstallStatus;
    message?: string;
    observedGeneration?: number;
    componentStatus?: Record<string, ComponentStatus>;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type Verdict =
  | { kind: 'waiting' }
  /** The operator has not written a status for the current generation yet. */
  | { kind: 'no-status' }
  | { kind: 'healthy' }
  /** The operator cannot render the spec: waiting longer will not help. */
  | { kind: 'failed'; reason: string };

/** The status written for this generation, or undefined while the operator has not caught up. */
export function currentStatus(iop: IopSnapshot): IopSnapshot['status'] | undefined {
  const s = iop.status;
  if (!s?.status) return undefined;
  if (iop.generation !== undefined && (s.observedGeneration ?? 0) < iop.generation) return undefined;
  return s;
}

export function verdict(iop: IopSnapshot): Verdict {
  const s = currentStatus(iop);
  if (!s) return { kind: 'no-status' };
  if (s.status === 'HEALTHY' || s.status === 'ACTION_REQUIRED') return { kind: 'healthy' };
  const reconciled = s.conditions?.find((c) => c.type === 'Reconciled');
  if (reconciled?.reason === 'InvalidSpec' || reconciled?.reason === 'RenderFailed')
    return { kind: 'failed', reason: `${reconciled.reason}: ${reconciled.message ?? s.message ?? ''}` };
  return { kind: 'waiting' };
}

const MARK: Partial<Record<InstallStatus, string>> = { HEALTHY: '✔', ERROR: '✘' };

/** One line per component whose status changed since `prev` (all of them on the first read). */
export function progressLines(prev: IopSnapshot | undefined, next: IopSnapshot): string[] {
  const before = prev ? currentStatus(prev)?.componentStatus : undefined;
  const after = currentStatus(next)?.componentStatus ?? {};
  const lines: string[] = [];
  for (const [name, c] of Object.entries(after)) {
    const old = before?.[name];
    if (old && old.status === c.status && old.error === c.error) continue;
    const mark = MARK[c.status] ?? '-';
    lines.push(`${mark} ${name}: ${c.status}${c.error ? ` (${c.error})` : ''}`);
  }
  return lines;
}

/** Why the wait ended without HEALTHY: the overall status, the failing condition, each unhealthy component. */
export function failureReport(iop: IopSnapshot | undefined): string {
  const s = iop && currentStatus(iop);
  if (!s) return 'the operator wrote no status for this IstioOperator';
  const lines = [`status ${s.status}${s.message ? `: ${s.message}` : ''}`];
  for (const c of s.conditions ?? []) {
    if (c.status !== 'True')
      lines.push(`condition ${c.type}=${c.status} (${c.reason ?? ''}): ${c.message ?? ''}`);
  }
  for (const [name, c] of Object.entries(s.componentStatus ?? {})) {
    if (c.status !== 'HEALTHY') lines.push(`component ${name}: ${c.status}${c.error ? `: ${c.error}` : ''}`);
  }
  return lines.join('\n  ');
}
