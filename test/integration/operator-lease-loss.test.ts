// Losing the Lease cancels an in-flight reconcile against the real apiserver: the operator's first apply
// of an install is held in flight, another identity takes the Lease, and once the operator has stepped
// down (renew deadline) the held apply is let go. It completes (it was already sent), and nothing after
// it is written: without the cancellation the reconcile would go on applying the rest of the install.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { ownerSelector } from '../../operator/controller/apply/ownership';
import type {
  KubeClient,
  ListPagesOptions,
  ObjectList,
  ObjectRef,
  PageVisitor,
  ResourceInfo,
} from '../../operator/controller/kube/kube-client';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { LEASE_NAME, OperatorManager } from '../../operator/controller/manager';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { chartRender, releasesWithCrds } from './support/chart-render';
import { clusterDir, createTestNamespace, deleteNamespace, kubeConfig, waitFor } from './support/cluster';
import { installIstioOperatorCrd } from './support/iop-crd';

jest.setTimeout(180_000);

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const IOP = 'install.istio.io/v1alpha1';
let ns = '';
let manager: OperatorManager | undefined;

/** Records writes; while armed, holds the first apply (after it was requested) until released. */
class HoldingClient implements KubeClient {
  readonly writes: string[] = [];
  private hold: Promise<void> | undefined;
  private letGo: () => void = () => undefined;
  held = false;

  constructor(private readonly inner: KubeClient) {}

  arm(): void {
    this.hold = new Promise((resolve) => (this.letGo = resolve));
  }
  release(): void {
    this.letGo();
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.inner.resource(apiVersion, kind);
  }
  get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    return this.inner.get(ref);
  }
  list(apiVersion: string, kind: string, labelSelector?: string, namespace?: string): Promise<ObjectList> {
    return this.inner.list(apiVersion, kind, labelSelector, namespace);
  }
  listPages(apiVersion: string, kind: string, visit: PageVisitor, opts?: ListPagesOptions): Promise<void> {
    return this.inner.listPages(apiVersion, kind, visit, opts);
  }
  async apply(obj: KubernetesObject, fieldManager: string, force: boolean): Promise<KubernetesObject> {
    this.writes.push(`apply ${obj.kind}/${obj.metadata?.name}`);
    const hold = this.hold;
    if (hold) {
      this.hold = undefined;
      this.held = true;
      await hold;
    }
    return this.inner.apply(obj, fieldManager, force);
  }
  mergePatch(ref: ObjectRef, patch: object, subresource?: 'status'): Promise<KubernetesObject> {
    this.writes.push(`patch ${ref.kind}/${ref.name}${subresource ? '/status' : ''}`);
    return this.inner.mergePatch(ref, patch, subresource);
  }
  create(obj: KubernetesObject): Promise<KubernetesObject> {
    if (obj.kind !== 'Event') this.writes.push(`create ${obj.kind}/${obj.metadata?.name}`);
    return this.inner.create(obj);
  }
  delete(ref: ObjectRef): Promise<boolean> {
    this.writes.push(`delete ${ref.kind}/${ref.name}`);
    return this.inner.delete(ref);
  }
}

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'lease-loss' });

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  ns = await createTestNamespace('mw-lease-loss');
});

afterAll(async () => {
  await manager?.stop().catch(() => undefined);
  await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
  await admin.delete(iopRef()).catch(() => undefined);
  for (const k of MANAGED_KINDS.filter((x) => !x.namespaced)) {
    const owned = await admin
      .list(k.apiVersion, k.kind, ownerSelector({ namespace: ns, name: 'lease-loss' }))
      .catch(() => ({ items: [] }));
    for (const o of owned.items)
      await admin
        .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
        .catch(() => undefined);
  }
  if (ns) await deleteNamespace(ns);
});

it('a lost lease stops an in-flight install within one API call; the key is left to the next leader', async () => {
  const client = new HoldingClient(new RawKubeClient(kc));
  const dir = clusterDir();
  const logFile = join(dir ? join(dir, 'logs') : tmpdir(), `operator-${ns}-lease-loss.log`);
  let lost = 0;
  manager = new OperatorManager({
    kc,
    client,
    render: chartRender({ releasesDir: releasesWithCrds([]) }),
    managedKinds: MANAGED_KINDS,
    namespace: ns,
    leaderElect: true,
    leaderElectionNamespace: ns,
    identity: 'operator-a',
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({ level: 'debug', stream: createWriteStream(logFile) }),
    onLostLeadership: () => lost++,
    pollMs: 1000,
  });
  await manager.start();
  await waitFor(async () => manager!.isLeader() && manager!.ready(), 30_000, 'operator leading and synced');

  client.arm();
  await admin.create({
    apiVersion: IOP,
    kind: 'IstioOperator',
    metadata: { name: 'lease-loss', namespace: ns },
    spec: { profile: 'demo', namespace: ns, revision: `r${Math.random().toString(16).slice(2, 8)}` },
  } as KubernetesObject);
  await waitFor(async () => client.held, 60_000, 'the first apply of the install in flight');

  // Another identity takes the Lease; the operator cannot renew and steps down at its renew deadline.
  const micro = new Date().toISOString().replace('Z', '000Z');
  await admin.mergePatch(
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: LEASE_NAME },
    { spec: { holderIdentity: 'thief', renewTime: micro, acquireTime: micro, leaseDurationSeconds: 3600 } },
  );
  await waitFor(async () => lost > 0, 30_000, 'the operator stepping down');
  expect(manager.isLeader()).toBe(false);

  const before = client.writes.length;
  client.release();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  // The held apply was already sent and completes; the install goes no further.
  expect(client.writes.slice(before)).toEqual([]);
  const owned = await admin.list(
    'apps/v1',
    'Deployment',
    ownerSelector({ namespace: ns, name: 'lease-loss' }),
  );
  expect(owned.items).toEqual([]);
});
