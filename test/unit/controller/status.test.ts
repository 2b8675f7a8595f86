import { computeStatus } from '../../../operator/controller/status/compute-status';
import { statusChanged, statusPatch } from '../../../operator/controller/status/status-patch';
import { statusEvents } from '../../../operator/controller/status/status-events';
import type { LiveStatus } from '../../../operator/controller/status/live-status';
import { readinessOf } from '../../../operator/controller/apply/readiness';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

describe('computeStatus', () => {
  it('is HEALTHY with both conditions True when every component is ready', () => {
    const s = computeStatus(
      undefined,
      {
        generation: 3,
        outcomes: [
          { component: 'Base', state: 'ready' },
          { component: 'Pilot', state: 'ready' },
        ],
      },
      T0,
    );
    expect(s.status).toBe('HEALTHY');
    expect(s.observedGeneration).toBe(3);
    expect(s.componentStatus).toEqual({ Base: { status: 'HEALTHY' }, Pilot: { status: 'HEALTHY' } });
    expect(s.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Reconciled', 'True', 'Applied'],
      ['Ready', 'True', 'ComponentsReady'],
    ]);
    expect(s.message).toBeUndefined();
  });

  it('reports an apiserver rejection as ERROR for that component only', () => {
    const s = computeStatus(
      undefined,
      {
        generation: 1,
        outcomes: [
          { component: 'Base', state: 'ready' },
          { component: 'Pilot', state: 'ready' },
          {
            component: 'EgressGateways',
            state: 'error',
            message: 'Service "x" is invalid: spec.ports[0].port: Invalid value: 0',
          },
        ],
      },
      T0,
    );
    expect(s.status).toBe('ERROR');
    expect(s.componentStatus.Pilot).toEqual({ status: 'HEALTHY' });
    expect(s.componentStatus.EgressGateways).toEqual({
      status: 'ERROR',
      error: 'Service "x" is invalid: spec.ports[0].port: Invalid value: 0',
    });
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(s.conditions[1]).toMatchObject({ status: 'False', reason: 'ComponentError' });
  });

  it('distinguishes UPDATING (changed existing objects) from RECONCILING (installing / waiting)', () => {
    const s = computeStatus(
      undefined,
      {
        generation: 2,
        outcomes: [
          {
            component: 'Pilot',
            state: 'progressing',
            reason: 'Deployment/istiod: 0/1 replicas available',
            changed: true,
          },
          { component: 'IngressGateways', state: 'waiting', reason: 'waiting for Pilot' },
        ],
      },
      T0,
    );
    expect(s.status).toBe('UPDATING');
    expect(s.componentStatus.IngressGateways.status).toBe('RECONCILING');
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'InProgress' });
    expect(s.message).toContain('Deployment/istiod: 0/1 replicas available');
  });

  it('reports an invalid spec as ERROR and keeps lastTransitionTime of unchanged conditions', () => {
    const bad = computeStatus(
      undefined,
      {
        generation: 1,
        invalid: { reason: 'InvalidSpec', message: 'spec.profile: unknown profile "x"' },
        outcomes: [],
      },
      T0,
    );
    expect(bad.status).toBe('ERROR');
    expect(bad.message).toContain('unknown profile');
    const again = computeStatus(
      bad,
      {
        generation: 1,
        invalid: { reason: 'InvalidSpec', message: 'spec.profile: unknown profile "x"' },
        outcomes: [],
      },
      T1,
    );
    expect(again.conditions.map((c) => c.lastTransitionTime)).toEqual([T0, T0]);
    const fixed = computeStatus(
      again,
      { generation: 2, outcomes: [{ component: 'Base', state: 'ready' }] },
      T1,
    );
    expect(fixed.conditions.map((c) => c.lastTransitionTime)).toEqual([T1, T1]);
  });
});

describe('status writes', () => {
  it('sees no change when the live status equals the computed one, including Date-typed times', () => {
    const s = computeStatus(
      undefined,
      { generation: 1, outcomes: [{ component: 'Base', state: 'ready' }] },
      T0,
    );
    const live = JSON.parse(JSON.stringify(s)) as LiveStatus;
    expect(statusChanged(live, s)).toBe(false);
    const withDates = {
      ...live,
      conditions: live.conditions?.map((c) => ({ ...c, lastTransitionTime: new Date(T0) })),
    };
    expect(statusChanged(withDates, s)).toBe(false);
    expect(statusChanged({ ...live, status: 'RECONCILING' }, s)).toBe(true);
  });

  it('deletes components that are gone with null in the merge patch', () => {
    const s = computeStatus(
      undefined,
      { generation: 1, outcomes: [{ component: 'Base', state: 'ready' }] },
      T0,
    );
    const patch = statusPatch(
      { componentStatus: { Base: { status: 'HEALTHY' }, EgressGateways: { status: 'HEALTHY' } } },
      s,
    );
    expect(patch.status.componentStatus).toEqual({ Base: { status: 'HEALTHY' }, EgressGateways: null });
    expect(patch.status.message).toBeNull();
  });
});

