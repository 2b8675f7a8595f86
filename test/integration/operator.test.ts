// The reconcile controller against the real local control plane (kwok nodes): the demo profile
// becomes HEALTHY with every workload Available; edits and deletions of installed objects are
// repaired; a rejected object turns only its component to ERROR; disabling a gateway prunes it;
// steady state makes zero writes (counted at the client and in the apiserver's audit log); of two
// operator managers only the Lease holder acts; deleting the IstioOperator removes everything.
//
// Each run installs into its own namespace (the demo profile with spec.namespace set), so the
// cluster-scoped names (ClusterRoles, webhook) are unique too. It renders through the 1.30.3 release's
// charts; the Base chart of that release copy installs a test CRD of its own instead of the shared Istio
// CRDs, which other test files use concurrently.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { ownerSelector } from '../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { installIstioOperatorCrd } from './support/iop-crd';
import { OperatorManager } from '../../operator/controller/manager';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { chartRender, releasesWithCrds } from './support/chart-render';
import {
  appsApi,
  clusterDir,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  waitFor,
} from './support/cluster';
import type {
  ListPagesOptions,
  PageVisitor,
  KubeClient,
  ObjectList,
  ObjectRef,
  ResourceInfo,
} from '../../operator/controller/kube/kube-client';
import type { Registry } from 'prom-client';

/** Records every call an operator makes, so tests can assert its writes (and that a standby made none). */
class CountingClient implements KubeClient {
  calls: string[] = [];

  constructor(private readonly inner: KubeClient) {}

  reset(): void {
    this.calls = [];
  }

  /** Mutating calls only: apply, patch, create, delete. */
  writes(): string[] {
    return this.calls.filter(
      (c) => !c.startsWith('get ') && !c.startsWith('list ') && !c.startsWith('resource '),
    );
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    this.calls.push(`resource ${apiVersion}/${kind}`);
    return this.inner.resource(apiVersion, kind);
  }

  get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    this.calls.push(`get ${ref.kind}/${ref.name}`);
    return this.inner.get(ref);
  }

  list(apiVersion: string, kind: string, labelSelector?: string, namespace?: string): Promise<ObjectList> {
    this.calls.push(`list ${kind}`);
    return this.inner.list(apiVersion, kind, labelSelector, namespace);
  }

  listPages(apiVersion: string, kind: string, visit: PageVisitor, opts?: ListPagesOptions): Promise<void> {
    this.calls.push(`list ${kind}`);
    return this.inner.listPages(apiVersion, kind, visit, opts);
  }

  apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    this.calls.push(`apply ${obj.kind}/${obj.metadata?.name}`);
    return this.inner.apply(obj, fieldManager, force);
  }

  mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    this.calls.push(`patch ${ref.kind}/${ref.name}${subresource ? `/${subresource}` : ''}`);
    return this.inner.mergePatch(ref, patch, subresource);
  }

  create(obj: KubernetesObject): Promise<KubernetesObject> {
    this.calls.push(`create ${obj.kind}/${obj.metadata?.name ?? obj.metadata?.generateName}`);
    return this.inner.create(obj);
  }

  delete(ref: ObjectRef): Promise<boolean> {
    this.calls.push(`delete ${ref.kind}/${ref.name}`);
    return this.inner.delete(ref);
  }
}

// Installs take tens of seconds; hooks and tests get the integration project's budget explicitly.
jest.setTimeout(180_000);

const IOP = 'install.istio.io/v1alpha1';
type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
let ns = '';
// A revision of its own: the sidecar census only counts pods of this revision, so pods other test
// files create meanwhile cannot change this installation's status.
const rev = `r${Math.random().toString(16).slice(2, 8)}`;
const istiod = () => `istiod-${rev}`;
const extraNamespaces: string[] = [];
let crdName = '';
const managers: OperatorManager[] = [];
let a: { manager: OperatorManager; client: CountingClient; registry: Registry };
let b: { manager: OperatorManager; client: CountingClient; registry: Registry };

function testCrd(group: string): KubernetesObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  } as KubernetesObject;
}

