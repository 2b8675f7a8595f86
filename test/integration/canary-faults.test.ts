// The canary upgrade 1.30.3 -> 1.31.0-rc.0 with the leader SIGKILLed at each step (issue 14, faults): real
// `meshwright operator` processes (the built CLI, leader election through the Lease, rendering the reference
// releases' charts with helm, the injection webhooks pointed at the loopback webhook by --injection-url),
// always two candidates: the leader is killed with SIGKILL (no Lease release), the standby takes over once
// the Lease expires (15 s by its own clock), and a fresh process becomes the next standby. The kills:
//   1. while IstioOperator r31 is being applied (its istiod Deployment exists, not HEALTHY yet);
//   2. right after tag `prod` moves from r30 to r31 (its webhook moved, no workload restarted yet);
//   3. in the middle of a rollout batch (the first workload's restart stamped, its new pods not all Ready);
//   4. while IstioOperator r30 is being deleted (finalizer running: some of its objects already gone).
// After each kill the next leader converges: r31 HEALTHY with every object a fault-free render of it gives,
// every pod ends injected by r31 with each Deployment restarted exactly once (one restartedAt value, two
// ReplicaSets, no more pod UIDs than two generations), nothing r31 uses deleted (its istiod, ConfigMaps,
// webhooks, the test CRD and the tag's webhook keep their uid), and r30 removed entirely.
// Both releases' Base charts install one test CRD of their own instead of Istio's (shared with other files).
// Needs `npm run build` (hack/test.sh builds before the integration tests).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { chartControllerRender } from '../../operator/render/charts/controller-render';
import { RESTARTED_AT } from '../../operator/controller/rollout/sidecar-rollout';
import { RenderCache } from '../../operator/render/charts/render-cache';
import { HelmProcessRenderer } from '../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../release/local';
import type { CliProcess } from './support/audit';
import { CanaryScene, IMAGE_30, IMAGE_31, objectKey, type Obj } from './support/canary-cluster';
import { OperatorCandidates } from './support/canary-operators';
import { helmBinary, releasesWithCrds } from './support/chart-render';
import { waitFor } from './support/cluster';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(600_000);

const CRD_API = 'apiextensions.k8s.io/v1';
/** The local control plane's version (hack/versions.sh), as the CLI reads it and passes to helm. */
const KUBE_VERSION = '1.35.8';
const WORKLOADS = { productpage: 3, ratings: 1, reviews: 2 } as const;
type App = keyof typeof WORKLOADS;
const APPS = Object.keys(WORKLOADS) as App[];

const suffix = Math.random().toString(16).slice(2, 7);
const r30 = `r30-${suffix}`;
const r31 = `r31-${suffix}`;
const prod = `prod-${suffix}`;
const scene = new CanaryScene(prod);
const { admin, apps, core } = scene;
const crdGroup = `f${suffix}.meshwright.test`;
const crdName = `faultprobes.${crdGroup}`;
let releasesDir = '';
let census: NodeJS.Timeout | undefined;

const iopRef = (name: string) => scene.iopRef(name);
const statusOf = (name: string) => scene.statusOf(name);
const tagRef = () => scene.tagRef;
const tagWebhookRef = () => scene.tagWebhookRef;
const webhookUrl = () => scene.url;
const operators = new OperatorCandidates({
  admin,
  prefix: `cf-${suffix}`,
  namespace: () => scene.cpNs,
  url: webhookUrl,
  releasesDir: () => releasesDir,
});