describe('statusEvents', () => {
  it('emits on transitions only', () => {
    const healthy = computeStatus(
      undefined,
      { generation: 1, outcomes: [{ component: 'Pilot', state: 'ready' }] },
      T0,
    );
    expect(statusEvents(undefined, healthy)).toEqual([
      { type: 'Normal', reason: 'Healthy', message: 'all components are installed and ready' },
    ]);
    expect(statusEvents(healthy, healthy)).toEqual([]);
    const broken = computeStatus(
      healthy,
      { generation: 1, outcomes: [{ component: 'Pilot', state: 'error', message: 'denied' }] },
      T1,
    );
    expect(statusEvents(healthy, broken)).toEqual([
      { type: 'Warning', reason: 'ComponentError', message: 'Pilot: denied' },
    ]);
    expect(statusEvents(broken, broken)).toEqual([]);
  });
});

describe('readinessOf', () => {
  it('requires a Deployment to be observed, updated and Available', () => {
    const d = (status: object, generation = 2) => ({
      kind: 'Deployment',
      metadata: { name: 'istiod', generation },
      spec: { replicas: 2 },
      status,
    });
    expect(readinessOf(d({ observedGeneration: 1 })).ready).toBe(false);
    expect(
      readinessOf(
        d({
          observedGeneration: 2,
          updatedReplicas: 2,
          availableReplicas: 1,
          conditions: [{ type: 'Available', status: 'True' }],
        }),
      ),
    ).toEqual({
      ready: false,
      reason: 'Deployment/istiod: 1/2 replicas available',
    });
    expect(
      readinessOf(
        d({
          observedGeneration: 2,
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
          conditions: [{ type: 'Available', status: 'True' }],
        }),
      ).ready,
    ).toBe(true);
  });

  it('names a stalled Deployment rollout', () => {
    const d = {
      kind: 'Deployment',
      metadata: { name: 'istiod', generation: 1 },
      status: {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "istiod-1" has timed out progressing.',
          },
        ],
      },
    };
    expect(readinessOf(d)).toEqual({
      ready: false,
      reason: 'Deployment/istiod: ProgressDeadlineExceeded: ReplicaSet "istiod-1" has timed out progressing.',
    });
  });

  it('requires a DaemonSet to be fully scheduled and available', () => {
    const ds = (status: object) => ({
      kind: 'DaemonSet',
      metadata: { name: 'istio-cni-node', generation: 1 },
      status,
    });
    expect(
      readinessOf(
        ds({
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        }),
      ).ready,
    ).toBe(false);
    expect(
      readinessOf(
        ds({
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 3,
        }),
      ).ready,
    ).toBe(true);
    expect(readinessOf({ kind: 'ConfigMap', metadata: { name: 'istio' } }).ready).toBe(true);
  });
});

describe('sidecar rollout in status', () => {
  const rollout = {
    phase: 'Halted' as const,
    targetImage: 'docker.io/istio/proxyv2:1.30.3',
    targetRevision: 'default',
    total: 2,
    restarted: ['shop/Deployment/cart'],
    pending: 1,
    batch: ['shop/Deployment/cart'],
    stuck: ['shop/Deployment/cart'],
  };
  const counts = { injected: 2, outdated: 2, expectedImage: 'docker.io/istio/proxyv2:1.30.3' };

  it('asks for action when a halted rollout is all that is wrong, keeping Ready True', () => {
    const s = computeStatus(
      undefined,
      { generation: 1, outcomes: [{ component: 'Pilot', state: 'ready' }], sidecars: { counts, rollout } },
      T0,
    );
    expect(s.status).toBe('ACTION_REQUIRED');
    expect(s.message).toContain('shop/Deployment/cart');
    expect(s.meshwright).toEqual({ sidecars: counts, sidecarRollout: rollout });
    expect(s.conditions[1]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('keeps the last observation when a pass did not look at sidecars', () => {
    const first = computeStatus(
      undefined,
      { generation: 1, outcomes: [{ component: 'Pilot', state: 'ready' }], sidecars: { counts } },
      T0,
    );
    const later = computeStatus(
      first,
      {
        generation: 1,
        outcomes: [{ component: 'Pilot', state: 'progressing', reason: 'x', changed: false }],
      },
      T1,
    );
    expect(later.meshwright).toEqual({ sidecars: counts });
    expect(statusPatch(first, later).status.meshwright).toEqual({
      sidecars: { ...counts },
      sidecarRollout: null,
    });
  });
});
