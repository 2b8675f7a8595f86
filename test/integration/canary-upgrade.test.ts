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
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { Readable } from 'node:stream';
import type { CliIo } from '../../cli/install';
import { chartControllerRender } from '../../operator/render/charts/controller-render';
import { runStatus } from '../../cli/status';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../operator/controller/manager';
import { RESTARTED_AT } from '../../operator/controller/rollout/sidecar-rollout';
import { RenderCache } from '../../operator/render/charts/render-cache';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { HelmProcessRenderer } from '../../operator/render/helm/helm-process';
import { LABEL_INJECTION_WEBHOOK } from '../../operator/render/injection/injection-target';
import { ReleasesDirProvider } from '../../release/local';
import { type StartedWebhook } from '../../webhook/server/start';
import { helm, REFERENCE } from '../unit/operator/charts/parity-helpers';
import { startLoopbackWebhook } from './support/loopback-webhook';
import {
  admissionApi,
  appsApi,
  clusterDir,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  uniqueName,
  waitFor,
} from './support/cluster';
import { installIstioOperatorCrd } from './support/iop-crd';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(300_000);

const IOP = 'install.istio.io/v1alpha1';
const TAG_API = 'meshwright.io/v1alpha1';
const IMAGE_30 = 'docker.io/istio/proxyv2:1.30.3';
const IMAGE_31 = 'docker.io/istio/proxyv2:1.31.0-rc.0';
const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const core = coreApi();
const apps = appsApi();
const suffix = uniqueName('x').slice(2);
const r30 = `r30-${suffix}`;
const r31 = `r31-${suffix}`;
const prod = `prod-${suffix}`;
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
let cpNs = '';
let appNs = '';
let webhook: StartedWebhook | undefined;
let operator: OperatorManager | undefined;
let caSync: NodeJS.Timeout | undefined;
const cache = new RenderCache(new HelmProcessRenderer({ binary: helm() }));

type Status = {
  status?: string;
  message?: string;
  conditions?: { type: string; status: string; message: string }[];
  meshwright?: {
    version?: string;
    sidecars?: { injected?: number; outdated?: number; outdatedWorkloads?: string[] };
    sidecarRollout?: { phase?: string; restarted?: string[]; pending?: number; batches?: number };
  };
};
const iopRef = (name: string) => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: cpNs, name });
const statusOf = async (name: string) =>
  ((await admin.get(iopRef(name))) as { status?: Status } | undefined)?.status;
const tagRef = { apiVersion: TAG_API, kind: 'IstioRevisionTag', name: prod };
const tagStatus = async () =>
  ((await admin.get(tagRef)) as { status?: Record<string, unknown> } | undefined)?.status;

function startOperator(run: string, url: string): Promise<OperatorManager> {
  const m = new OperatorManager({
    kc,
    render: chartControllerRender({
      releases: new ReleasesDirProvider(REFERENCE),
      cache,
      defaultVersion: '1.30.3',
      injection: { target: { url } },
    }),
    managedKinds: MANAGED_KINDS,
    namespace: cpNs,
    leaderElect: false,
    leaderElectionNamespace: cpNs,
    identity: `canary-${run}`,
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({
      level: 'debug',
      stream: createWriteStream(join(logDir, `canary-${suffix}-${run}.log`)),
    }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
    sidecarCensusTtlMs: 2000,
    injection: { target: { url } },
  });
  return m.start().then(async () => {
    await waitFor(async () => m.ready(), 30_000, `operator ${run} synced`);
    return m;
  });
}

/**
 * Stands in for cert-manager's cainjector (or the webhook's self-signed CA manager) in this test: the
 * operator leaves caBundle to another manager, so the test CA is patched into every injection webhook the
 * operator makes (label meshwright.io/injection-webhook) that lacks it.
 */
function syncCaBundle(caPem: string): NodeJS.Timeout {
  const caBundle = Buffer.from(caPem).toString('base64');
  return setInterval(() => {
    void (async () => {
      const { items } = await admissionApi().listMutatingWebhookConfiguration({
        labelSelector: `${LABEL_INJECTION_WEBHOOK}=true`,
      });
      for (const m of items) {
        const mine = (m.webhooks ?? []).some((w) => w.clientConfig.url?.startsWith(webhookUrl()));
        if (!mine || (m.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) continue;
        await admin.mergePatch(
          { ...MWC, name: m.metadata!.name! },
          {
            webhooks: (m.webhooks ?? []).map((w) => ({
              ...w,
              clientConfig: { ...w.clientConfig, caBundle },
            })),
          },
        );
      }
    })().catch(() => undefined);
  }, 300);
}
const webhookUrl = () => `https://127.0.0.1:${webhook!.server.port}`;

const iop = (
  name: string,
  revision: string,
  tag: string,
  extra: Record<string, unknown> = {},
): KubernetesObject =>
  ({
    apiVersion: IOP,
    kind: 'IstioOperator',
    metadata: { name, namespace: cpNs },
    spec: {
      profile: 'minimal',
      revision,
      tag,
      components: { base: { enabled: false } },
      values: { global: { istioNamespace: cpNs } },
      ...extra,
    },
  }) as KubernetesObject;

/** A gateways-only IstioOperator: the ingress gateway of a revision, moved by changing its revision. */
const gatewayIop = (revision: string): KubernetesObject =>
  ({
    apiVersion: IOP,
    kind: 'IstioOperator',
    metadata: { name: 'gw', namespace: cpNs },
    spec: {
      profile: 'empty',
      revision,
      tag: '1.30.3',
      components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
      values: { global: { istioNamespace: cpNs } },
    },
  }) as KubernetesObject;

/** The gateway's CA_ADDR: which istiod it talks to. */
async function gatewayCaAddr(): Promise<string | undefined> {
  const d = await apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
  return d.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'CA_ADDR')?.value;
}

async function pods(app: string): Promise<V1Pod[]> {
  const { items } = await core.listNamespacedPod({ namespace: appNs, labelSelector: `app=${app}` });
  return items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function deployment(name: string, replicas: number): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: appNs,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
        },
      },
    },
  });
}

