// The operator rendering through the Istio release's own charts with helm (--releases-dir): an istiod
// (minimal profile, Base off so the shared Istio CRDs other files use are left alone) installed from
// ../shared/reference's 1.30.3 charts becomes HEALTHY on kwok nodes; an IstioOperator whose tag names a
// release that cannot be had turns ERROR naming the version and the source, and nothing installed is
// touched; deleting the IstioOperator removes what it installed.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createWriteStream, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartControllerRender } from '../../operator/render/charts/controller-render';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { OperatorManager } from '../../operator/controller/manager';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { RenderCache } from '../../operator/render/charts/render-cache';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { HelmProcessRenderer } from '../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../release/local';
import { helm, REFERENCE } from '../unit/operator/charts/parity-helpers';
import {
  appsApi,
  clusterDir,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  waitFor,
} from './support/cluster';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(180_000);

const IOP = 'install.istio.io/v1alpha1';
const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const rev = `c${Math.random().toString(16).slice(2, 8)}`;
let ns = '';
let manager: OperatorManager | undefined;

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'charts' });
const status = async () =>
  ((await admin.get(iopRef())) as (KubernetesObject & { status?: Record<string, unknown> }) | undefined)
    ?.status;
const istiod = () => appsApi().readNamespacedDeployment({ name: `istiod-${rev}`, namespace: ns });

/**
 * The reference releases, plus 1.32.0 standing for a release newer than the injector knows (the 1.31 tree
 * under that version: what matters is the version the operator resolves, not the charts).
 */
function releasesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-releases-'));
  for (const v of ['1.30.3', '1.31.0-rc.0'])
    symlinkSync(join(REFERENCE, `istio-${v}`), join(dir, `istio-${v}`));
  symlinkSync(join(REFERENCE, 'istio-1.31.0-rc.0'), join(dir, 'istio-1.32.0'));
  return dir;
}

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  ns = await createTestNamespace('mw-charts');
  const dir = clusterDir();
  const logFile = join(dir ? join(dir, 'logs') : tmpdir(), `operator-charts-${ns}.log`);
  manager = new OperatorManager({
    kc,
    render: chartControllerRender({
      releases: new ReleasesDirProvider(releasesDir()),
      cache: new RenderCache(new HelmProcessRenderer({ binary: helm() })),
      defaultVersion: '1.30.3',
    }),
    managedKinds: MANAGED_KINDS,
    namespace: ns,
    leaderElect: false,
    leaderElectionNamespace: ns,
    identity: 'operator-charts',
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({ level: 'debug', stream: createWriteStream(logFile) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
  });
  await manager.start();
  await waitFor(async () => manager!.ready(), 30_000, 'operator synced');
});

afterAll(async () => {
  await manager?.stop().catch(() => undefined);
  await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
  await admin.delete(iopRef()).catch(() => undefined);
  for (const k of MANAGED_KINDS.filter((x) => !x.namespaced)) {
    const owned = await admin
      .list(
        k.apiVersion,
        k.kind,
        `install.operator.istio.io/owning-resource=charts,install.operator.istio.io/owning-resource-namespace=${ns}`,
      )
      .catch(() => ({ items: [] as KubernetesObject[] }));
    for (const o of owned.items)
      await admin
        .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
        .catch(() => undefined);
  }
  if (ns) await deleteNamespace(ns);
});

describe('operator with chart rendering', () => {
  it("installs istiod from the release's charts to HEALTHY", async () => {
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'charts', namespace: ns },
      spec: {
        profile: 'minimal',
        revision: rev,
        components: { base: { enabled: false } },
        values: { global: { istioNamespace: ns } },
      },
    } as KubernetesObject);
    await waitFor(async () => (await status())?.status === 'HEALTHY', 150_000, 'IstioOperator HEALTHY', 1000);
    expect((await status())?.componentStatus).toEqual({ Pilot: { status: 'HEALTHY' } });
    const d = await istiod();
    expect(d.metadata?.labels).toEqual(
      expect.objectContaining({
        'helm.sh/chart': 'istiod-1.0.0',
        'operator.istio.io/component': 'Pilot',
        'istio.io/rev': rev,
      }),
    );
    expect(d.spec?.template.spec?.containers[0].image).toBe('docker.io/istio/pilot:1.30.3');
    // The chart's injector templates are installed (istiod and the webhook read them).
    const cm = (await admin.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: `istio-sidecar-injector-${rev}`,
    })) as (KubernetesObject & { data?: Record<string, string> }) | undefined;
    expect(cm?.data?.config).toContain('templates:');
  });

  it('a release that cannot be had is ERROR naming version and source; installed objects stay', async () => {
    const before = await istiod();
    await admin.mergePatch(iopRef(), { spec: { tag: '1.29.9' } });
    await waitFor(async () => (await status())?.status === 'ERROR', 60_000, 'IstioOperator ERROR', 1000);
    const text = JSON.stringify(await status());
    expect(text).toContain('Istio release 1.29.9 from releases-dir');
    // The installed version keeps running, and the status keeps saying so.
    expect((await status())?.meshwright).toMatchObject({ version: '1.30.3' });
    expect((await status())?.meshwright).not.toHaveProperty('injection');
    const after = await istiod();
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('deleting the IstioOperator removes what it installed', async () => {
    await admin.delete(iopRef());
    await waitFor(
      async () => {
        try {
          await istiod();
          return false;
        } catch {
          return true;
        }
      },
      90_000,
      'istiod removed',
      1000,
    );
  });

  it('installs the demo profile (istiod, ingress and egress gateways from their charts) to HEALTHY', async () => {
    await waitFor(
      async () => (await admin.get(iopRef())) === undefined,
      60_000,
      'previous IstioOperator gone',
    );
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'charts', namespace: ns },
      spec: {
        profile: 'demo',
        revision: rev,
        components: { base: { enabled: false } },
        values: { global: { istioNamespace: ns } },
      },
    } as KubernetesObject);
    await waitFor(
      async () => (await status())?.status === 'HEALTHY',
      150_000,
      'demo IstioOperator HEALTHY',
      1000,
    );
    expect((await status())?.componentStatus).toEqual({
      Pilot: { status: 'HEALTHY' },
      IngressGateways: { status: 'HEALTHY' },
      EgressGateways: { status: 'HEALTHY' },
    });
    for (const name of ['istio-ingressgateway', 'istio-egressgateway']) {
      const d = await appsApi().readNamespacedDeployment({ name, namespace: ns });
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    }
  });

  it('a release newer than the injector knows says which version it is injected as', async () => {
    const next = { ...iopRef(), name: 'charts-next' };
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: next.name, namespace: ns },
      spec: {
        profile: 'minimal',
        tag: '1.32.0',
        revision: `${rev}n`,
        components: { base: { enabled: false } },
        values: { global: { istioNamespace: ns } },
      },
    } as KubernetesObject);
    const meshwright = async () =>
      (
        (await admin.get(next)) as
          (KubernetesObject & { status?: { meshwright?: Record<string, unknown> } }) | undefined
      )?.status?.meshwright;
    await waitFor(
      async () => (await meshwright())?.version === '1.32.0',
      60_000,
      'version 1.32.0 in status',
      1000,
    );
    expect(await meshwright()).toMatchObject({
      injection: { version: '1.31', exact: false, message: expect.stringContaining('nearest known version') },
    });
    await admin.delete(next);
    await waitFor(async () => (await admin.get(next)) === undefined, 90_000, 'charts-next removed', 1000);
  });
});
