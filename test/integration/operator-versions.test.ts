// Istio versions through the operator on the local control plane, rendering the reference releases' own
// charts: two IstioOperators of different releases share Istio's CRDs (the newest release's are installed,
// the older one never downgrades them, deleting the newer one keeps them and the older adopts them
// unchanged); then an in-place upgrade of one IstioOperator (spec.tag 1.30.3 -> 1.31.0-rc.0) rolls istiod
// and the ingress gateway to the new release, and a downgrade across minors is refused with ACTION_REQUIRED,
// touching nothing. The Istio CRDs are shared with other files: at the end they are released (owner labels
// removed), never deleted.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { LABEL_OWNING_NAMESPACE, LABEL_OWNING_RESOURCE } from '../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import type { OperatorManager } from '../../operator/controller/manager';
import { appsApi, createTestNamespace, deleteNamespace, kubeConfig, waitFor } from './support/cluster';
import {
  deleteOwnedClusterObjects,
  forceRemoveIop,
  IOP_API,
  iopStatus,
  startChartOperator,
  waitStatus,
} from './support/chart-operator';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(400_000);

const admin = new RawKubeClient(kubeConfig());
const suffix = Math.random().toString(16).slice(2, 7);
const revA = `a${suffix}`;
const revB = `b${suffix}`;
const CRD_API = 'apiextensions.k8s.io/v1';
const VERSION = 'operator.istio.io/version';
let ns = '';
let appNs = '';
let manager: OperatorManager | undefined;

const iopRef = (name: string) => ({ apiVersion: IOP_API, kind: 'IstioOperator', namespace: ns, name });
const destinationRules = async () =>
  admin.get({
    apiVersion: CRD_API,
    kind: 'CustomResourceDefinition',
    name: 'destinationrules.networking.istio.io',
  });
/** A field of DestinationRule's schema that 1.31 added (connectionPool.http.http2KeepAlive). */
const has131Field = (crd: KubernetesObject | undefined) => JSON.stringify(crd).includes('"http2KeepAlive"');
const deployment = (name: string): Promise<V1Deployment> =>
  appsApi().readNamespacedDeployment({ name, namespace: ns });
const image = (d: V1Deployment) => d.spec?.template.spec?.containers[0].image;

function iop(name: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: IOP_API,
    kind: 'IstioOperator',
    metadata: { name, namespace: ns },
    spec: { ...spec, values: { global: { istioNamespace: ns } } },
  } as KubernetesObject;
}

/**
 * Istio's CRDs that no IstioOperator owns: what other files released (istiod.test and istiod-operator.test leave
 * them at 1.31). This file starts with A installing them at 1.30.3, which the no-downgrade rule forbids over
 * newer ones, so it removes those first. Integration files run one at a time, and owned ones are left alone.
 */
async function removeReleasedIstioCrds(): Promise<void> {
  const released = (await admin.list(CRD_API, 'CustomResourceDefinition')).items
    // Istio's API groups, never install.istio.io (Meshwright's own IstioOperator CRD).
    .filter((c) => {
      const group = (c as { spec?: { group?: string } }).spec?.group ?? '';
      return (
        group.endsWith('.istio.io') &&
        group !== 'install.istio.io' &&
        !c.metadata?.labels?.[LABEL_OWNING_RESOURCE]
      );
    })
    .map((c) => c.metadata!.name!);
  for (const name of released)
    await admin
      .delete({ apiVersion: CRD_API, kind: 'CustomResourceDefinition', name })
      .catch(() => undefined);
  await waitFor(
    async () => {
      const left = (await admin.list(CRD_API, 'CustomResourceDefinition')).items;
      return !left.some((c) => released.includes(c.metadata?.name ?? ''));
    },
    120_000,
    'released Istio CRDs to be gone',
  );
}

beforeAll(async () => {
  await removeReleasedIstioCrds();
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  ns = await createTestNamespace('mw-versions');
  manager = await startChartOperator(`operator-versions-${ns}`, ns);
});

afterAll(async () => {
  await manager?.stop().catch(() => undefined);
  if (!ns) return;
  // Release the shared Istio CRDs instead of uninstalling them.
  const crds = await admin.list(
    CRD_API,
    'CustomResourceDefinition',
    `install.operator.istio.io/owning-resource-namespace=${ns}`,
  );
  for (const crd of crds.items)
    await admin
      .mergePatch(
        { apiVersion: CRD_API, kind: 'CustomResourceDefinition', name: crd.metadata!.name! },
        {
          metadata: {
            labels: { [LABEL_OWNING_RESOURCE]: null, [LABEL_OWNING_NAMESPACE]: null },
          },
        },
      )
      .catch(() => undefined);
  for (const name of ['a', 'b']) {
    await forceRemoveIop(admin, ns, name);
    await deleteOwnedClusterObjects(admin, ns, name, ['CustomResourceDefinition']);
  }
  await deleteNamespace(ns);
  if (appNs) await deleteNamespace(appNs);
});