function startManager(identity: string) {
  const client = new CountingClient(new RawKubeClient(kc));
  const registry = createRegistry(false);
  // In the rig's work directory (kept with MESHWRIGHT_KEEP_CLUSTER_DIR=1), so runs leave no litter.
  const dir = clusterDir();
  const logFile = dir
    ? join(dir, 'logs', `operator-${ns}-${identity}.log`)
    : join(tmpdir(), `meshwright-operator-${ns}-${identity}.log`);
  const crd = testCrd(crdName.slice('widgets.'.length));
  const manager = new OperatorManager({
    kc,
    client,
    render: chartRender({ releasesDir: releasesWithCrds([crd]) }),
    managedKinds: MANAGED_KINDS,
    namespace: ns,
    leaderElect: true,
    leaderElectionNamespace: ns,
    identity,
    resyncPeriodMs: 600_000,
    registry,
    log: createLogger({ level: 'debug', stream: createWriteStream(logFile) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
  });
  managers.push(manager);
  return { manager, client, registry };
}

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'demo' });
const getIop = async () => (await admin.get(iopRef())) as Obj | undefined;
const statusOf = async () =>
  (await getIop())?.status as
    { status?: string; componentStatus?: Record<string, { status: string; error?: string }> } | undefined;

async function reconciles(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
  return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

async function ownedObjects(): Promise<KubernetesObject[]> {
  const lists = await Promise.all(
    MANAGED_KINDS.map((k) =>
      admin.list(k.apiVersion, k.kind, ownerSelector({ namespace: ns, name: 'demo' })),
    ),
  );
  return lists.flatMap((l) => l.items);
}

async function healthy(): Promise<boolean> {
  return (await statusOf())?.status === 'HEALTHY';
}

/** Mutating requests the apiserver audited for this test's objects since `since` (ISO time). */
function auditedWrites(since: string): string[] {
  const file = clusterDir() && join(clusterDir()!, 'logs', 'audit.log');
  if (!file || !existsSync(file)) return [];
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as {
      verb?: string;
      stage?: string;
      requestReceivedTimestamp?: string;
      objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
    };
    if (e.stage !== 'ResponseComplete' || !e.requestReceivedTimestamp || e.requestReceivedTimestamp < since)
      continue;
    if (!['create', 'update', 'patch', 'delete'].includes(e.verb ?? '')) continue;
    const r = e.objectRef ?? {};
    if (r.resource === 'leases' || r.resource === 'events') continue;
    if (r.namespace === ns || (r.name ?? '').includes(ns)) {
      out.push(`${e.verb} ${r.resource}/${r.name}${r.subresource ? `/${r.subresource}` : ''}`);
    }
  }
  return out;
}

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  ns = await createTestNamespace('mw-op');
  crdName = `widgets.${ns}.meshwright.test`;
  a = startManager('operator-a');
  await a.manager.start();
  await waitFor(
    async () => a.manager.isLeader() && a.manager.ready(),
    30_000,
    'operator a leading and synced',
  );
  b = startManager('operator-b');
  await b.manager.start();
});

afterAll(async () => {
  for (const m of managers) await m.stop().catch(() => undefined);
  const iop = await getIop().catch(() => undefined);
  if (iop) await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
  await admin.delete(iopRef()).catch(() => undefined);
  await admin
    .delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crdName })
    .catch(() => undefined);
  for (const o of await ownedObjects().catch(() => []))
    if (!o.metadata?.namespace)
      await admin
        .delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name! })
        .catch(() => undefined);
  if (ns) await deleteNamespace(ns);
  for (const n of extraNamespaces) await deleteNamespace(n);
});

