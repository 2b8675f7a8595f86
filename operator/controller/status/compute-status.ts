// Pure status computation: component outcomes in, IstioOperator status out.
//   HEALTHY      every component applied and ready
//   UPDATING     a change to an existing installation is rolling out
//   RECONCILING  installing, or waiting for an earlier stage / for readiness
//   ERROR        the spec is invalid, rendering failed, or an object was rejected (with the
//                apiserver's message); other components keep their own status
import type { ComponentStatus, InstallStatus, IstioOperatorStatus } from '../../api/types';
import { setConditions, type ConditionInput } from './conditions';
import type { ComponentOutcome, PassResult } from './outcome';
import type { LiveStatus } from './live-status';
import { injectionVersionOf } from './injection-version';

/** The part of the wire status (api/types.ts) this operator owns and always writes. */
export type OwnedStatus = IstioOperatorStatus &
  Required<Pick<IstioOperatorStatus, 'status' | 'observedGeneration' | 'componentStatus' | 'conditions'>>;

function componentStatus(o: ComponentOutcome, prev: ComponentStatus | undefined): ComponentStatus {
  switch (o.state) {
    case 'ready':
      return { status: 'HEALTHY' };
    case 'error':
      return { status: 'ERROR', error: o.message };
    case 'waiting':
      return { status: 'RECONCILING' };
    case 'progressing':
      return { status: o.changed || prev?.status === 'UPDATING' ? 'UPDATING' : 'RECONCILING' };
  }
}

function overall(components: ComponentStatus[]): InstallStatus {
  for (const s of ['ERROR', 'UPDATING', 'RECONCILING'] as const) {
    if (components.some((c) => c.status === s)) return s;
  }
  return 'HEALTHY';
}

function problem(o: ComponentOutcome): string | undefined {
  if (o.state === 'error') return `${o.component}: ${o.message}`;
  if (o.state === 'progressing' || o.state === 'waiting') return `${o.component}: ${o.reason}`;
  return undefined;
}

export function computeStatus(prev: LiveStatus | undefined, pass: PassResult, now: string): OwnedStatus {
  const prevConditions = prev?.conditions;
  const observed = pass.sidecars
    ? { sidecars: pass.sidecars.counts, sidecarRollout: pass.sidecars.rollout }
    : { sidecars: prev?.meshwright?.sidecars, sidecarRollout: prev?.meshwright?.sidecarRollout };
  // CRD notes come from passes that applied; a pass that applied nothing keeps the previous one.
  const crds = pass.invalid || pass.refused ? prev?.meshwright?.crds : pass.crds;
  const version = pass.version ?? prev?.meshwright?.version;
  const meshwright = { version, injection: injectionVersionOf(version), ...observed, crds };
  const meshwrightPart =
    meshwright.version || meshwright.sidecars || meshwright.sidecarRollout || meshwright.crds
      ? { meshwright: withoutUndefined(meshwright) }
      : {};
  if (pass.refused) {
    // The installed version keeps running untouched; a human must choose another way (the message says which).
    const conditions: ConditionInput[] = [
      {
        type: 'Reconciled',
        status: 'False',
        reason: 'UnsupportedVersionChange',
        message: pass.refused.message,
      },
    ];
    return {
      status: 'ACTION_REQUIRED',
      message: pass.refused.message,
      observedGeneration: pass.generation,
      componentStatus: prev?.componentStatus ?? {},
      conditions: setConditions(prevConditions, conditions, pass.generation, now),
      ...meshwrightPart,
    };
  }
  if (pass.invalid) {
    const conditions: ConditionInput[] = [
      { type: 'Reconciled', status: 'False', reason: pass.invalid.reason, message: pass.invalid.message },
      {
        type: 'Ready',
        status: 'False',
        reason: pass.invalid.reason,
        message: 'nothing applied: the spec cannot be rendered',
      },
    ];
    return {
      status: 'ERROR',
      message: pass.invalid.message,
      observedGeneration: pass.generation,
      componentStatus: prev?.componentStatus ?? {},
      conditions: setConditions(prevConditions, conditions, pass.generation, now),
      ...meshwrightPart,
    };
  }
  const componentStatuses: Record<string, ComponentStatus> = {};
  for (const o of pass.outcomes)
    componentStatuses[o.component] = componentStatus(o, prev?.componentStatus?.[o.component]);
  let status = overall(Object.values(componentStatuses));
  const problems = pass.outcomes.map(problem).filter((p): p is string => p !== undefined);
  const halted = meshwright.sidecarRollout?.phase === 'Halted';
  if (halted && status === 'HEALTHY') {
    // The control plane is fine, but the rollout needs a human: the stuck workloads are named.
    status = 'ACTION_REQUIRED';
    problems.push(
      `sidecar rollout halted: not ready within readyTimeoutSeconds: ${meshwright.sidecarRollout?.stuck.join(', ')}`,
    );
  }
  const errors = pass.outcomes.filter((o) => o.state === 'error');
  const waiting = pass.outcomes.some((o) => o.state === 'waiting');
  const reconciled: ConditionInput =
    errors.length > 0
      ? {
          type: 'Reconciled',
          status: 'False',
          reason: 'ApplyFailed',
          message: errors.map(problem).join('; '),
        }
      : waiting
        ? {
            type: 'Reconciled',
            status: 'False',
            reason: 'InProgress',
            message: 'waiting for earlier install stages',
          }
        : {
            type: 'Reconciled',
            status: 'True',
            reason: 'Applied',
            message: 'all rendered objects are applied',
          };
  const ready: ConditionInput =
    status === 'HEALTHY' || status === 'ACTION_REQUIRED'
      ? { type: 'Ready', status: 'True', reason: 'ComponentsReady', message: 'all components are ready' }
      : {
          type: 'Ready',
          status: 'False',
          reason: errors.length > 0 ? 'ComponentError' : 'ComponentsNotReady',
          message: problems.join('; '),
        };
  return {
    status,
    ...(problems.length > 0 ? { message: problems.join('; ') } : {}),
    observedGeneration: pass.generation,
    componentStatus: componentStatuses,
    conditions: setConditions(prevConditions, [reconciled, ready], pass.generation, now),
    ...meshwrightPart,
  };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
