// Ambient through the operator on the local control plane, for both reference releases' charts: an
// IstioOperator with profile ambient installs istiod, the CNI node agent in ambient mode (its ConfigMap
// says AMBIENT_ENABLED "true") and ztunnel; both DaemonSets are scheduled onto every kwok node, fully
// updated and available (what readiness.ts requires of a DaemonSet), and the IstioOperator becomes HEALTHY
// with the Pilot, Cni and Ztunnel components. Each release is uninstalled before the next (their node agents
// share cluster-wide names). Base is off, so the shared Istio CRDs other files use are left alone.
import type { KubernetesObject, V1DaemonSet } from '@kubernetes/client-node';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import type { OperatorManager } from '../../operator/controller/manager';
import {
  appsApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  waitFor,
} from './support/cluster';
import {
  deleteOwnedClusterObjects,
  forceRemoveIop,
  IOP_API,
  startChartOperator,
  waitStatus,
} from './support/chart-operator';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(300_000);

const admin = new RawKubeClient(kubeConfig());
const NAME = 'ambient';

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
});

async function kwokNodes(): Promise<number> {
  const nodes = await coreApi().listNode();
  return nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake').length;
}

describe.each(['1.30.3', '1.31.0-rc.0'])('profile ambient at Istio %s', (version) => {
  let ns = '';
  let manager: OperatorManager | undefined;

  beforeAll(async () => {
    ns = await createTestNamespace('mw-ambient');
    manager = await startChartOperator(`operator-ambient-${ns}`, ns);
  });

  afterAll(async () => {
    await manager?.stop().catch(() => undefined);
    if (!ns) return;
    await forceRemoveIop(admin, ns, NAME);
    await deleteOwnedClusterObjects(admin, ns, NAME);
    await deleteNamespace(ns);
  });

  it('installs istiod, CNI in ambient mode and ztunnel to HEALTHY, node agents on every kwok node', async () => {
    await admin.create({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: NAME, namespace: ns },
      spec: {
        profile: 'ambient',
        tag: version,
        components: { base: { enabled: false }, cni: { namespace: ns }, ztunnel: { namespace: ns } },
        values: { global: { istioNamespace: ns } },
      },
    } as KubernetesObject);
    const s = await waitStatus(
      admin,
      ns,
      NAME,
      (x) => x.status === 'HEALTHY',
      'ambient IstioOperator HEALTHY',
      240_000,
    );
    expect(s.componentStatus).toEqual({
      Pilot: { status: 'HEALTHY' },
      Cni: { status: 'HEALTHY' },
      Ztunnel: { status: 'HEALTHY' },
    });
    expect(s.meshwright?.version).toBe(version);

    const nodes = await kwokNodes();
    expect(nodes).toBeGreaterThan(0);
    const daemonSet = (name: string): Promise<V1DaemonSet> =>
      appsApi().readNamespacedDaemonSet({ name, namespace: ns });
    for (const name of ['istio-cni-node', 'ztunnel']) {
      const ds = await daemonSet(name);
      expect({
        name,
        desired: ds.status?.desiredNumberScheduled,
        available: ds.status?.numberAvailable,
      }).toEqual({
        name,
        desired: nodes,
        available: nodes,
      });
      expect(ds.metadata?.labels?.['operator.istio.io/version']).toBe(version);
      expect(ds.spec?.template.spec?.containers[0].image).toMatch(
        new RegExp(`:${version.replace(/\./g, '\\.')}(-distroless)?$`),
      );
    }
    const cni = (await admin.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'istio-cni-config',
    })) as (KubernetesObject & { data?: Record<string, string> }) | undefined;
    expect(cni?.data?.AMBIENT_ENABLED).toBe('true');
    const istiod = await appsApi().readNamespacedDeployment({ name: 'istiod', namespace: ns });
    expect(istiod.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    // istiod runs with ambient on (the profile's PILOT_ENABLE_AMBIENT).
    expect(istiod.spec?.template.spec?.containers[0].env).toEqual(
      expect.arrayContaining([{ name: 'PILOT_ENABLE_AMBIENT', value: 'true' }]),
    );
  });

  it('uninstalls', async () => {
    await admin.delete({ apiVersion: IOP_API, kind: 'IstioOperator', namespace: ns, name: NAME });
    await waitFor(
      async () =>
        (await admin.get({ apiVersion: IOP_API, kind: 'IstioOperator', namespace: ns, name: NAME })) ===
        undefined,
      120_000,
      'ambient IstioOperator uninstalled',
      1000,
    );
    await expect(appsApi().readNamespacedDaemonSet({ name: 'ztunnel', namespace: ns })).rejects.toThrow();
  });
});