describe('meshwright operator reconcile loop', () => {
  it('installs the demo profile to HEALTHY with every component Available on kwok nodes', async () => {
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'demo', namespace: ns },
      spec: { profile: 'demo', namespace: ns, revision: rev },
    } as KubernetesObject);
    await waitFor(healthy, 150_000, 'IstioOperator HEALTHY', 1000);
    const iop = (await getIop())!;
    expect(iop.metadata?.finalizers).toContain('install.meshwright.io/uninstall');
    const status = iop.status as {
      observedGeneration: number;
      componentStatus: Record<string, { status: string }>;
      conditions: { type: string; status: string }[];
    };
    expect(status.observedGeneration).toBe(iop.metadata?.generation);
    expect(status.componentStatus).toEqual({
      Base: { status: 'HEALTHY' },
      Pilot: { status: 'HEALTHY' },
      IngressGateways: { status: 'HEALTHY' },
      EgressGateways: { status: 'HEALTHY' },
    });
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Reconciled=True', 'Ready=True']);
    // The sidecar census ran: no pod of this revision exists yet.
    expect((iop.status as { meshwright?: unknown }).meshwright).toEqual({
      version: '1.30.3',
      sidecars: { injected: 0, outdated: 0, expectedImage: 'docker.io/istio/proxyv2:1.30.3' },
    });
    for (const name of [istiod(), 'istio-ingressgateway', 'istio-egressgateway']) {
      const d = await appsApi().readNamespacedDeployment({ name, namespace: ns });
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
      expect(
        d.metadata?.managedFields?.some((f) => f.manager === 'istio-operator' && f.operation === 'Apply'),
      ).toBe(true);
    }
    // The Base CRD went through the raw client intact (the typed serializer would drop this key).
    const crd = (await admin.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: crdName,
    })) as Obj;
    const versions = crd.spec?.versions as { schema: { openAPIV3Schema: Record<string, unknown> } }[];
    expect(versions[0].schema.openAPIV3Schema['x-kubernetes-preserve-unknown-fields']).toBe(true);
    const events = await coreApi().listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'involvedObject.name=demo',
    });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Applied', 'Healthy']));
    // The standby never acted: not a single call through its client.
    expect(b.manager.isLeader()).toBe(false);
    expect(b.client.calls).toEqual([]);
  });

  it('makes zero writes in steady state, also when an event triggers a reconcile', async () => {
    await new Promise((r) => setTimeout(r, 3000));
    const since = new Date().toISOString();
    a.client.reset();
    const before = await reconciles(a.registry);
    await admin.mergePatch(iopRef(), { metadata: { annotations: { 'meshwright.test/poke': since } } });
    await waitFor(async () => (await reconciles(a.registry)) > before, 30_000, 'a reconcile after the poke');
    await new Promise((r) => setTimeout(r, 3000));
    expect(a.client.writes()).toEqual([]);
    expect(a.client.calls.length).toBeGreaterThan(0);
    if (clusterDir()) {
      // The apiserver's own record: the test's poke is there (so the log is being read), nothing else.
      await waitFor(
        async () => auditedWrites(since).includes('patch istiooperators/demo'),
        10_000,
        'the poke in the audit log',
      );
      expect(auditedWrites(since)).toEqual(['patch istiooperators/demo']);
    }
  });

  it('reverts edits to installed objects', async () => {
    await admin.mergePatch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: `istio-${rev}` },
      { data: { mesh: 'tampered: true\n' } },
    );
    await admin.mergePatch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: istiod() },
      { spec: { replicas: 3 } },
    );
    await waitFor(
      async () => {
        const cm = (await admin.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: ns,
          name: `istio-${rev}`,
        })) as Obj & { data?: Record<string, string> };
        const d = await appsApi().readNamespacedDeployment({ name: istiod(), namespace: ns });
        return !cm.data?.mesh.includes('tampered') && d.spec?.replicas === 1;
      },
      60_000,
      'ConfigMap istio and Deployment istiod reverted',
    );
    await waitFor(healthy, 60_000, 'HEALTHY again');
  });

  it('recreates a deleted istiod Deployment', async () => {
    const old = await appsApi().readNamespacedDeployment({ name: istiod(), namespace: ns });
    await appsApi().deleteNamespacedDeployment({ name: istiod(), namespace: ns });
    await waitFor(
      async () => {
        const d = await appsApi().readNamespacedDeployment({ name: istiod(), namespace: ns });
        return (
          d.metadata?.uid !== old.metadata?.uid &&
          d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True')
        );
      },
      90_000,
      'a new, Available istiod Deployment',
    );
    await waitFor(healthy, 60_000, 'HEALTHY again');
  });

  it('reports an object the apiserver rejects as ERROR of its component only', async () => {
    const egress = [
      {
        name: 'istio-egressgateway',
        enabled: true,
        k8s: {
          overlays: [
            {
              kind: 'Service',
              name: 'istio-egressgateway',
              patches: [{ path: 'spec.ports.[0].port', value: 700000 }],
            },
          ],
        },
      },
    ];
    await admin.mergePatch(iopRef(), { spec: { components: { egressGateways: egress } } });
    const status = await waitFor(
      async () => {
        const s = await statusOf();
        return s?.componentStatus?.EgressGateways?.status === 'ERROR' ? s : undefined;
      },
      60_000,
      'EgressGateways ERROR',
    );
    expect(status.status).toBe('ERROR');
    expect(status.componentStatus?.EgressGateways.error).toMatch(/Service\/.*istio-egressgateway: .*700000/);
    expect(status.componentStatus?.Pilot).toEqual({ status: 'HEALTHY' });
    expect(status.componentStatus?.IngressGateways).toEqual({ status: 'HEALTHY' });
    const events = await coreApi().listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'involvedObject.name=demo',
    });
    expect(events.items.some((e) => e.type === 'Warning' && e.reason === 'ComponentError')).toBe(true);
  });

  it('prunes the egress gateway when it is disabled', async () => {
    await admin.mergePatch(iopRef(), {
      spec: { components: { egressGateways: [{ name: 'istio-egressgateway', enabled: false }] } },
    });
    await waitFor(
      async () => {
        const s = await statusOf();
        const left = (await ownedObjects()).filter(
          (o) => o.metadata?.labels?.['operator.istio.io/component'] === 'EgressGateways',
        );
        return s?.status === 'HEALTHY' && !s.componentStatus?.EgressGateways && left.length === 0;
      },
      90_000,
      'egress gateway pruned and HEALTHY',
    );
    await expect(
      appsApi().readNamespacedDeployment({ name: 'istio-egressgateway', namespace: ns }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('restarts workloads with an outdated sidecar when the rollout is enabled, one batch at a time', async () => {
    // The namespace selects this test's unique revision, which no other test's injection webhook
    // serves; its pods carry an istio-proxy container as if injected.
    const apps = await createTestNamespace('mw-op-apps', {
      'meshwright.test/rollout': ns,
      'istio.io/rev': rev,
    });
    extraNamespaces.push(apps);
    const deployment = (name: string, proxy: string): V1Deployment => ({
      metadata: { name, namespace: apps },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              { name: 'app', image: 'registry.invalid/app:1' },
              { name: 'istio-proxy', image: proxy },
            ],
          },
        },
      },
    });
    await appsApi().createNamespacedDeployment({
      namespace: apps,
      body: deployment('old-proxy', 'docker.io/istio/proxyv2:1.29.0'),
    });
    await appsApi().createNamespacedDeployment({
      namespace: apps,
      body: deployment('new-proxy', 'docker.io/istio/proxyv2:1.30.3'),
    });
    await waitFor(
      async () =>
        (await coreApi().listNamespacedPod({ namespace: apps })).items.filter(
          (p) => p.status?.phase === 'Running',
        ).length === 2,
      60_000,
      'both app pods running',
    );
    const rollout = {
      enabled: true,
      batchSize: 1,
      pauseSeconds: 0,
      namespaceSelector: { matchLabels: { 'meshwright.test/rollout': ns } },
    };
    await admin.mergePatch(iopRef(), { spec: { sidecarRollout: rollout } });
    const restartedAt = async (name: string) =>
      (await appsApi().readNamespacedDeployment({ name, namespace: apps })).spec?.template?.metadata
        ?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    const stamp = await waitFor(() => restartedAt('old-proxy'), 60_000, 'old-proxy restarted');
    const progress = await waitFor(
      async () => {
        const m = ((await getIop())?.status as { meshwright?: { sidecarRollout?: Record<string, unknown> } })
          .meshwright?.sidecarRollout;
        return m?.phase === 'Complete' ? m : undefined;
      },
      60_000,
      'rollout Complete',
    );
    expect(progress).toMatchObject({
      total: 1,
      pending: 0,
      restarted: [`${apps}/Deployment/old-proxy`],
      targetImage: 'docker.io/istio/proxyv2:1.30.3',
    });
    expect(await restartedAt('new-proxy')).toBeUndefined();
    // Without the injector its new pods still run the old image: restarted once, never again.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await restartedAt('old-proxy')).toBe(stamp);
    const events = await coreApi().listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'involvedObject.name=demo',
    });
    expect(events.items.some((e) => e.reason === 'SidecarRollout' && e.message?.includes('old-proxy'))).toBe(
      true,
    );
  });

  it('hands over to the standby when the leader stops, and only the new leader acts', async () => {
    await a.manager.stop();
    await waitFor(async () => b.manager.isLeader() && b.manager.ready(), 30_000, 'operator b leading');
    a.client.reset();
    await appsApi().deleteNamespacedDeployment({ name: 'istio-ingressgateway', namespace: ns });
    await waitFor(
      async () =>
        (await appsApi().readNamespacedDeployment({ name: 'istio-ingressgateway', namespace: ns })) && true,
      60_000,
      'ingress recreated by b',
    );
    expect(b.client.writes()).toContain('apply Deployment/istio-ingressgateway');
    expect(a.client.calls).toEqual([]);
    await waitFor(healthy, 60_000, 'HEALTHY under b');
  });

  it('also converges the default profile (autoscaled istiod and gateway) without steady-state writes', async () => {
    const target = await createTestNamespace('mw-op-default');
    extraNamespaces.push(target);
    const ref = { apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'default-profile' };
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'default-profile', namespace: ns },
      spec: { profile: 'default', namespace: target, revision: `${rev}d` },
    } as KubernetesObject);
    const healthyDefault = async () =>
      ((await admin.get(ref)) as Obj | undefined)?.status?.status === 'HEALTHY';
    await waitFor(healthyDefault, 120_000, 'default profile HEALTHY', 500);
    const hpas = await admin.list(
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      ownerSelector({ namespace: ns, name: 'default-profile' }),
    );
    expect(hpas.items.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3000));
    b.client.reset();
    await admin.mergePatch(ref, { metadata: { annotations: { 'meshwright.test/poke': 'x' } } });
    const before = await reconciles(b.registry);
    await waitFor(async () => (await reconciles(b.registry)) > before, 30_000, 'a reconcile after the poke');
    await new Promise((r) => setTimeout(r, 3000));
    expect(b.client.writes()).toEqual([]);
    await admin.delete(ref);
    await waitFor(
      async () => (await admin.get(ref)) === undefined,
      60_000,
      'default-profile IstioOperator finalized',
    );
  });

  it('waits for the CNI DaemonSet to be scheduled and available on every node', async () => {
    const target = await createTestNamespace('mw-op-cni');
    extraNamespaces.push(target);
    const ref = { apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'with-cni' };
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'with-cni', namespace: ns },
      spec: {
        profile: 'minimal',
        namespace: target,
        revision: `${rev}c`,
        components: { cni: { enabled: true } },
      },
    } as KubernetesObject);
    await waitFor(
      async () => ((await admin.get(ref)) as Obj | undefined)?.status?.status === 'HEALTHY',
      120_000,
      'CNI install HEALTHY',
      500,
    );
    const status = ((await admin.get(ref)) as Obj).status as {
      componentStatus: Record<string, { status: string }>;
    };
    expect(status.componentStatus.Cni).toEqual({ status: 'HEALTHY' });
    const nodes = (await coreApi().listNode()).items.length;
    const ds = await appsApi().readNamespacedDaemonSet({ name: 'istio-cni-node', namespace: target });
    expect(ds.status?.desiredNumberScheduled).toBe(nodes);
    expect(ds.status?.numberAvailable).toBe(nodes);
    await admin.delete(ref);
    await waitFor(
      async () => (await admin.get(ref)) === undefined,
      60_000,
      'with-cni IstioOperator finalized',
    );
    await expect(
      appsApi().readNamespacedDaemonSet({ name: 'istio-cni-node', namespace: target }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('removes every owned object, cluster-scoped ones and CRDs included, when the IstioOperator is deleted', async () => {
    expect((await ownedObjects()).some((o) => !o.metadata?.namespace)).toBe(true);
    await admin.delete(iopRef());
    await waitFor(
      async () => (await getIop()) === undefined,
      90_000,
      'IstioOperator gone after finalization',
    );
    expect(await ownedObjects()).toEqual([]);
    expect(
      await admin.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: crdName,
      }),
    ).toBeUndefined();
  });
});