const dryRunImage = async () =>
  proxyImageOf(
    await core.createNamespacedPod({
      namespace: appNs,
      body: { metadata: { generateName: 'probe-' }, spec: { containers: [{ name: 'app', image: 'x' }] } },
      dryRun: 'All',
    }),
  );

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-canary-test');
  const tagCrd = parse(readFileSync(join(__dirname, '..', '..', 'crds', 'istiorevisiontag.yaml'), 'utf8'));
  await admin.apply(tagCrd as KubernetesObject, 'meshwright-canary-test', true);
  await waitFor(
    async () => (await admin.list(TAG_API, 'IstioRevisionTag').then(() => true)) as boolean,
    30_000,
    'IstioRevisionTag CRD served',
  );
  cpNs = await createTestNamespace('mw-canary');
  appNs = await createTestNamespace('mw-canary-app', { 'istio.io/rev': prod });
  const started = await startLoopbackWebhook({
    commonName: 'meshwright-canary-test',
    istioNamespace: cpNs,
    nativeSidecars: 'auto',
    kubeConfig: kc,
    logStream: createWriteStream(join(logDir, `canary-${suffix}-webhook.log`)),
  });
  webhook = started.webhook;
  const ca = started.ca;
  caSync = syncCaBundle(ca.certPem);
  operator = await startOperator('a', webhookUrl());
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  if (caSync) clearInterval(caSync);
  await admin.delete(tagRef).catch(() => undefined);
  for (const name of ['gw', 'r30', 'r31']) {
    if (cpNs && (await admin.get(iopRef(name)).catch(() => undefined))) {
      await admin.mergePatch(iopRef(name), { metadata: { finalizers: null } }).catch(() => undefined);
      await admin.delete(iopRef(name)).catch(() => undefined);
    }
  }
  // Cluster-scoped leftovers of a failed run: what the IstioOperators owned, and the tag's webhook.
  for (const k of MANAGED_KINDS.filter((x) => !x.namespaced)) {
    const owned = await admin
      .list(k.apiVersion, k.kind, `install.operator.istio.io/owning-resource-namespace=${cpNs}`)
      .catch(() => ({ items: [] as KubernetesObject[] }));
    for (const o of owned.items)
      await admin
        .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
        .catch(() => undefined);
  }
  await admin.delete({ ...MWC, name: `istio-revision-tag-${prod}` }).catch(() => undefined);
  await webhook?.stop(0);
  for (const ns of [appNs, cpNs]) if (ns) await deleteNamespace(ns);
});

