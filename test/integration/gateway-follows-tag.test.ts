// A gateways-only IstioOperator following a revision tag, on the local control plane: the real operator
// (in-process OperatorManager rendering ../shared/reference's 1.30.3 and 1.31.0-rc.0 charts with helm) and
// the real webhook (loopback, TLS). IstioOperators r30 (1.30.3) and r31 (1.31.0-rc.0), tag `prod` on r30, and
// IstioOperator `gw` annotated meshwright.io/revision-tag=prod with no revision of its own: it runs on r30's
// istiod and proxy; moving the tag to r31 is the only change, and the gateway Deployment (polled every
// 100 ms) rolls in place to r31's istiod and proxy, never with fewer than one available replica.
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { chartControllerRender } from '../../operator/render/charts/controller-render';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../operator/controller/manager';
import { FOLLOW_TAG_ANNOTATION } from '../../operator/controller/tags/tag-follow';
import { RenderCache } from '../../operator/render/charts/render-cache';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { HelmProcessRenderer } from '../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../release/local';
import { type StartedWebhook } from '../../webhook/server/start';
import { helm, REFERENCE } from '../unit/operator/charts/parity-helpers';
import { startLoopbackWebhook } from './support/loopback-webhook';
import {
  appsApi,
  clusterDir,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
  waitFor,
} from './support/cluster';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(300_000);

const IOP = 'install.istio.io/v1alpha1';
const TAG_API = 'meshwright.io/v1alpha1';
const IMAGE_30 = 'docker.io/istio/proxyv2:1.30.3';
const IMAGE_31 = 'docker.io/istio/proxyv2:1.31.0-rc.0';
const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const apps = appsApi();
const suffix = uniqueName('x').slice(2);
const r30 = `g30-${suffix}`;
const r31 = `g31-${suffix}`;
const prod = `gwprod-${suffix}`;
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
let cpNs = '';
let webhook: StartedWebhook | undefined;
let operator: OperatorManager | undefined;
const cache = new RenderCache(new HelmProcessRenderer({ binary: helm() }));

type Status = { status?: string; message?: string; meshwright?: Record<string, unknown> };
const iopRef = (name: string) => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: cpNs, name });
const statusOf = async (name: string) =>
  ((await admin.get(iopRef(name))) as { status?: Status } | undefined)?.status;
const tagRef = { apiVersion: TAG_API, kind: 'IstioRevisionTag', name: prod };
const tagStatus = async () =>
  ((await admin.get(tagRef)) as { status?: Record<string, unknown> } | undefined)?.status;
const gateway = () => apps.readNamespacedDeployment({ namespace: cpNs, name: 'istio-ingressgateway' });
const caAddr = async () =>
  (await gateway()).spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'CA_ADDR')?.value;

const controlPlane = (name: string, revision: string, tag: string): KubernetesObject =>
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
    },
  }) as KubernetesObject;

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-gwtag-test');
  const tagCrd = parse(readFileSync(join(__dirname, '..', '..', 'crds', 'istiorevisiontag.yaml'), 'utf8'));
  await admin.apply(tagCrd as KubernetesObject, 'meshwright-gwtag-test', true);
  await waitFor(
    async () => (await admin.list(TAG_API, 'IstioRevisionTag').then(() => true)) as boolean,
    30_000,
    'IstioRevisionTag CRD served',
  );
  cpNs = await createTestNamespace('mw-gwtag');
  const started = await startLoopbackWebhook({
    commonName: 'meshwright-gwtag-test',
    istioNamespace: cpNs,
    nativeSidecars: 'auto',
    kubeConfig: kc,
    logStream: createWriteStream(join(logDir, `gwtag-${suffix}-webhook.log`)),
  });
  webhook = started.webhook;
  const url = `https://127.0.0.1:${webhook.server.port}`;
  operator = new OperatorManager({
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
    identity: 'gwtag',
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({ level: 'debug', stream: createWriteStream(join(logDir, `gwtag-${suffix}.log`)) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
    injection: { target: { url } },
  });
  await operator.start();
  await waitFor(async () => operator!.ready(), 30_000, 'operator synced');
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  await admin.delete(tagRef).catch(() => undefined);
  for (const name of ['gw', 'r30', 'r31']) {
    if (cpNs && (await admin.get(iopRef(name)).catch(() => undefined))) {
      await admin.mergePatch(iopRef(name), { metadata: { finalizers: null } }).catch(() => undefined);
      await admin.delete(iopRef(name)).catch(() => undefined);
    }
  }
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
  if (cpNs) await deleteNamespace(cpNs);
});