/** A test CRD stamped with the release it comes from (one schema field says which). */
function probeCrd(version: string): KubernetesObject {
  return {
    apiVersion: CRD_API,
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group: crdGroup,
      names: {
        kind: 'FaultProbe',
        plural: 'faultprobes',
        singular: 'faultprobe',
        listKind: 'FaultProbeList',
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `release ${version}`,
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  } as KubernetesObject;
}

/** Both reference releases, each Base chart installing only the probe CRD of its release. */
function faultReleases(): string {
  const dir = releasesWithCrds([probeCrd('1.30.3')], '1.30.3');
  const other = releasesWithCrds([probeCrd('1.31.0-rc.0')], '1.31.0-rc.0');
  cpSync(join(other, 'istio-1.31.0-rc.0'), join(dir, 'istio-1.31.0-rc.0'), { recursive: true });
  rmSync(other, { recursive: true, force: true });
  return dir;
}

/**
 * SIGKILLs the leader (no Lease release), waits for the standby to hold the Lease (the next leader), then
 * starts a fresh candidate as the next standby. Returns how long the takeover took.
 */
async function killLeader(leader: CliProcess, standby: CliProcess): Promise<number> {
  const { ms, exit } = await operators.killLeader(leader, standby);
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  return ms;
}

const iop = (name: string, revision: string, tag: string, extra: Record<string, unknown> = {}) =>
  scene.iop(name, revision, tag, { extra });

/** What a fault-free render of the IstioOperator gives (the CLI's own chart render, same release and flags). */
async function renderedKeys(name: string): Promise<string[]> {
  const render = chartControllerRender({
    releases: new ReleasesDirProvider(releasesDir),
    cache: new RenderCache(new HelmProcessRenderer({ binary: helmBinary() })),
    defaultVersion: '1.30.3',
    injection: { target: { url: webhookUrl() } },
    kubeVersion: KUBE_VERSION,
  });
  const outcome = await render((await admin.get(iopRef(name)))!);
  if (!outcome.ok) throw new Error(`render failed: ${outcome.message}`);
  return outcome.desired.components.flatMap((c) => c.objects.map(objectKey)).sort();
}

const owned = (name: string) => scene.owned(name);
const waitHealthy = (name: string, what: string) => scene.waitHealthy(name, what);
const runningWith = (app: App, image: string) => scene.runningPods(app, WORKLOADS[app], image);

/** What the test saw of each workload over the whole run: pod UIDs and restartedAt values. */
const seen = Object.fromEntries(
  APPS.map((a) => [a, { pods: new Set<string>(), restarts: new Set<string>() }]),
);
async function observe(): Promise<void> {
  const { items } = await core.listNamespacedPod({ namespace: scene.appNs });
  for (const p of items) {
    const app = p.metadata?.labels?.app as App | undefined;
    if (app && seen[app]) seen[app].pods.add(p.metadata!.uid!);
  }
  for (const app of APPS) {
    const d = await apps.readNamespacedDeployment({ namespace: scene.appNs, name: app });
    const at = d.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
    if (at) seen[app].restarts.add(at);
  }
}

beforeAll(async () => {
  releasesDir = faultReleases();
  await scene.setUp({
    name: 'meshwright-canary-faults-test',
    cpPrefix: 'mw-cfaults',
    appPrefix: 'mw-cfaults-app',
  });
  await operators.start();
  await operators.start();
});

afterAll(async () => {
  if (census) clearInterval(census);
  await operators.stopAll();
  await scene.tearDown(['r30', 'r31']);
  await admin
    .delete({ apiVersion: CRD_API, kind: 'CustomResourceDefinition', name: crdName })
    .catch(() => undefined);
  if (releasesDir) rmSync(releasesDir, { recursive: true, force: true });
});

describe('canary upgrade with the leader SIGKILLed at each step (built CLI processes)', () => {
  let started = 0;
  const takeovers: number[] = [];
  let r31Uids = new Map<string, string>();
  let tagWebhookUid = '';
  let shared: string[] = [];

  it('installs r30 with tag prod and three Deployments injected by it', async () => {
    started = Date.now();
    await admin.create(iop('r30', r30, '1.30.3'));
    await waitHealthy('r30', 'r30 HEALTHY');
    await scene.createTag(r30);
    // The tag webhook in effect before any workload: a dry-run pod gets 1.30.3.
    await waitFor(
      async () => (await scene.dryRunImage()) === IMAGE_30,
      60_000,
      'tag webhook injecting 1.30.3',
    );
    for (const app of APPS) await scene.deployment(app, WORKLOADS[app]);
    for (const app of APPS) await runningWith(app, IMAGE_30);
    census = setInterval(() => void observe().catch(() => undefined), 200);
  });

  it('1. SIGKILL while r31 is being applied: the next leader completes it, every object it renders there', async () => {
    const [leader, standby] = await operators.leaderAndStandby();
    await admin.create(
      iop('r31', r31, '1.31.0-rc.0', {
        sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 1, readyTimeoutSeconds: 120 },
      }),
    );
    // Mid-install: r31's istiod Deployment written, the revision not HEALTHY yet.
    await waitFor(
      async () =>
        (await admin.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: scene.cpNs,
          name: `istiod-${r31}`,
        })) !== undefined,
      120_000,
      `istiod-${r31} applied`,
      20,
    );
    const at = await statusOf('r31');
    expect(at?.status).not.toBe('HEALTHY');
    const partial = (await owned('r31')).size;
    takeovers.push(await killLeader(leader, standby));

    const s = await waitHealthy('r31', 'r31 HEALTHY under the next leader');
    expect(s.meshwright?.version).toBe('1.31.0-rc.0');
    expect((await statusOf('r30'))?.status).toBe('HEALTHY');
    // Every object r31 renders is there, owned by r31 or, when r30 renders it too and applied it first
    // (the Base chart's istio-reader-service-account), left to r30; r31 owns nothing else.
    const mine = await owned('r31');
    const theirs = await owned('r30');
    const rendered = await renderedKeys('r31');
    expect(rendered.filter((k) => !mine.has(k) && !theirs.has(k))).toEqual([]);
    expect([...mine.keys()].filter((k) => !rendered.includes(k))).toEqual([]);
    shared = rendered.filter((k) => !mine.has(k));
    expect(mine.get(`CustomResourceDefinition//${crdName}`)).toBeDefined();
    // r30 still owns exactly its render but for the CRD, which r31's newer release took over.
    expect([...theirs.keys()].sort()).toEqual(
      (await renderedKeys('r30')).filter((k) => k !== `CustomResourceDefinition//${crdName}`),
    );
    r31Uids = new Map(rendered.map((k) => [k, mine.get(k) ?? theirs.get(k)!]));
    // Nothing restarted: the tag still points at r30.
    for (const app of APPS) expect(seen[app].restarts.size).toBe(0);
    process.stdout.write(
      `[canary-faults] 1: killed with ${partial}/${rendered.length} of r31's objects applied (${at?.status ?? 'no status'}); ` +
        `shared with r30: ${shared.join(', ') || 'none'}\n`,
    );
  });

  it('2. SIGKILL right after tag prod moves: the next leader serves the move and starts the rollout', async () => {
    const [leader, standby] = await operators.leaderAndStandby();
    const before = (await admin.get(tagWebhookRef()))!;
    tagWebhookUid = before.metadata!.uid!;
    await admin.mergePatch(tagRef(), { spec: { revision: r31 } });
    // The moment the leader has moved the tag's webhook (same object, new resourceVersion).
    await waitFor(
      async () =>
        (await admin.get(tagWebhookRef()))?.metadata?.resourceVersion !== before.metadata?.resourceVersion,
      30_000,
      'the tag webhook moved',
      10,
    );
    takeovers.push(await killLeader(leader, standby));
    const restartedBeforeTakeover = APPS.filter((a) => seen[a].restarts.size > 0);
    await waitFor(
      async () => {
        const t = ((await admin.get(tagRef())) as Obj | undefined)?.status;
        return t?.revision === r31 && t?.state === 'Ready';
      },
      60_000,
      'tag Ready on r31',
    );
    expect((await admin.get(tagWebhookRef()))?.metadata?.uid).toBe(tagWebhookUid);
    process.stdout.write(
      `[canary-faults] 2: killed after the tag webhook moved; restarted before the takeover: ${restartedBeforeTakeover.join(', ') || 'none'}\n`,
    );
  });

  it('3. SIGKILL in the middle of a rollout batch: the next leader waits for it and never repeats it', async () => {
    const [leader, standby] = await operators.leaderAndStandby();
    // The first workload of a batch stamped for restart; kill before its new pods are all Ready.
    const stamped = await waitFor(
      async () => {
        for (const app of APPS) {
          const d = await apps.readNamespacedDeployment({ namespace: scene.appNs, name: app });
          if (d.spec?.template?.metadata?.annotations?.[RESTARTED_AT]) return { app, d };
        }
        return undefined;
      },
      120_000,
      'a rollout batch started',
      20,
    );
    const done = (await statusOf('r31'))?.meshwright?.sidecarRollout?.restarted ?? [];
    takeovers.push(await killLeader(leader, standby));
    process.stdout.write(
      `[canary-faults] 3: killed with ${stamped.app} stamped (updated ${stamped.d.status?.updatedReplicas ?? 0}/` +
        `${stamped.d.spec?.replicas}, available ${stamped.d.status?.availableReplicas ?? 0}), status listing ` +
        `${done.length} restarted\n`,
    );

    const s = await scene.rolloutComplete('r31');
    expect(s.meshwright?.sidecarRollout?.restarted).toEqual(
      APPS.map((a) => `${scene.appNs}/Deployment/${a}`),
    );
    for (const app of APPS) {
      const running = await runningWith(app, IMAGE_31);
      await observe();
      const rs = await apps.listNamespacedReplicaSet({ namespace: scene.appNs, labelSelector: `app=${app}` });
      // Restarted exactly once: one restartedAt value ever, two ReplicaSets, at most two pod generations.
      expect({ app, restarts: seen[app].restarts.size, replicaSets: rs.items.length }).toEqual({
        app,
        restarts: 1,
        replicaSets: 2,
      });
      expect(seen[app].pods.size).toBeLessThanOrEqual(2 * WORKLOADS[app]);
      expect(running.every((p) => seen[app].pods.has(p.metadata!.uid!))).toBe(true);
    }
  });

  it('4. SIGKILL while r30 is being deleted: the next leader finishes, removing r30 and nothing r31 uses', async () => {
    const [leader, standby] = await operators.leaderAndStandby();
    const r30Owned = await owned('r30');
    expect(r30Owned.size).toBeGreaterThan(0);
    await admin.delete(iopRef('r30'));
    // The finalizer running: some of r30's objects already deleted, not all.
    const left = await waitFor(
      async () => {
        const n = (await owned('r30')).size;
        return n < r30Owned.size && { n };
      },
      60_000,
      "r30's uninstall under way",
      20,
    );
    takeovers.push(await killLeader(leader, standby));
    process.stdout.write(`[canary-faults] 4: killed with ${left.n}/${r30Owned.size} of r30's objects left\n`);

    await waitFor(async () => (await admin.get(iopRef('r30'))) === undefined, 120_000, 'r30 deleted', 500);
    expect([...(await owned('r30')).keys()]).toEqual([]);
    await expect(
      apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r30}` }),
    ).rejects.toMatchObject({
      code: 404,
    });
    // r31: HEALTHY, exactly its render, every object the same one as before the faults of steps 2-4.
    await waitHealthy('r31', 'r31 HEALTHY at the end');
    const mine = await owned('r31');
    expect([...mine.keys()].sort()).toEqual(await renderedKeys('r31'));
    // Same uids: nothing r31 renders was deleted and re-created, the objects shared with r30 included.
    expect(r31Uids.size).toBe(mine.size);
    const replaced = [...r31Uids].filter(([k, uid]) => mine.get(k) !== uid).map(([k]) => k);
    expect(replaced).toEqual([]);
    expect((await admin.get(tagWebhookRef()))?.metadata?.uid).toBe(tagWebhookUid);
    for (const app of APPS) {
      const running = await runningWith(app, IMAGE_31);
      expect(running.map(proxyImageOf)).toEqual(Array(WORKLOADS[app]).fill(IMAGE_31));
      expect(seen[app].restarts.size).toBe(1);
    }
    process.stdout.write(
      `[canary-faults] takeovers after SIGKILL: ${takeovers.join(', ')} ms; whole flow ${Date.now() - started} ms\n`,
    );
  });
});
