// The canary upgrade with revision tags on the local control plane: the real operator (in-process
// OperatorManager rendering ../shared/reference's 1.30.3 and 1.31.0-rc.0 charts with helm, the injection
// webhooks retargeted to the loopback webhook by URL) and the real webhook (in-process, TLS, serving both
// revisions from their ConfigMaps). IstioOperator r30 (1.30.3) + tag `prod`; a namespace labelled
// istio.io/rev=<prod> with two Deployments injected by r30; IstioOperator r31 (1.31.0-rc.0, sidecar rollout on)
// side by side; the ingress gateway is an IstioOperator of its own (upstream's canary guidance) and moves from
// r30 to r31 in place, its Deployment available throughout; deleting r30 is held while the tag, the gateway
// and the pods use it; moving the tag is one update of the
// tag and of its webhook (same object); new pods get 1.31's sidecar; the census counts the old pods for r31
// and the rollout restarts them one batch at a time across an operator restart (each exactly once); then
// r30's deletion completes, removing what it owned and nothing r31 uses.
//
// Not here (see docs/upgrade.md): the `default` tag (cluster-wide: it would inject the other suites'
// istio-injection=enabled namespaces; its selectors are unit-tested against the chart).
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CliIo } from '../../cli/install';
import { runStatus } from '../../cli/status';
import type { OperatorManager } from '../../operator/controller/manager';
import { RESTARTED_AT } from '../../operator/controller/rollout/sidecar-rollout';
import { CanaryScene, IMAGE_30, IMAGE_31, MWC, watchAvailability } from './support/canary-cluster';
import { startInProcessOperator } from './support/canary-operators';
import { clusterDir, kubeconfigPath, uniqueName, waitFor } from './support/cluster';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(300_000);

const suffix = uniqueName('x').slice(2);
const r30 = `r30-${suffix}`;
const r31 = `r31-${suffix}`;
const prod = `prod-${suffix}`;
const scene = new CanaryScene(prod);
const { admin, apps, core } = scene;
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
let operator: OperatorManager | undefined;

const iopRef = (name: string) => scene.iopRef(name);
const statusOf = (name: string) => scene.statusOf(name);
const tagRef = scene.tagRef;
const tagStatus = () => scene.tagStatus();
const webhookUrl = () => scene.url;
const startOperator = (run: string, url: string) =>
  startInProcessOperator({
    kc: scene.kc,
    namespace: scene.cpNs,
    url,
    identity: `canary-${run}`,
    logFile: join(logDir, `canary-${suffix}-${run}.log`),
    sidecarCensusTtlMs: 2000,
  });
const iop = (name: string, revision: string, tag: string, extra: Record<string, unknown> = {}) =>
  scene.iop(name, revision, tag, { base: false, extra });
const gatewayCaAddr = () => scene.gatewayCaAddr();
const pods = (app: string) => scene.pods(app);
const dryRunImage = () => scene.dryRunImage();

beforeAll(async () => {
  await scene.setUp({
    name: 'meshwright-canary-test',
    cpPrefix: 'mw-canary',
    appPrefix: 'mw-canary-app',
    logStream: createWriteStream(join(logDir, `canary-${suffix}-webhook.log`)),
  });
  operator = await startOperator('a', webhookUrl());
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  await scene.tearDown(['gw', 'r30', 'r31']);
});

