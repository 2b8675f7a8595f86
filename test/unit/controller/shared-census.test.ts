// One census for several revisions (SidecarRollout): an IstioOperator without a rollout is counted from the
// pages another revision's census lists, so a cluster with two revisions lists its pods once per census
// interval, not once per revision; the counts are those each revision's own census gives.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { SidecarRollout, type SidecarTarget } from '../../../operator/controller/rollout/sidecar-rollout';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const OLD = 'docker.io/istio/proxyv2:1.30.3';
const NEW = 'docker.io/istio/proxyv2:1.31.0';
const INTERVAL = 60_000;
const T = Date.parse('2026-01-01T00:00:00Z');

const def: SidecarTarget = { expectedImage: NEW, revision: '', controlPlaneNamespace: 'istio-system' };
const r1: SidecarTarget = { expectedImage: NEW, revision: 'r1', controlPlaneNamespace: 'istio-system' };

const iop = (uid: string, rollout = false) => ({
  metadata: { name: uid, namespace: 'istio-system', uid, generation: 1 },
  spec: rollout ? { sidecarRollout: { enabled: true, pauseSeconds: 0 } } : {},
});

/** Namespace `a` injected by the default revision, `b` by r1; a pod per image given. */
function cluster(): FakeKube {
  const kube = new FakeKube(() => T);
  kube.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'a', labels: { 'istio-injection': 'enabled' } },
  });
  kube.seed({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'b', labels: { 'istio.io/rev': 'r1' } },
  });
  const pod = (ns: string, name: string, image: string) =>
    kube.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'istio-proxy', image },
        ],
      },
    } as KubernetesObject);
  pod('a', 'a1', NEW);
  pod('a', 'a2', NEW);
  pod('a', 'a3', OLD);
  pod('b', 'b1', OLD);
  pod('b', 'b2', OLD);
  return kube;
}

const podLists = (kube: FakeKube) => kube.reads.filter((r) => r === 'list Pod').length;

