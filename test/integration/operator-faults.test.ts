// Faults around the built `meshwright operator` (real child processes of bin/meshwright.js, as deployed):
// - SIGKILL of the leader in the middle of installing the demo profile: a second process takes the Lease
//   over once it expires and converges to HEALTHY with exactly the rendered objects, one of each, one
//   ReplicaSet per Deployment, nothing left over;
// - another field manager (`intruder`) force-applies istiod's replicas and an env var: restored, and the
//   operator's field manager owns them again;
// - a rendering the apiserver rejects (a nodeSelector label key the CRD schema lets through, Deployment
//   validation refuses): ERROR on that component with the apiserver's message, the others HEALTHY;
// - five spec changes within a second end in the last one;
// - kube-apiserver restarted under a running operator: watches recover without restarting the process (an
//   object deleted after the restart is recreated by a watch event, long before any resync). The shared
//   cluster cannot lose its apiserver under other suites, so this case runs on a control plane of its own
//   (startPrivateControlPlane, about 5 s).
// Needs `npm run build` (hack/test.sh builds before the integration tests).
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePorts } from '../../hack/cluster/ports';
import { ownerSelector } from '../../operator/controller/apply/ownership';
import { apiMessage } from '../../operator/controller/kube/api-errors';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import {
  startCli,
  startPrivateControlPlane,
  stopCli,
  type CliProcess,
  type PrivateControlPlane,
} from './support/audit';
import { chartRender, operatorReleaseEnv, releasesWithCrds } from './support/chart-render';
import { createTestNamespace, deleteNamespace, kubeConfig, kubeconfigPath, waitFor } from './support/cluster';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const IOP = 'install.istio.io/v1alpha1';
type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
interface Status {
  status?: string;
  observedGeneration?: number;
  componentStatus?: Record<string, { status: string; error?: string }>;
}
interface Container {
  name: string;
  env?: { name: string; value?: string }[];
}
interface DeploymentLike extends KubernetesObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: Container[] } } };
}

const admin = new RawKubeClient(kubeConfig());
// The 1.30.3 release with a Base chart that installs no CRDs, so the shared Istio CRDs stay untouched.
const noCrds = releasesWithCrds([]);
const render = chartRender({ releasesDir: noCrds });
const procs: CliProcess[] = [];
let ns = '';
const rev = `f${Math.random().toString(16).slice(2, 8)}`;
const istiod = () => `istiod-${rev}`;
const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: ns, name: 'demo' });
const statusOf = async (c: RawKubeClient = admin, ref = iopRef()) =>
  ((await c.get(ref)) as Obj | undefined)?.status as Status | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withoutCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCel);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'x-kubernetes-validations')
      .map(([k, v]) => [k, withoutCel(v)]),
  );
}

/** The IstioOperator CRD (shared and idempotent; operator.test.ts explains the CEL fallback). */
async function installIopCrd(client: RawKubeClient): Promise<void> {
  const crd = parse(readFileSync(join(ROOT, 'crds', 'istiooperator.yaml'), 'utf8')) as KubernetesObject;
  try {
    await client.apply(crd, 'meshwright-operator-test', true);
  } catch (err) {
    process.stderr.write(
      `[operator-faults] CRD rejected, without CEL rules: ${apiMessage(err).slice(0, 200)}\n`,
    );
    await client.apply(withoutCel(crd) as KubernetesObject, 'meshwright-operator-test', true);
  }
  await waitFor(
    async () => {
      const live = (await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: crd.metadata!.name!,
      })) as Obj | undefined;
      const conditions = (live?.status?.conditions ?? []) as { type: string; status: string }[];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True');
    },
    30_000,
    'IstioOperator CRD established',
  );
}

async function startOperator(name: string, kubeconfig: string, extra: string[] = []): Promise<CliProcess> {
  const [metrics, health] = await freePorts(2);
  const p = startCli(
    name,
    [
      'operator',
      `--kubeconfig=${kubeconfig}`,
      `--metrics-port=${metrics}`,
      `--health-port=${health}`,
      ...extra,
    ],
    { ...operatorReleaseEnv(noCrds), POD_NAME: name, LOG_LEVEL: 'info' },
  );
  procs.push(p);
  return p;
}