describe("Istio's CRDs across two IstioOperators of different releases", () => {
  it('A at 1.30.3 installs them at 1.30.3', async () => {
    await admin.create(iop('a', { profile: 'default', tag: '1.30.3', revision: revA }));
    await waitStatus(admin, ns, 'a', (s) => s.status === 'HEALTHY', 'A HEALTHY');
    const crd = await destinationRules();
    expect(crd?.metadata?.labels).toEqual(
      expect.objectContaining({ [LABEL_OWNING_RESOURCE]: 'a', [VERSION]: '1.30.3' }),
    );
    expect(has131Field(crd)).toBe(false);
  });

  it('B (a revision) at 1.31.0-rc.0 upgrades them; A re-reconciling keeps them at 1.31 and says so', async () => {
    await admin.create(iop('b', { profile: 'minimal', tag: '1.31.0-rc.0', revision: revB }));
    await waitStatus(admin, ns, 'b', (s) => s.status === 'HEALTHY', 'B HEALTHY');
    const upgraded = await destinationRules();
    expect(upgraded?.metadata?.labels).toEqual(
      expect.objectContaining({ [LABEL_OWNING_RESOURCE]: 'b', [VERSION]: '1.31.0-rc.0' }),
    );
    expect(has131Field(upgraded)).toBe(true);

    // Any change re-queues A; it renders its 1.30.3 CRDs and must not apply them.
    await admin.mergePatch(iopRef('a'), { metadata: { annotations: { 'meshwright.test/poke': '1' } } });
    const a = await waitStatus(
      admin,
      ns,
      'a',
      (s) => s.meshwright?.crds?.version === '1.31.0-rc.0',
      'A notes the kept CRDs',
    );
    expect(a.status).toBe('HEALTHY');
    expect(a.meshwright?.crds?.message).toMatch(
      /kept at Istio 1\.31\.0-rc\.0, newer than this IstioOperator's 1\.30\.3/,
    );
    const after = await destinationRules();
    expect(after?.metadata?.resourceVersion).toBe(upgraded?.metadata?.resourceVersion);
  });

  it('deleting B keeps them at 1.31; A adopts them unchanged', async () => {
    const before = await destinationRules();
    await admin.delete(iopRef('b'));
    await waitFor(async () => (await admin.get(iopRef('b'))) === undefined, 120_000, 'B uninstalled', 1000);
    // B's own istiod is gone, the CRDs are not.
    await expect(deployment(`istiod-${revB}`)).rejects.toThrow();
    const adopted = await waitFor(
      async () => {
        const crd = await destinationRules();
        return crd?.metadata?.labels?.[LABEL_OWNING_RESOURCE] === 'a' && crd;
      },
      60_000,
      'A owns the CRDs',
      1000,
    );
    expect(adopted.metadata?.labels?.[VERSION]).toBe('1.31.0-rc.0');
    expect(has131Field(adopted)).toBe(true);
    expect(adopted.metadata?.uid).toBe(before?.metadata?.uid);
    expect((await iopStatus(admin, ns, 'a')).status).toBe('HEALTHY');
  });
});

describe('in-place version change of one IstioOperator', () => {
  it('1.30.3 -> 1.31.0-rc.0 switches the release: istiod and the ingress gateway roll, status says 1.31, the outdated sidecar is restarted', async () => {
    expect(image(await deployment(`istiod-${revA}`))).toBe('docker.io/istio/pilot:1.30.3');
    // A workload whose pod carries revision A's 1.30.3 sidecar (as the webhook injected it before the upgrade).
    appNs = await createTestNamespace('mw-versions-app');
    await admin.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: appNs },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app', 'istio.io/rev': revA } },
          spec: {
            containers: [
              { name: 'app', image: 'registry.invalid/app:1' },
              { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' },
            ],
          },
        },
      },
    } as KubernetesObject);
    await admin.mergePatch(iopRef('a'), {
      spec: { tag: '1.31.0-rc.0', sidecarRollout: { enabled: true, batchSize: 5, pauseSeconds: 0 } },
    });
    const s = await waitStatus(
      admin,
      ns,
      'a',
      (x) =>
        x.status === 'HEALTHY' &&
        x.meshwright?.version === '1.31.0-rc.0' &&
        x.meshwright.sidecarRollout?.phase === 'Complete',
      'A HEALTHY at 1.31.0-rc.0 with its sidecar rollout complete',
      240_000,
    );
    expect(s.meshwright?.sidecarRollout?.targetImage).toBe('docker.io/istio/proxyv2:1.31.0-rc.0');
    expect(s.meshwright?.sidecarRollout?.restarted).toEqual([`${appNs}/Deployment/app`]);
    const app = await appsApi().readNamespacedDeployment({ name: 'app', namespace: appNs });
    expect(app.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect(s.meshwright?.crds).toBeUndefined();
    const istiod = await deployment(`istiod-${revA}`);
    expect(image(istiod)).toBe('docker.io/istio/pilot:1.31.0-rc.0');
    expect(istiod.metadata?.labels?.[VERSION]).toBe('1.31.0-rc.0');
    const gateway = await deployment('istio-ingressgateway');
    expect(image(gateway)).toBe('docker.io/istio/proxyv2:1.31.0-rc.0');
    for (const d of [istiod, gateway])
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect((await destinationRules())?.metadata?.labels?.[VERSION]).toBe('1.31.0-rc.0');
  });

  it('1.31.0-rc.0 -> 1.30.3 (a downgrade across minors) is ACTION_REQUIRED saying what to do; nothing changes', async () => {
    const before = await deployment(`istiod-${revA}`);
    await admin.mergePatch(iopRef('a'), { spec: { tag: '1.30.3' } });
    const s = await waitStatus(admin, ns, 'a', (x) => x.status === 'ACTION_REQUIRED', 'A ACTION_REQUIRED');
    expect(s.message).toBe(
      'in-place downgrade from Istio 1.31.0-rc.0 to 1.30.3 (1.31 -> 1.30) is not supported: install 1.30.3 as a ' +
        'new revision (another IstioOperator with spec.revision) and move workloads to it, or set spec.tag back ' +
        'to 1.31.0-rc.0',
    );
    expect(s.meshwright?.version).toBe('1.31.0-rc.0');
    expect(s.conditions?.find((c) => c.type === 'Reconciled')?.reason).toBe('UnsupportedVersionChange');
    const after = await deployment(`istiod-${revA}`);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(image(after)).toBe('docker.io/istio/pilot:1.31.0-rc.0');
    expect(has131Field(await destinationRules())).toBe(true);
  });
});