describe('a gateways-only IstioOperator following a revision tag', () => {
  it('reports a missing tag by name and installs nothing', async () => {
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'gw', namespace: cpNs, annotations: { [FOLLOW_TAG_ANNOTATION]: prod } },
      spec: {
        profile: 'empty',
        components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
        values: { global: { istioNamespace: cpNs } },
      },
    } as KubernetesObject);
    const st = await waitFor(
      async () => (await statusOf('gw'))?.message && statusOf('gw'),
      30_000,
      'gw status',
    );
    expect(st).toMatchObject({
      status: 'ERROR',
      message: `IstioRevisionTag ${prod} does not exist; the gateways stay as they are`,
    });
    await expect(gateway()).rejects.toMatchObject({ code: 404 });
  });

  it('runs on the revision the tag serves: r30 istiod and the 1.30.3 proxy', async () => {
    await admin.create(controlPlane('r30', r30, '1.30.3'));
    await admin.create(controlPlane('r31', r31, '1.31.0-rc.0'));
    for (const n of ['r30', 'r31'])
      await waitFor(async () => (await statusOf(n))?.status === 'HEALTHY', 200_000, `${n} HEALTHY`, 1000);
    await admin.create({
      apiVersion: TAG_API,
      kind: 'IstioRevisionTag',
      metadata: { name: prod },
      spec: { revision: r30 },
    } as KubernetesObject);
    await waitFor(async () => (await tagStatus())?.state === 'Ready', 30_000, 'tag Ready');
    await waitFor(async () => (await statusOf('gw'))?.status === 'HEALTHY', 120_000, 'gw HEALTHY', 1000);
    expect((await statusOf('gw'))?.meshwright).toMatchObject({
      version: '1.30.3',
      followedTag: { tag: prod, revision: r30, istioOperator: `${cpNs}/r30` },
    });
    expect(await caAddr()).toContain(`istiod-${r30}.`);
    expect((await gateway()).spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_30);
  });

  it('moves with the tag in place, never without an available gateway replica', async () => {
    let lowest = Number.MAX_SAFE_INTEGER;
    let samples = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        lowest = Math.min(lowest, (await gateway()).status?.availableReplicas ?? 0);
        samples++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const moved = Date.now();
    await admin.mergePatch(tagRef, { spec: { revision: r31 } });
    await waitFor(
      async () =>
        (await caAddr())?.includes(`istiod-${r31}.`) && (await statusOf('gw'))?.status === 'HEALTHY',
      120_000,
      'gw HEALTHY on r31',
      500,
    );
    await waitFor(
      async () => {
        const d = await gateway();
        return (
          d.status?.updatedReplicas === 1 && d.status?.replicas === 1 && d.status?.availableReplicas === 1
        );
      },
      60_000,
      'gateway rolled',
    );
    watching = false;
    await watcher;
    process.stdout.write(
      `tag move -> gateway rolled on ${r31}: ${Date.now() - moved} ms, ${samples} samples\n`,
    );
    expect(samples).toBeGreaterThan(5);
    expect(lowest).toBeGreaterThanOrEqual(1);
    const d = await gateway();
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
    expect((await statusOf('gw'))?.meshwright).toMatchObject({
      version: '1.31.0-rc.0',
      followedTag: { tag: prod, revision: r31, istioOperator: `${cpNs}/r31` },
    });
  });
});