const appliedCount = (p: CliProcess) => p.records('applied object').length;

async function waitHealthy(what: string, timeoutMs = 150_000): Promise<Status> {
  return waitFor(
    async () => {
      const iop = (await admin.get(iopRef())) as Obj | undefined;
      const s = iop?.status as Status | undefined;
      if (s?.status === 'HEALTHY' && s.observedGeneration === iop?.metadata?.generation) return s;
      throw new Error(`status ${JSON.stringify(s)}`);
    },
    timeoutMs,
    what,
    500,
  );
}

const objectKey = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** What the operator renders for the current spec (the CLI's own chart render over the same release). */
async function renderedKeys(): Promise<string[]> {
  const iop = (await admin.get(iopRef())) as KubernetesObject;
  const outcome = await render(iop);
  if (!outcome.ok) throw new Error(`render failed: ${outcome.message}`);
  return outcome.desired.components.flatMap((c) => c.objects.map(objectKey)).sort();
}

async function ownedKeys(): Promise<string[]> {
  const lists = await Promise.all(
    MANAGED_KINDS.map((k) =>
      admin.list(k.apiVersion, k.kind, ownerSelector({ namespace: ns, name: 'demo' })),
    ),
  );
  return lists.flatMap((l, i) => l.items.map((o) => objectKey({ ...o, kind: MANAGED_KINDS[i].kind }))).sort();
}

async function istiodDeployment(): Promise<DeploymentLike> {
  return (await admin.get({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: ns,
    name: istiod(),
  })) as DeploymentLike;
}

const discoveryEnv = (d: DeploymentLike, name: string) =>
  d.spec?.template?.spec?.containers?.find((c) => c.name === 'discovery')?.env?.find((e) => e.name === name)
    ?.value;

beforeAll(async () => {
  await installIopCrd(admin);
  ns = await createTestNamespace('mw-op-faults');
});

afterAll(async () => {
  await admin.delete(iopRef()).catch(() => undefined);
  await waitFor(
    async () => (await admin.get(iopRef())) === undefined,
    60_000,
    'IstioOperator finalized',
  ).catch(() => admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined));
  for (const p of procs) await stopCli(p);
  for (const k of MANAGED_KINDS.filter((x) => !x.namespaced))
    for (const o of (await admin.list(k.apiVersion, k.kind, ownerSelector({ namespace: ns, name: 'demo' })))
      .items)
      await admin
        .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
        .catch(() => undefined);
  if (ns) await deleteNamespace(ns);
  rmSync(noCrds, { recursive: true, force: true });
});

