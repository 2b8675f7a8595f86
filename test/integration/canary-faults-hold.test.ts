// Issue 14's last two canary faults, with real `meshwright operator` processes (the built CLI, leader
// election, the reference 1.30.3 and 1.31.0-rc.0 charts, injection webhooks at the loopback webhook by
// --injection-url), always two candidates; the leader is SIGKILLed (no Lease release) and the standby takes
// over once the Lease expires:
//   a. while the deletion of r30 is HELD (tag prod, the tag-following gateway IstioOperator gw and three pods
//      use it): the next leader keeps it held with the same DeletionHeld condition, re-derives it when the
//      pods change, and nothing r30 owns is deleted until the tag, the gateway and every r30 pod are gone;
//   b. during the gateway move (tag prod moved to r31, gw's Deployment already re-applied for r31, its
//      rolling update under way): the next leader finishes it; the gateway Deployment, polled every 100 ms
//      from before the faults to the end, never has fewer than one available replica, and ends on r31's
//      istiod and proxy image, rolled once (two ReplicaSets, same Deployment).
// Then the rollout restarts each workload once onto r31, r30's deletion completes, and nothing r31 uses was
// deleted (its objects, the tag's webhook and the gateway Deployment keep their uids).
// Needs `npm run build` (hack/test.sh builds before the integration tests).
import { HOLD_RECHECK_MS } from '../../operator/controller/reconcile/reconciler';
import {
  CanaryScene,
  GATEWAY,
  IMAGE_30,
  IMAGE_31,
  watchAvailability,
  type CanaryStatus,
} from './support/canary-cluster';
import { OperatorCandidates } from './support/canary-operators';
import { waitFor } from './support/cluster';
import { proxyImageOf } from './support/revision-webhook';
import { injectedRevisionOf } from '../../operator/controller/reconcile/deletion-hold';

jest.setTimeout(600_000);

const suffix = Math.random().toString(16).slice(2, 7);
const r30 = `h30-${suffix}`;
const r31 = `h31-${suffix}`;
const scene = new CanaryScene(`hprod-${suffix}`);
const { admin, apps, core } = scene;
/** Replicas per Deployment; step a scales reviews to 2. */
const WORKLOADS: Record<string, number> = { productpage: 2, reviews: 1 };
const APPS = Object.keys(WORKLOADS);
const candidates = new OperatorCandidates({
  admin,
  prefix: `cfh-${suffix}`,
  namespace: () => scene.cpNs,
  url: () => scene.url,
});

const owned = (name: string) => scene.owned(name);
const heldCondition = async () =>
  (await scene.statusOf('r30'))?.conditions?.find((c) => c.type === 'DeletionHeld');
