// Found by canary-faults.test.ts step 3 (a lost status write after a restart; fixed in rollout-step.ts and
// sidecar-rollout.ts, which now read the stamp of every listed workload, outdated or not).
// The leader stamps a workload for restart (meshwright.io/sidecar-rollout-target, same patch as the restart)
// and is killed before its status write lists it in sidecarRollout.restarted. If the workload's new pods are
// all running the new sidecar before the next leader's first census, the workload is no longer outdated, so
// the stamp was never read when rolloutStep looked for it only among the outdated workloads: the workload
// was missing from `restarted` and from `total` for good, although it was restarted for this target.
import { rolloutConfig } from '../../../operator/controller/rollout/rollout-config';
import type { WorkloadRef } from '../../../operator/controller/rollout/outdated';
import { rolloutStep } from '../../../operator/controller/rollout/rollout-step';

const w = (name: string): WorkloadRef => ({ kind: 'Deployment', namespace: 'shop', name });

describe('rolloutStep after a lost status write', () => {
  it('a stamped workload whose restart finished before the next leader counts as restarted', () => {
    const d = rolloutStep({
      cfg: rolloutConfig({ sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 0 } }),
      prev: undefined, // the killed leader's status write was lost
      outdated: [w('ratings'), w('reviews')], // productpage's new pods already run the new sidecar
      stamped: new Set(['shop/Deployment/productpage']),
      done: () => true,
      healthy: true,
      generation: 1,
      targetImage: 'docker.io/istio/proxyv2:1.31.0-rc.0',
      target: 'target-1',
      targetRevision: '1-31',
      now: 1_000_000,
      pollMs: 1000,
    });
    expect(d.restart.map((r) => r.name)).not.toContain('productpage');
    expect(d.progress.restarted).toContain('shop/Deployment/productpage');
    expect(d.progress.total).toBe(3);
  });
});