describe('meshwright operator under faults (built CLI processes, shared cluster)', () => {
  let survivor: CliProcess;

  it('SIGKILL mid-install: the second process takes over and converges with exactly the rendered objects', async () => {
    const flags = [`--namespace-to-watch=${ns}`, `--leader-election-namespace=${ns}`];
    const a = await startOperator('faults-a', kubeconfigPath(), flags);
    const b = await startOperator('faults-b', kubeconfigPath(), flags);
    const lease = () =>
      admin.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: ns,
        name: 'meshwright-operator-leader',
      });
    const holder = async () =>
      ((await lease()) as Obj | undefined)?.spec?.holderIdentity as string | undefined;
    const first = await waitFor(holder, 30_000, 'a Lease holder');
    const [leader, standby] = first.startsWith('faults-a_') ? [a, b] : [b, a];

    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'demo', namespace: ns },
      spec: { profile: 'demo', namespace: ns, revision: rev },
    } as KubernetesObject);
    // Mid-install: some objects written, the installation not HEALTHY yet.
    await waitFor(async () => appliedCount(leader) >= 5, 60_000, 'the leader writing objects', 20);
    const killedAt = await statusOf();
    expect(killedAt?.status).not.toBe('HEALTHY');
    expect(await stopCli(leader, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const appliedBeforeKill = appliedCount(leader);

    // Not released: the standby waits for the lease duration (15 s) by its own clock, then acts.
    await waitFor(
      async () => (await holder())?.startsWith(`${standby.name}_`),
      45_000,
      'the standby holding the Lease',
      500,
    );
    await waitHealthy('HEALTHY under the second process');
    expect(appliedCount(standby)).toBeGreaterThan(0);
    expect(standby.child.exitCode).toBeNull();

    // Exactly the rendered objects, one of each, nothing stale.
    const owned = await ownedKeys();
    expect(new Set(owned).size).toBe(owned.length);
    expect(owned).toEqual(await renderedKeys());
    // No duplicated rollout: one ReplicaSet per Deployment, as many pods as replicas.
    const deployments = (await admin.list('apps/v1', 'Deployment', undefined, ns)).items as DeploymentLike[];
    expect(deployments.length).toBeGreaterThanOrEqual(3);
    const replicaSets = (await admin.list('apps/v1', 'ReplicaSet', undefined, ns)).items;
    for (const d of deployments) {
      const mine = replicaSets.filter((rs) =>
        rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid),
      );
      expect({ deployment: d.metadata?.name, replicaSets: mine.length }).toEqual({
        deployment: d.metadata?.name,
        replicaSets: 1,
      });
    }
    process.stdout.write(
      `[operator-faults] killed after ${appliedBeforeKill} applies (status ${killedAt?.status ?? 'none'}), ` +
        `second process applied ${appliedCount(standby)}; ${owned.length} owned objects\n`,
    );
    survivor = standby;
  });

  it('restores fields another field manager force-applied (replicas, an env var)', async () => {
    const before = await istiodDeployment();
    const env = before.spec?.template?.spec?.containers
      ?.find((c) => c.name === 'discovery')
      ?.env?.find((e) => e.value !== undefined);
    expect(env).toBeDefined();
    const wantReplicas = before.spec?.replicas;
    const intruded = (await admin.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: istiod(), namespace: ns },
        spec: {
          replicas: 4,
          template: {
            spec: { containers: [{ name: 'discovery', env: [{ name: env!.name, value: 'intruded' }] }] },
          },
        },
      } as KubernetesObject,
      'intruder',
      true,
    )) as DeploymentLike;
    // The intrusion landed (the apply's response), so what follows is a repair, not a no-op.
    expect(intruded.spec?.replicas).toBe(4);
    expect(discoveryEnv(intruded, env!.name)).toBe('intruded');
    const after = await waitFor(
      async () => {
        const d = await istiodDeployment();
        return d.spec?.replicas === wantReplicas && discoveryEnv(d, env!.name) === env!.value && d;
      },
      60_000,
      'replicas and env restored',
    );
    const owners = (after.metadata?.managedFields ?? []).map((f) => ({
      manager: f.manager,
      replicas: JSON.stringify(f.fieldsV1 ?? {}).includes('"f:replicas"'),
    }));
    expect(owners).toContainEqual({ manager: 'istio-operator', replicas: true });
    expect(owners.filter((o) => o.manager === 'intruder' && o.replicas)).toEqual([]);
    await waitHealthy('HEALTHY after the intrusion');
  });

  it('reports a rendering the apiserver rejects as ERROR of that component, with its message, others HEALTHY', async () => {
    await admin.mergePatch(iopRef(), {
      spec: {
        components: {
          egressGateways: [
            { name: 'istio-egressgateway', enabled: true, k8s: { nodeSelector: { 'bad key!': 'x' } } },
          ],
        },
      },
    });
    const s = await waitFor(
      async () => {
        const st = await statusOf();
        return st?.componentStatus?.EgressGateways?.status === 'ERROR' && st;
      },
      60_000,
      'EgressGateways ERROR',
    );
    expect(s.status).toBe('ERROR');
    expect(s.componentStatus?.EgressGateways.error).toMatch(
      /Deployment\/.*istio-egressgateway: .*nodeSelector.*Invalid value: "bad key!"/,
    );
    expect(s.componentStatus?.Base).toEqual({ status: 'HEALTHY' });
    expect(s.componentStatus?.Pilot).toEqual({ status: 'HEALTHY' });
    expect(s.componentStatus?.IngressGateways).toEqual({ status: 'HEALTHY' });
    await admin.mergePatch(iopRef(), {
      spec: { components: { egressGateways: [{ name: 'istio-egressgateway', enabled: true }] } },
    });
    const healed = await waitHealthy('HEALTHY once the nodeSelector is fixed', 90_000);
    expect(healed.componentStatus?.EgressGateways).toEqual({ status: 'HEALTHY' });
  });

  it('ends in the last of five spec changes made within a second', async () => {
    const t0 = Date.now();
    for (let i = 1; i <= 5; i++)
      await admin.mergePatch(iopRef(), {
        spec: {
          components: { pilot: { k8s: { env: [{ name: 'MESHWRIGHT_FAULT_STEP', value: `v${i}` }] } } },
        },
      });
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitHealthy('HEALTHY after the burst');
    const settled = discoveryEnv(await istiodDeployment(), 'MESHWRIGHT_FAULT_STEP');
    expect(settled).toBe('v5');
    await sleep(3000);
    expect(discoveryEnv(await istiodDeployment(), 'MESHWRIGHT_FAULT_STEP')).toBe('v5');
    expect(survivor.child.exitCode).toBeNull();
  });
});