const replicaSets = async (ns: string, app: string) =>
  (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${app}` })).items.length;

/**
 * Samples, every 500 ms, r30's owned objects first and then what may still use r30 (its live pods, the tag,
 * the gateway); an early deletion is a sample where r30 owns fewer objects while something still used it.
 */
function watchEarlyDeletion(full: number): { stop(): Promise<string[]> } {
  const early: string[] = [];
  let going = true;
  const loop = (async () => {
    while (going) {
      try {
        const left = (await owned('r30')).size;
        if (left < full) {
          const { items } = await core.listNamespacedPod({ namespace: scene.appNs });
          const users = items.filter(
            (p) =>
              !p.metadata?.deletionTimestamp &&
              p.status?.phase !== 'Succeeded' &&
              p.status?.phase !== 'Failed' &&
              injectedRevisionOf(p) === r30,
          ).length;
          const tag = (await scene.tagStatus())?.revision;
          const gw = (await scene.gatewayCaAddr())?.includes(`istiod-${r30}.`);
          if (users > 0 || tag === r30 || gw)
            early.push(
              `${left}/${full} left with ${users} r30 pod(s), tag on ${String(tag)}, gateway on r30: ${gw}`,
            );
        }
      } catch {
        // An apiserver hiccup is not a sample.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      going = false;
      await loop;
      return early;
    },
  };
}

beforeAll(async () => {
  await scene.setUp({
    name: 'meshwright-canary-faults-hold-test',
    cpPrefix: 'mw-cfhold',
    appPrefix: 'mw-cfhold-app',
  });
  await candidates.start();
  await candidates.start();
});

afterAll(async () => {
  await candidates.stopAll();
  await scene.tearDown(['gw', 'r30', 'r31']);
});

describe('canary faults: the leader SIGKILLed while r30 is held and during the gateway move', () => {
  const started = Date.now();
  const takeovers: number[] = [];
  let gatewayWatch: ReturnType<typeof watchAvailability> | undefined;
  let early: ReturnType<typeof watchEarlyDeletion> | undefined;
  let r30Owned = new Map<string, string>();
  let r31Owned = new Map<string, string>();
  let tagWebhookUid = '';
  let gatewayUid = '';
  /** Step b's state trace runs while this is true (cleared in afterAll too, should b fail). */
  let tracing = false;

  afterAll(async () => {
    tracing = false;
    await gatewayWatch?.stop();
    await early?.stop();
  });

  it('installs r30 with tag prod, two Deployments and gateway gw following the tag; r31 beside it', async () => {
    await admin.create(scene.iop('r30', r30, '1.30.3', { base: false }));
    await scene.waitHealthy('r30', 'r30 HEALTHY');
    await scene.createTag(r30);
    await waitFor(
      async () => (await scene.dryRunImage()) === IMAGE_30,
      60_000,
      'tag webhook injecting 1.30.3',
    );
    for (const app of APPS) await scene.deployment(app, WORKLOADS[app]);
    for (const app of APPS) await scene.runningPods(app, WORKLOADS[app], IMAGE_30);

    await admin.create(scene.gatewayIop('gw', { follow: scene.prod }));
    const gw = await scene.waitHealthy('gw', 'gw HEALTHY on r30', 180_000);
    expect(gw.meshwright?.followedTag).toMatchObject({ tag: scene.prod, revision: r30 });
    const d = await scene.gatewayRolled();
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_30);
    gatewayUid = d.metadata!.uid!;
    gatewayWatch = watchAvailability(() => scene.gateway());

    await admin.create(
      scene.iop('r31', r31, '1.31.0-rc.0', {
        base: false,
        extra: { sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 1, readyTimeoutSeconds: 120 } },
      }),
    );
    await scene.waitHealthy('r31', 'r31 HEALTHY');
    r31Owned = await owned('r31');
    expect(r31Owned.size).toBeGreaterThan(0);
    tagWebhookUid = (await admin.get(scene.tagWebhookRef))!.metadata!.uid!;
  });

  it('a. SIGKILL while the deletion of r30 is held: still held, same condition, nothing of r30 deleted', async () => {
    r30Owned = await owned('r30');
    early = watchEarlyDeletion(r30Owned.size);
    await admin.delete(scene.iopRef('r30'));
    const before = await waitFor(heldCondition, 30_000, 'DeletionHeld');
    expect(before.message).toContain(`revision tag(s) ${scene.prod} point at it`);
    expect(before.message).toContain(`IstioOperator(s) ${scene.cpNs}/gw of the same revision use its istiod`);
    expect(before.message).toContain(
      `3 pod(s) still run its sidecar, in ${scene.appNs}/Deployment/productpage, ${scene.appNs}/Deployment/reviews`,
    );

    const [leader, standby] = await candidates.leaderAndStandby();
    const { ms, exit } = await candidates.killLeader(leader, standby);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    takeovers.push(ms);
    await waitFor(
      async () => standby.records('watches synced, starting workers').length > 0,
      60_000,
      'the next leader running its workers',
    );
    // Two hold re-checks of the new leader: the same condition, r30 still there with all it owns.
    const until = Date.now() + 2 * HOLD_RECHECK_MS + 2000;
    while (Date.now() < until) {
      const live = await admin.get(scene.iopRef('r30'));
      expect(live?.metadata?.deletionTimestamp).toBeDefined();
      expect(await heldCondition()).toEqual(before);
      expect(await owned('r30')).toEqual(r30Owned);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await scene.dryRunImage()).toBe(IMAGE_30);

    // The new leader re-derives the hold from the cluster: one more r30 pod is counted at once.
    await admin.mergePatch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: scene.appNs, name: 'reviews' },
      { spec: { replicas: 2 } },
    );
    WORKLOADS.reviews = 2;
    const after = await waitFor(
      async () => {
        const c = await heldCondition();
        return c?.message?.includes('4 pod(s) still run its sidecar') && c;
      },
      60_000,
      'DeletionHeld counting 4 pods',
    );
    expect(after.message).toContain(`revision tag(s) ${scene.prod} point at it`);
    expect(await owned('r30')).toEqual(r30Owned);
    process.stdout.write(`[canary-faults-hold] a: takeover ${ms} ms; held: ${after.message}\n`);
  });

  it('b. SIGKILL during the gateway move: the next leader finishes it, one available replica throughout', async () => {
    const [leader, standby] = await candidates.leaderAndStandby();
    const before = await scene.gateway();
    // For the report only: each change of (r31's status, the tag's state, gw's status), ms after the move.
    const seen: string[] = [];
    tracing = true;
    const moved = Date.now();
    const trace = (async () => {
      while (tracing) {
        const now = await Promise.all([scene.statusOf('r31'), scene.tagStatus(), scene.statusOf('gw')])
          .then(([a, t, g]) => `r31 ${a?.status}, tag ${String(t?.state)}, gw ${g?.status}`)
          .catch(() => undefined);
        if (now && !seen[seen.length - 1]?.endsWith(now)) seen.push(`+${Date.now() - moved} ms ${now}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await admin.mergePatch(scene.tagRef, { spec: { revision: r31 } });
    // The leader has re-applied the gateway for r31 (new generation); its rolling update starts.
    const moving = await waitFor(
      async () => {
        const d = await scene.gateway();
        return (d.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0) && d;
      },
      120_000,
      'the gateway Deployment re-applied for r31',
      20,
    );
    const atKill = await scene.statusOf('gw');
    const { ms, exit } = await candidates.killLeader(leader, standby);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    takeovers.push(ms);
    const afterTakeover = await scene.statusOf('gw');
    const said = (s?: CanaryStatus) =>
      `${String(s?.status)} following ${String(s?.meshwright?.followedTag?.revision)} (${s?.message ?? ''})`;
    process.stdout.write(
      `[canary-faults-hold] b: killed with the gateway at generation ${moving.metadata?.generation} ` +
        `(updated ${moving.status?.updatedReplicas ?? 0}, available ${moving.status?.availableReplicas ?? 0}); ` +
        `gw at the kill: ${said(atKill)}; after the takeover: ${said(afterTakeover)}; takeover ${ms} ms\n`,
    );

    await scene.waitTagReady(r31);
    const gw = await waitFor(
      async () => {
        const s = await scene.statusOf('gw');
        return s?.status === 'HEALTHY' && s.meshwright?.followedTag?.revision === r31 && s;
      },
      180_000,
      'gw HEALTHY following the tag to r31',
      500,
    );
    expect(gw.meshwright).toMatchObject({
      version: '1.31.0-rc.0',
      followedTag: { tag: scene.prod, revision: r31, istioOperator: `${scene.cpNs}/r31` },
    });
    const d = await scene.gatewayRolled();
    tracing = false;
    await trace;
    process.stdout.write(`[canary-faults-hold] b: states after the move: ${seen.join('; ')}\n`);
    expect(d.metadata?.uid).toBe(gatewayUid);
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
    expect(await scene.gatewayCaAddr()).toContain(`istiod-${r31}.`);
    expect(await replicaSets(scene.cpNs, GATEWAY)).toBe(2);
    expect(gatewayWatch!.now().lowest).toBeGreaterThanOrEqual(1);
  });

  it("finishes: each workload restarted once onto r31, r30's deletion completes, nothing r31 uses deleted", async () => {
    const s = await scene.rolloutComplete('r31');
    expect(s.meshwright?.sidecarRollout?.restarted).toEqual(
      APPS.map((a) => `${scene.appNs}/Deployment/${a}`),
    );
    for (const app of APPS) {
      const running = await scene.runningPods(app, WORKLOADS[app], IMAGE_31);
      expect(running.map(proxyImageOf)).toEqual(Array(WORKLOADS[app]).fill(IMAGE_31));
      expect({ app, replicaSets: await replicaSets(scene.appNs, app) }).toEqual({ app, replicaSets: 2 });
    }
    await waitFor(
      async () => (await admin.get(scene.iopRef('r30'))) === undefined,
      120_000,
      'r30 deleted',
      500,
    );
    expect([...(await owned('r30')).keys()]).toEqual([]);
    await expect(
      apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r30}` }),
    ).rejects.toMatchObject({ code: 404 });
    // Nothing of r30 went while something still used it.
    expect(await early!.stop()).toEqual([]);
    // Nothing r31 uses was deleted and re-created: r31's objects, the tag's webhook, the gateway.
    await scene.waitHealthy('r31', 'r31 HEALTHY at the end');
    expect(await owned('r31')).toEqual(r31Owned);
    expect((await admin.get(scene.tagWebhookRef))?.metadata?.uid).toBe(tagWebhookUid);
    expect((await scene.gateway()).metadata?.uid).toBe(gatewayUid);
    expect((await scene.statusOf('gw'))?.status).toBe('HEALTHY');
    const availability = await gatewayWatch!.stop();
    expect(availability.samples).toBeGreaterThan(50);
    expect(availability.lowest).toBeGreaterThanOrEqual(1);
    process.stdout.write(
      `[canary-faults-hold] takeovers ${takeovers.join(', ')} ms; gateway lowest available ${availability.lowest} ` +
        `over ${availability.samples} samples; whole file ${Date.now() - started} ms\n`,
    );
  });
});