describe('canary upgrade 1.30.3 -> 1.31.0-rc.0 with a revision tag', () => {
  it('installs r30 with its injection webhook retargeted to Meshwright, and tag prod points at it', async () => {
    await admin.create(iop('r30', r30, '1.30.3'));
    await waitFor(async () => (await statusOf('r30'))?.status === 'HEALTHY', 150_000, 'r30 HEALTHY', 1000);
    const own = (await admin.get({ ...MWC, name: `istio-sidecar-injector-${r30}-${scene.cpNs}` })) as
      { webhooks?: { clientConfig: { url?: string } }[] } | undefined;
    expect(own?.webhooks?.map((w) => w.clientConfig.url)).toEqual([
      `${webhookUrl()}/inject/rev/${r30}`,
      `${webhookUrl()}/inject/rev/${r30}`,
    ]);

    const st = await scene.createTag(r30);
    expect(st).toMatchObject({
      revision: r30,
      istioOperator: `${scene.cpNs}/r30`,
      istioVersion: '1.30.3',
      webhook: `istio-revision-tag-${prod}`,
    });

    await waitFor(async () => (await dryRunImage()) === IMAGE_30, 30_000, 'tag webhook in effect (1.30.3)');
    await scene.deployment('productpage', 2);
    await scene.deployment('reviews', 1);
    for (const [app, n] of [
      ['productpage', 2],
      ['reviews', 1],
    ] as const) {
      const running = await waitFor(
        async () => {
          const items = await pods(app);
          return items.length === n && items.every((p) => p.status?.phase === 'Running') && items;
        },
        60_000,
        `${app} running`,
      );
      expect(running.map(proxyImageOf)).toEqual(Array(n).fill(IMAGE_30));
    }
  });

  it('runs the ingress gateway as an IstioOperator of its own on r30 (upstream canary guidance)', async () => {
    await admin.create(scene.gatewayIop('gw', { revision: r30, tag: '1.30.3' }));
    await waitFor(async () => (await statusOf('gw'))?.status === 'HEALTHY', 120_000, 'gw HEALTHY', 1000);
    expect(await gatewayCaAddr()).toContain(`istiod-${r30}.`);
  });

  it('installs r31 side by side: both HEALTHY with their own istiod and injector ConfigMaps', async () => {
    await admin.create(
      iop('r31', r31, '1.31.0-rc.0', {
        sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 1, readyTimeoutSeconds: 120 },
      }),
    );
    await waitFor(async () => (await statusOf('r31'))?.status === 'HEALTHY', 150_000, 'r31 HEALTHY', 1000);
    expect((await statusOf('r30'))?.status).toBe('HEALTHY');
    expect((await statusOf('r31'))?.meshwright?.version).toBe('1.31.0-rc.0');
    for (const r of [r30, r31]) {
      await apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r}` });
      await core.readNamespacedConfigMap({ namespace: scene.cpNs, name: `istio-sidecar-injector-${r}` });
    }
    // The tag still points at r30: new pods still get 1.30.3, and r31 counts none of them.
    expect(await dryRunImage()).toBe(IMAGE_30);
    expect((await statusOf('r31'))?.meshwright?.sidecars?.injected ?? 0).toBe(0);
  });

  it('holds the deletion of r30 while the tag, the gateway and the pods use it', async () => {
    await admin.delete(iopRef('r30'));
    const held = await waitFor(
      async () => {
        const s = await statusOf('r30');
        return s?.conditions?.find((c) => c.type === 'DeletionHeld');
      },
      30_000,
      'DeletionHeld',
    );
    expect(held.message).toContain(`revision tag(s) ${prod} point at it`);
    expect(held.message).toContain(`IstioOperator(s) ${scene.cpNs}/gw of the same revision use its istiod`);
    expect(held.message).toContain(
      `3 pod(s) still run its sidecar, in ${scene.appNs}/Deployment/productpage, ${scene.appNs}/Deployment/reviews`,
    );
    // Nothing was uninstalled.
    await apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r30}` });
    expect(await dryRunImage()).toBe(IMAGE_30);
  });

  it('moves the tag with one update of the same webhook; new pods get 1.31; the rollout restarts each workload once across an operator restart', async () => {
    const before = (await admin.get({ ...MWC, name: `istio-revision-tag-${prod}` }))!;
    const moved = Date.now();
    await admin.mergePatch(tagRef, { spec: { revision: r31 } });
    await waitFor(
      async () => (await tagStatus())?.revision === r31 && (await tagStatus())?.state === 'Ready',
      30_000,
      'tag moved',
    );
    const after = (await admin.get({ ...MWC, name: `istio-revision-tag-${prod}` }))!;
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);
    await waitFor(async () => (await dryRunImage()) === IMAGE_31, 30_000, 'new pods get 1.31.0-rc.0');

    // The census now counts the old pods for r31, and its rollout starts; kill the operator mid-rollout.
    const underWay = await waitFor(
      async () => {
        const r = (await statusOf('r31'))?.meshwright?.sidecarRollout;
        return (r?.restarted?.length ?? 0) >= 1 && r;
      },
      90_000,
      'r31 rollout under way',
      250,
    );
    expect(underWay.pending).toBeGreaterThan(0);
    await operator?.stop();
    operator = await startOperator('b', webhookUrl());

    const done = await scene.rolloutComplete('r31', 150_000);
    expect(done.meshwright?.sidecarRollout).toMatchObject({
      restarted: [`${scene.appNs}/Deployment/productpage`, `${scene.appNs}/Deployment/reviews`],
      pending: 0,
    });
    for (const [app, n] of [
      ['productpage', 2],
      ['reviews', 1],
    ] as const) {
      const d = await apps.readNamespacedDeployment({ namespace: scene.appNs, name: app });
      expect(d.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBeDefined();
      const rs = await apps.listNamespacedReplicaSet({ namespace: scene.appNs, labelSelector: `app=${app}` });
      expect({ app, replicaSets: rs.items.length }).toEqual({ app, replicaSets: 2 });
      const running = await waitFor(
        async () => {
          const items = await pods(app);
          return items.length === n && items.every((p) => p.status?.phase === 'Running') && items;
        },
        60_000,
        `${app} re-injected`,
      );
      expect(running.map(proxyImageOf)).toEqual(Array(n).fill(IMAGE_31));
    }
    process.stdout.write(`tag move -> every pod re-injected by ${r31}: ${Date.now() - moved} ms\n`);
  });

  it('moves the gateway to r31 (and 1.31) in place, never without an available gateway Deployment', async () => {
    const watcher = watchAvailability(() => scene.gateway());
    await admin.mergePatch(iopRef('gw'), { spec: { revision: r31, tag: '1.31.0-rc.0' } });
    await waitFor(
      async () =>
        (await gatewayCaAddr())?.includes(`istiod-${r31}.`) && (await statusOf('gw'))?.status === 'HEALTHY',
      120_000,
      'gw HEALTHY on r31',
      500,
    );
    await scene.gatewayRolled();
    const { lowest } = await watcher.stop();
    expect(lowest).toBeGreaterThanOrEqual(1);
    const d = await scene.gateway();
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
  });

  it("completes r30's deletion once nothing uses it: its objects go, r31's stay", async () => {
    await waitFor(async () => (await admin.get(iopRef('r30'))) === undefined, 90_000, 'r30 deleted', 500);
    await expect(
      apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r30}` }),
    ).rejects.toMatchObject({ code: 404 });
    expect(await admin.get({ ...MWC, name: `istio-sidecar-injector-${r30}-${scene.cpNs}` })).toBeUndefined();
    await apps.readNamespacedDeployment({ namespace: scene.cpNs, name: `istiod-${r31}` });
    await apps.readNamespacedDeployment({ namespace: scene.cpNs, name: 'istio-ingressgateway' });
    await core.readNamespacedConfigMap({ namespace: scene.cpNs, name: `istio-sidecar-injector-${r31}` });
    expect(await admin.get({ ...MWC, name: `istio-sidecar-injector-${r31}-${scene.cpNs}` })).toBeDefined();
    expect(await admin.get({ ...MWC, name: `istio-revision-tag-${prod}` })).toBeDefined();
    expect((await statusOf('r31'))?.status).toBe('HEALTHY');
    expect(await dryRunImage()).toBe(IMAGE_31);
    // `meshwright status` names the tag under the revision it serves.
    let out = '';
    const io: CliIo = { out: (t) => void (out += t), err: () => undefined, stdin: Readable.from([]) };
    expect(await runStatus(['--kubeconfig', kubeconfigPath(), '-n', scene.cpNs], io)).toBe(0);
    expect(out).toMatch(
      new RegExp(`Revision ${r31} \\(${scene.cpNs}/r31, Istio 1\\.31\\.0-rc\\.0\\):\\n  tags: ${prod}\\n`),
    );
  });
});