describe('canary upgrade 1.30.3 -> 1.31.0-rc.0 with a revision tag', () => {
  it('installs r30 with its injection webhook retargeted to Meshwright, and tag prod points at it', async () => {
    await admin.create(iop('r30', r30, '1.30.3'));
    await waitFor(async () => (await statusOf('r30'))?.status === 'HEALTHY', 150_000, 'r30 HEALTHY', 1000);
    const own = (await admin.get({ ...MWC, name: `istio-sidecar-injector-${r30}-${cpNs}` })) as
      { webhooks?: { clientConfig: { url?: string } }[] } | undefined;
    expect(own?.webhooks?.map((w) => w.clientConfig.url)).toEqual([
      `${webhookUrl()}/inject/rev/${r30}`,
      `${webhookUrl()}/inject/rev/${r30}`,
    ]);

    await admin.create({
      apiVersion: TAG_API,
      kind: 'IstioRevisionTag',
      metadata: { name: prod },
      spec: { revision: r30 },
    } as KubernetesObject);
    const st = await waitFor(
      async () => {
        const s = await tagStatus();
        return s?.state === 'Ready' && s;
      },
      30_000,
      'tag Ready',
    );
    expect(st).toMatchObject({
      revision: r30,
      istioOperator: `${cpNs}/r30`,
      istioVersion: '1.30.3',
      webhook: `istio-revision-tag-${prod}`,
    });

    await waitFor(async () => (await dryRunImage()) === IMAGE_30, 30_000, 'tag webhook in effect (1.30.3)');
    await deployment('productpage', 2);
    await deployment('reviews', 1);
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
    await admin.create(gatewayIop(r30));
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
      await apps.readNamespacedDeployment({ namespace: cpNs, name: `istiod-${r}` });
      await core.readNamespacedConfigMap({ namespace: cpNs, name: `istio-sidecar-injector-${r}` });
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
    expect(held.message).toContain(`IstioOperator(s) ${cpNs}/gw of the same revision use its istiod`);
    expect(held.message).toContain(
      `3 pod(s) still run its sidecar, in ${appNs}/Deployment/productpage, ${appNs}/Deployment/reviews`,
    );
    // Nothing was uninstalled.
    await apps.readNamespacedDeployment({ namespace: cpNs, name: `istiod-${r30}` });
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

    const done = await waitFor(
      async () => {
        const s = await statusOf('r31');
        return (
          s?.meshwright?.sidecarRollout?.phase === 'Complete' && s?.meshwright?.sidecars?.outdated === 0 && s
        );
      },
      150_000,
      'r31 rollout Complete, nothing outdated',
      500,
    );
    expect(done.meshwright?.sidecarRollout).toMatchObject({
      restarted: [`${appNs}/Deployment/productpage`, `${appNs}/Deployment/reviews`],
      pending: 0,
    });
    for (const [app, n] of [
      ['productpage', 2],
      ['reviews', 1],
    ] as const) {
      const d = await apps.readNamespacedDeployment({ namespace: appNs, name: app });
      expect(d.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBeDefined();
      const rs = await apps.listNamespacedReplicaSet({ namespace: appNs, labelSelector: `app=${app}` });
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
    let lowest = Number.MAX_SAFE_INTEGER;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const d = await apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
        lowest = Math.min(lowest, d.status?.availableReplicas ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await admin.mergePatch(iopRef('gw'), { spec: { revision: r31, tag: '1.31.0-rc.0' } });
    await waitFor(
      async () =>
        (await gatewayCaAddr())?.includes(`istiod-${r31}.`) && (await statusOf('gw'))?.status === 'HEALTHY',
      120_000,
      'gw HEALTHY on r31',
      500,
    );
    await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
        return (
          d.status?.updatedReplicas === 1 && d.status?.replicas === 1 && d.status?.availableReplicas === 1
        );
      },
      60_000,
      'gateway rolled',
    );
    watching = false;
    await watcher;
    expect(lowest).toBeGreaterThanOrEqual(1);
    const d = await apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
  });

  it("completes r30's deletion once nothing uses it: its objects go, r31's stay", async () => {
    await waitFor(async () => (await admin.get(iopRef('r30'))) === undefined, 90_000, 'r30 deleted', 500);
    await expect(
      apps.readNamespacedDeployment({ namespace: cpNs, name: `istiod-${r30}` }),
    ).rejects.toMatchObject({ code: 404 });
    expect(await admin.get({ ...MWC, name: `istio-sidecar-injector-${r30}-${cpNs}` })).toBeUndefined();
    await apps.readNamespacedDeployment({ namespace: cpNs, name: `istiod-${r31}` });
    await apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
    await core.readNamespacedConfigMap({ namespace: cpNs, name: `istio-sidecar-injector-${r31}` });
    expect(await admin.get({ ...MWC, name: `istio-sidecar-injector-${r31}-${cpNs}` })).toBeDefined();
    expect(await admin.get({ ...MWC, name: `istio-revision-tag-${prod}` })).toBeDefined();
    expect((await statusOf('r31'))?.status).toBe('HEALTHY');
    expect(await dryRunImage()).toBe(IMAGE_31);
    // `meshwright status` names the tag under the revision it serves.
    let out = '';
    const io: CliIo = { out: (t) => void (out += t), err: () => undefined, stdin: Readable.from([]) };
    expect(await runStatus(['--kubeconfig', kubeconfigPath(), '-n', cpNs], io)).toBe(0);
    expect(out).toMatch(
      new RegExp(`Revision ${r31} \\(${cpNs}/r31, Istio 1\\.31\\.0-rc\\.0\\):\\n  tags: ${prod}\\n`),
    );
  });
});