describe('one census for the revisions without a rollout', () => {
  it("counts the other revision from the same pages: its next pass lists nothing and shows its own census's counts", async () => {
    const kube = cluster();
    const censused: string[] = [];
    const shared = new SidecarRollout(kube, 2000, INTERVAL, { censused: (rev) => censused.push(rev) });
    await shared.observe(iop('b'), r1, undefined, T, quiet); // r1 becomes known
    const a = await shared.observe(iop('a'), def, undefined, T + INTERVAL / 2, quiet);
    expect(censused).toEqual(['r1', 'default', 'r1']);
    const before = podLists(kube);
    const b = await shared.observe(iop('b'), r1, undefined, T + INTERVAL / 2 + 1, quiet);
    expect(podLists(kube)).toBe(before);
    expect(b.requeueAfterMs).toBe(INTERVAL - 1);

    // The same counts as each revision's census alone.
    const alone = (t: SidecarTarget, uid: string) =>
      new SidecarRollout(cluster(), 2000, INTERVAL).observe(iop(uid), t, undefined, T, quiet);
    expect(a.sidecars).toEqual((await alone(def, 'a')).sidecars);
    expect(b.sidecars).toEqual((await alone(r1, 'b')).sidecars);
    expect(a.sidecars).toMatchObject({ injected: 3, outdated: 1 });
    expect(b.sidecars).toMatchObject({
      injected: 2,
      outdated: 2,
      outdatedWorkloads: ['b/Pod/b1', 'b/Pod/b2'],
    });
  });

  it('settles on one pod list per census interval for two revisions re-queued as they ask', async () => {
    const kube = cluster();
    const shared = new SidecarRollout(kube, 2000, INTERVAL);
    // Each IstioOperator's next pass comes when its observation asks (as the controller re-queues it).
    const due = new Map<string, number>([
      ['a', T],
      ['b', T + 17_000],
    ]);
    const targets: Record<string, SidecarTarget> = { a: def, b: r1 };
    const end = T + 20 * INTERVAL;
    for (;;) {
      const [uid, at] = [...due].sort((x, y) => x[1] - y[1])[0];
      if (at > end) break;
      const o = await shared.observe(iop(uid), targets[uid], undefined, at, quiet);
      due.set(uid, at + (o.requeueAfterMs ?? INTERVAL));
    }
    // Two revisions censused on their own would list 40 times; shared, about once an interval.
    expect(podLists(kube)).toBeLessThanOrEqual(22);
    expect(podLists(kube)).toBeGreaterThanOrEqual(20);
  });

  it('does not count for a revision whose rollout is on, nor for one forgotten or whose target changed', async () => {
    const kube = cluster();
    const censused: string[] = [];
    const shared = new SidecarRollout(kube, 2000, INTERVAL, { censused: (rev) => censused.push(rev) });
    await shared.observe(iop('b', true), r1, undefined, T, quiet);
    await shared.observe(iop('a'), def, undefined, T + INTERVAL, quiet);
    expect(censused).toEqual(['r1', 'default']);

    censused.length = 0;
    // Rollout off: b is idle now, and its census counts a (idle, a minute old) too.
    await shared.observe(iop('b'), r1, undefined, T + 2 * INTERVAL, quiet);
    shared.forget('b');
    await shared.observe(iop('a'), def, undefined, T + 4 * INTERVAL, quiet);
    expect(censused).toEqual(['r1', 'default', 'default']);

    // Counted (fresh) under its old target, a revision whose image then changed has a census of its own.
    await shared.observe(iop('b'), r1, undefined, T + 5 * INTERVAL, quiet);
    const lists = podLists(kube);
    const moved = await shared.observe(
      iop('b'),
      { ...r1, expectedImage: OLD },
      undefined,
      T + 5 * INTERVAL + 1,
      quiet,
    );
    expect(podLists(kube)).toBe(lists + 1);
    expect(moved.sidecars).toMatchObject({ injected: 2, outdated: 0, expectedImage: OLD });
  });

  it('keeps nothing of a census whose list fails: the other revision still lists on its own', async () => {
    const kube = cluster();
    const shared = new SidecarRollout(kube, 2000, INTERVAL);
    await shared.observe(iop('b'), r1, undefined, T, quiet);
    kube.forbidList.add('Pod');
    await expect(shared.observe(iop('a'), def, undefined, T + INTERVAL, quiet)).rejects.toThrow(/forbidden/);
    kube.forbidList.delete('Pod');
    const lists = podLists(kube);
    const b = await shared.observe(iop('b'), r1, undefined, T + INTERVAL + 1, quiet);
    expect(podLists(kube)).toBe(lists + 1);
    expect(b.sidecars).toMatchObject({ injected: 2, outdated: 2 });
  });
});

describe('two passes at once (the controller runs two workers)', () => {
  it('waits for the census already counting it instead of listing the pods a second time', async () => {
    const kube = cluster();
    const shared = new SidecarRollout(kube, 2000, INTERVAL);
    await shared.observe(iop('a'), def, undefined, T, quiet);
    await shared.observe(iop('b'), r1, undefined, T + 1, quiet);
    const lists = podLists(kube);
    // Both due together a minute later: one census counts both, the other pass waits for it.
    const [a, b] = await Promise.all([
      shared.observe(iop('a'), def, undefined, T + INTERVAL + 1, quiet),
      shared.observe(iop('b'), r1, undefined, T + INTERVAL + 1, quiet),
    ]);
    expect(podLists(kube)).toBe(lists + 1);
    expect(a.sidecars).toMatchObject({ injected: 3, outdated: 1 });
    expect(b.sidecars).toMatchObject({ injected: 2, outdated: 2 });
    expect(b.requeueAfterMs).toBe(INTERVAL);
  });

  it('lists again when the census it waited for failed', async () => {
    const kube = cluster();
    const shared = new SidecarRollout(kube, 2000, INTERVAL);
    await shared.observe(iop('a'), def, undefined, T, quiet);
    await shared.observe(iop('b'), r1, undefined, T + 1, quiet);
    kube.forbidList.add('Pod');
    const first = shared.observe(iop('a'), def, undefined, T + INTERVAL + 1, quiet);
    const second = shared.observe(iop('b'), r1, undefined, T + INTERVAL + 1, quiet);
    await expect(first).rejects.toThrow(/forbidden/);
    await expect(second).rejects.toThrow(/forbidden/);
    expect(kube.reads.filter((r) => r === 'list Pod').length).toBe(4);
  });
});
