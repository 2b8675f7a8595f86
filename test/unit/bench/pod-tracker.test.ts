import type { V1Pod } from '@kubernetes/client-node';
import { PodTracker, WORKLOAD_LABEL } from '../../../bench/upgrade/pod-tracker';

function pod(
  uid: string,
  workload: string,
  revision: string,
  o: { ready?: boolean; terminating?: boolean; image?: string } = {},
): V1Pod {
  return {
    metadata: {
      uid,
      name: uid,
      labels: { [WORKLOAD_LABEL]: workload },
      annotations: { 'istio.io/rev': revision },
      ...(o.terminating ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: {
      containers: [
        { name: 'app', image: 'app' },
        { name: 'istio-proxy', image: o.image ?? `proxyv2:${revision}` },
      ],
    },
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

describe('PodTracker', () => {
  const replicas = new Map([
    ['a', 2],
    ['b', 1],
  ]);

  it('converges when every workload has exactly its replicas Ready on the revision', () => {
    const t = new PodTracker(replicas);
    t.reset([pod('1', 'a', 'old'), pod('2', 'a', 'old'), pod('3', 'b', 'old')]);
    expect(t.converged('old')).toEqual({ pods: 3 });
    expect(t.converged('old', 'proxyv2:old')).toEqual({ pods: 3 });
    expect(t.converged('old', 'proxyv2:new')).toBeUndefined();
    expect(t.converged('new')).toBeUndefined();
  });

  it('does not converge while an old, unready or terminating pod is left, or a replica is missing', () => {
    const t = new PodTracker(replicas);
    t.reset([pod('1', 'a', 'new'), pod('2', 'a', 'new'), pod('3', 'b', 'new')]);
    expect(t.converged('new')).toEqual({ pods: 3 });
    t.event('ADDED', pod('4', 'a', 'old', { terminating: true }));
    expect(t.converged('new')).toBeUndefined();
    t.event('DELETED', pod('4', 'a', 'old', { terminating: true }));
    t.event('MODIFIED', pod('3', 'b', 'new', { ready: false }));
    expect(t.converged('new')).toBeUndefined();
    t.event('MODIFIED', pod('3', 'b', 'new'));
    t.event('DELETED', pod('2', 'a', 'new'));
    expect(t.converged('new')).toBeUndefined();
    t.event('ADDED', pod('5', 'a', 'new'));
    expect(t.converged('new')).toEqual({ pods: 3 });
  });

  it('ignores pods of other workloads', () => {
    const t = new PodTracker(replicas);
    t.reset([
      pod('1', 'a', 'x'),
      pod('2', 'a', 'x'),
      pod('3', 'b', 'x'),
      pod('9', 'other', 'y', { ready: false }),
    ]);
    expect(t.converged('x')).toEqual({ pods: 3 });
  });

  it('counts pods created after mark(), and those beyond one replacement per replica', () => {
    const t = new PodTracker(replicas);
    t.reset([pod('1', 'a', 'old'), pod('2', 'a', 'old'), pod('3', 'b', 'old')]);
    t.mark();
    expect(t.createdSinceMark()).toBe(0);
    // Status updates of the old pods and a re-list count nothing.
    t.event('MODIFIED', pod('1', 'a', 'old', { ready: false }));
    t.reset([pod('1', 'a', 'old'), pod('2', 'a', 'old'), pod('3', 'b', 'old')]);
    expect(t.createdSinceMark()).toBe(0);
    for (const [uid, w] of [
      ['4', 'a'],
      ['5', 'a'],
      ['6', 'b'],
    ])
      t.event('ADDED', pod(uid!, w!, 'new'));
    t.event('MODIFIED', pod('6', 'b', 'new'));
    expect(t.createdSinceMark()).toBe(3);
    expect(t.extraRestarts()).toEqual({ pods: 0, workloads: [] });
    // b restarted a second time.
    t.event('ADDED', pod('7', 'b', 'new'));
    expect(t.extraRestarts()).toEqual({ pods: 1, workloads: ['b'] });
  });

  it('finds the proxy among init containers (native sidecars) and says what it sees', () => {
    const t = new PodTracker(new Map([['a', 1]]));
    const p = pod('1', 'a', 'r');
    p.spec = {
      initContainers: [{ name: 'istio-proxy', image: 'proxyv2:native', restartPolicy: 'Always' }],
      containers: [{ name: 'app', image: 'app' }],
    };
    t.reset([p, pod('2', 'a', 'old', { ready: false })]);
    expect(t.summary()).toBe('1 r, 1 old not-ready');
    t.event('DELETED', pod('2', 'a', 'old'));
    expect(t.converged('r', 'proxyv2:native')).toEqual({ pods: 1 });
  });
});