describe('meshwright operator across a kube-apiserver restart (a control plane of its own)', () => {
  let cp: PrivateControlPlane | undefined;

  afterAll(async () => {
    await cp?.stop();
  });

  it('recovers its watches without a restart: an object deleted after the restart is recreated', async () => {
    cp = await startPrivateControlPlane('op-apiserver-restart');
    const client = new RawKubeClient(cp.kubeConfig());
    await installIopCrd(client);
    await client.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'faults' },
    } as KubernetesObject);
    const ref = { apiVersion: IOP, kind: 'IstioOperator', namespace: 'faults', name: 'minimal' };
    // --leader-elect=false: this case is about watches; with a Lease, an outage longer than the renew
    // deadline (10 s) ends the process by design (it restarts as a candidate).
    const op = await startOperator('faults-restart', cp.kubeconfigPath, [
      '--leader-elect=false',
      '--resync-period=10m',
    ]);
    await client.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'minimal', namespace: 'faults' },
      spec: { profile: 'minimal', namespace: 'faults', revision: 'restart' },
    } as KubernetesObject);
    const healthy = async () => (await statusOf(client, ref))?.status === 'HEALTHY';
    await waitFor(healthy, 120_000, 'minimal HEALTHY on the private control plane', 500);

    const failedBefore = op.records('watch failed, restarting').length;
    const { downMs } = await cp.restartApiserver();
    process.stdout.write(`[operator-faults] kube-apiserver restarted, unavailable for ${downMs} ms\n`);
    // The outage was seen by the watches (so the repair below proves they were re-established).
    const failures = await waitFor(
      async () => op.records('watch failed, restarting').length - failedBefore || undefined,
      30_000,
      'the operator noticing its watches failed',
    );
    process.stdout.write(`[operator-faults] ${failures} watch failures logged and restarted\n`);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'faults', name: 'istiod-restart' };
    const old = (await client.get(dep))!;
    const deletedAt = Date.now();
    await client.delete(dep);
    await waitFor(
      async () => {
        const d = await client.get(dep);
        return d !== undefined && d.metadata?.uid !== old.metadata?.uid;
      },
      60_000,
      'istiod recreated after the apiserver restart',
      250,
    );
    const took = Date.now() - deletedAt;
    process.stdout.write(`[operator-faults] istiod recreated ${took} ms after its deletion\n`);
    expect(took).toBeLessThan(30_000);
    await waitFor(healthy, 60_000, 'HEALTHY again', 500);
    expect(op.child.exitCode).toBeNull();
    expect(op.child.signalCode).toBeNull();
    expect((await stopCli(op)).code).toBe(0);
  });
});
