// Kubernetes Events for status transitions. Derived from the change between the previous and the new
// status, so a steady state emits nothing (events are writes too).
import type { LiveStatus } from './live-status';
import type { OwnedStatus } from './compute-status';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export function statusEvents(prev: LiveStatus | undefined, next: OwnedStatus): EventSpec[] {
  const events: EventSpec[] = [];
  const reconciled = next.conditions.find((c) => c.type === 'Reconciled');
  const prevReconciled = prev?.conditions?.find((c) => c.type === 'Reconciled');
  if (
    reconciled &&
    (reconciled.reason === 'InvalidSpec' ||
      reconciled.reason === 'RenderFailed' ||
      reconciled.reason === 'UnsupportedVersionChange') &&
    (prevReconciled?.reason !== reconciled.reason || prevReconciled?.message !== reconciled.message)
  ) {
    events.push({ type: 'Warning', reason: reconciled.reason, message: reconciled.message });
  }
  for (const [name, c] of Object.entries(next.componentStatus)) {
    const before = prev?.componentStatus?.[name];
    if (c.status === 'ERROR' && (before?.status !== 'ERROR' || before.error !== c.error)) {
      events.push({ type: 'Warning', reason: 'ComponentError', message: `${name}: ${c.error ?? 'error'}` });
    }
    if (c.status === 'HEALTHY' && before?.status === 'ERROR') {
      events.push({ type: 'Normal', reason: 'ComponentRecovered', message: `${name} is healthy again` });
    }
  }
  const crds = next.meshwright?.crds;
  if (crds && crds.message !== prev?.meshwright?.crds?.message)
    events.push({ type: 'Normal', reason: 'CRDsKept', message: crds.message });
  if (next.status === 'HEALTHY' && prev?.status !== 'HEALTHY') {
    events.push({ type: 'Normal', reason: 'Healthy', message: 'all components are installed and ready' });
  }
  return events;
}
