// Batched sidecar restarts after a tag change, with an opted-out namespace and an operator restart in the
// middle, on the local control plane: the real operator (in-process OperatorManager, the CLI's render through the 1.30.3 release's charts) and
// the real webhook (in-process, serving this run's revision by URL). Pods of four Deployments in three
// namespaces are injected with proxyv2:1.30.3; values.global.tag moves to 1.31.0-rc.0 with spec.sidecarRollout
// on (one workload per batch); the namespace labelled meshwright.io/sidecar-rollout=disabled keeps its old
// sidecar and is reported outdated and opted out; the others are restarted once each, batch by batch,
// with Events per batch, also across the operator restart; `meshwright status` prints the same counts.
//
// Like upgrade.test.ts, the IstioOperator owns the cluster-wide Istio CRDs while it exists and removes
// them on delete: do not run this file in parallel with the other files that install them.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CoreV1Event, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { CliIo } from '../../cli/install';
import { runStatus } from '../../cli/status';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../operator/controller/manager';
import { OPT_OUT_KEY } from '../../operator/controller/rollout/opt-out';
import { RESTARTED_AT, RESTARTED_FOR } from '../../operator/controller/rollout/sidecar-rollout';
import {
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
import {
  type LoopbackRevisionWebhook,
  startLoopbackRevisionWebhook,
  startNamespaceOperator,
} from './support/loopback-revision-webhook';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(180_000);

const IOP = 'install.istio.io/v1alpha1';
const OLD_IMAGE = 'docker.io/istio/proxyv2:1.30.3';
const NEW_IMAGE = 'docker.io/istio/proxyv2:1.31.0-rc.0';

interface Rollout {
  phase?: string;
  total?: number;
  pending?: number;
  restarted?: string[];
  batches?: number;
  optedOut?: string[];
  optedOutCount?: number;
}
interface IopStatus {
  status?: string;
  meshwright?: {
    version?: string;
    sidecars?: {
      injected?: number;
      outdated?: number;
      outdatedWorkloads?: string[];
      outdatedWorkloadCount?: number;
    };
    sidecarRollout?: Rollout;
  };
}

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const core = coreApi();
const apps = appsApi();
const rev = uniqueName('ro');
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
const mwcName = `meshwright-sidecar-injector-${rev}`;
let cpNs = '';
let nsA = '';
let nsB = '';
let frozen = '';
let operator: OperatorManager | undefined;
let webhook: LoopbackRevisionWebhook | undefined;

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: cpNs, name: 'rollout' });
const status = async () => ((await admin.get(iopRef())) as { status?: IopStatus } | undefined)?.status;

const startOperator = (run: string): Promise<OperatorManager> =>
  startNamespaceOperator({
    kubeConfig: kc,
    namespace: cpNs,
    identity: `rollout-test-${run}`,
    logFile: join(logDir, `operator-${rev}-${run}.log`),
  });

async function deployment(namespace: string, name: string, replicas: number): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace,
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

const WORKLOADS: [() => string, string, number][] = [
  [() => nsA, 'api', 1],
  [() => nsA, 'web', 2],
  [() => nsB, 'db', 1],
  [() => frozen, 'legacy', 1],
];

/** Live, not terminating pods of a Deployment. */
async function pods(namespace: string, app: string): Promise<V1Pod[]> {
  const { items } = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function replicaSets(namespace: string, app: string): Promise<number> {
  return (await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` })).items.length;
}

async function rolloutEvents(): Promise<CoreV1Event[]> {
  const { items } = await core.listNamespacedEvent({ namespace: cpNs });
  // Ordered by the batch number in the message (timestamps have second precision).
  const batch = (e: CoreV1Event) => Number(/batch (\d+)/.exec(e.message ?? '')?.[1] ?? 0);
  return items
    .filter((e) => e.involvedObject.name === 'rollout' && e.reason?.startsWith('SidecarRollout'))
    .sort((a, b) => batch(a) - batch(b));
}

/** What `kubectl get iop -o wide` prints: the apiserver's Table rendering of the printer columns. */
async function iopTable(): Promise<{ columns: string[]; rows: unknown[][] }> {
  const path = `/apis/${IOP}/namespaces/${cpNs}/istiooperators`;
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, kc.getCurrentCluster()?.server ?? ''),
      {
        ...opts,
        method: 'GET',
        timeout: 5000,
        // Keep the kubeconfig's headers (auth) and ask for the Table rendering.
        headers: { ...opts.headers, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
  const table = JSON.parse(body) as { columnDefinitions?: { name: string }[]; rows?: { cells: unknown[] }[] };
  if (!table.columnDefinitions || !table.rows) throw new Error(`not a Table: ${body.slice(0, 300)}`);
  return { columns: table.columnDefinitions.map((c) => c.name), rows: table.rows.map((r) => r.cells) };
}

async function statusCommand(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stdin: Readable.from([]) };
  const code = await runStatus(['--kubeconfig', kubeconfigPath(), ...argv], io);
  return { code, out, err };
}

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-rollout-test');
  cpNs = await createTestNamespace('mw-ro');
  nsA = await createTestNamespace('mw-ro-a', { 'istio.io/rev': rev });
  nsB = await createTestNamespace('mw-ro-b', { 'istio.io/rev': rev });
  frozen = await createTestNamespace('mw-ro-frozen', { 'istio.io/rev': rev, [OPT_OUT_KEY]: 'disabled' });
  webhook = await startLoopbackRevisionWebhook({
    kubeConfig: kc,
    istioNamespace: cpNs,
    revision: rev,
    configurationName: mwcName,
    logDir,
  });
  operator = await startOperator('a');
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  await webhook?.stop();
  if (cpNs && (await admin.get(iopRef()).catch(() => undefined))) {
    await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
    await admin.delete(iopRef()).catch(() => undefined);
  }
  for (const ns of [nsA, nsB, frozen, cpNs]) if (ns) await deleteNamespace(ns);
});

describe('batched sidecar restarts with an opted-out namespace', () => {
  it('installs the revision and injects proxyv2:1.30.3 into four Deployments in three namespaces', async () => {
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'rollout', namespace: cpNs },
      spec: { profile: 'minimal', namespace: cpNs, revision: rev },
    } as KubernetesObject);
    await waitFor(async () => (await status())?.status === 'HEALTHY', 90_000, 'IstioOperator HEALTHY', 500);
    expect((await status())?.meshwright?.version).toBe('1.30.3');
    // The registration takes effect after a moment: a dry-run pod tells when.
    await waitFor(
      async () =>
        proxyImageOf(
          await core.createNamespacedPod({
            namespace: nsA,
            body: {
              metadata: { generateName: 'probe-' },
              spec: { containers: [{ name: 'app', image: 'x' }] },
            },
            dryRun: 'All',
          }),
        ) === OLD_IMAGE,
      30_000,
      'the webhook in effect',
    );
    for (const [ns, name, replicas] of WORKLOADS) await deployment(ns(), name, replicas);
    for (const [ns, name, replicas] of WORKLOADS) {
      const running = await waitFor(
        async () => {
          const items = await pods(ns(), name);
          return items.length === replicas && items.every((p) => p.status?.phase === 'Running') && items;
        },
        60_000,
        `${name} running`,
      );
      expect(running.map(proxyImageOf)).toEqual(Array(replicas).fill(OLD_IMAGE));
    }
    await waitFor(
      async () => {
        const s = (await status())?.meshwright?.sidecars;
        if (s?.injected !== 5 || s.outdated !== 0) throw new Error(`sidecars: ${JSON.stringify(s)}`);
        return true;
      },
      60_000,
      'five injected, none outdated',
      500,
    );
  });

  it('restarts the others one batch at a time across an operator restart, never the opted-out one', async () => {
    await admin.mergePatch(iopRef(), {
      spec: {
        values: { global: { tag: '1.31.0-rc.0' } },
        sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 1, readyTimeoutSeconds: 120 },
      },
    });
    // Kill the operator once the first batch is under way; a new one resumes from status.
    const underWay = await waitFor(
      async () => {
        const r = (await status())?.meshwright?.sidecarRollout;
        return (r?.restarted?.length ?? 0) >= 1 && r;
      },
      90_000,
      'the first batch started',
      250,
    );
    // Stopped mid-rollout: batches are at least a 1 s pause apart, the poll 250 ms.
    expect(underWay.pending).toBeGreaterThan(0);
    await operator?.stop();
    operator = await startOperator('b');

    const done = await waitFor(
      async () => {
        const s = await status();
        const r = s?.meshwright?.sidecarRollout;
        return r?.phase === 'Complete' && s?.meshwright?.sidecars?.outdated === 1 && s;
      },
      120_000,
      'rollout Complete with only the opted-out pod outdated',
      500,
    );
    expect(done.meshwright?.version).toBe('1.31.0-rc.0');
    expect(done.meshwright?.sidecars).toMatchObject({
      injected: 5,
      outdated: 1,
      outdatedWorkloads: [`${frozen}/Deployment/legacy`],
      outdatedWorkloadCount: 1,
    });
    expect(done.meshwright?.sidecarRollout).toMatchObject({
      total: 3,
      pending: 0,
      batches: 3,
      restarted: [`${nsA}/Deployment/api`, `${nsA}/Deployment/web`, `${nsB}/Deployment/db`],
      optedOut: [`${frozen}/Deployment/legacy`],
      optedOutCount: 1,
    });

    // Each restarted Deployment was restarted exactly once (its first ReplicaSet plus one), and runs the new
    // sidecar; the opted-out one was never touched and still runs the old one.
    for (const [ns, name, replicas] of WORKLOADS.slice(0, 3)) {
      const d = await apps.readNamespacedDeployment({ namespace: ns(), name });
      expect({
        name,
        restarted: d.spec?.template?.metadata?.annotations?.[RESTARTED_AT] !== undefined,
      }).toEqual({
        name,
        restarted: true,
      });
      expect(d.metadata?.annotations?.[RESTARTED_FOR]).toMatch(/^[0-9a-f]{16}$/);
      expect({ name, replicaSets: await replicaSets(ns(), name) }).toEqual({ name, replicaSets: 2 });
      const running = await waitFor(
        async () => {
          const items = await pods(ns(), name);
          return items.length === replicas && items;
        },
        60_000,
        `${name}'s old pods gone`,
      );
      expect(running.map(proxyImageOf)).toEqual(Array(replicas).fill(NEW_IMAGE));
    }
    const legacy = await apps.readNamespacedDeployment({ namespace: frozen, name: 'legacy' });
    expect(legacy.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
    expect(await replicaSets(frozen, 'legacy')).toBe(1);
    expect((await pods(frozen, 'legacy')).map(proxyImageOf)).toEqual([OLD_IMAGE]);
  });

  it('records an Event per batch started and completed, and one when complete', async () => {
    const events = await rolloutEvents();
    const messages = events.map((e) => `${e.reason}: ${e.message}`);
    const started = messages.filter((m) => m.startsWith('SidecarRollout: batch '));
    expect(started).toEqual([
      expect.stringMatching(
        new RegExp(`^SidecarRollout: batch 1 started: restarting ${nsA}/Deployment/api `),
      ),
      expect.stringMatching(
        new RegExp(`^SidecarRollout: batch 2 started: restarting ${nsA}/Deployment/web `),
      ),
      expect.stringMatching(new RegExp(`^SidecarRollout: batch 3 started: restarting ${nsB}/Deployment/db `)),
    ]);
    expect(started[0]).toContain(`to pick up ${NEW_IMAGE} (1 of 3 restarted, 1 opted out)`);
    expect(messages.filter((m) => m.startsWith('SidecarRolloutBatchCompleted: '))).toEqual([
      `SidecarRolloutBatchCompleted: batch 1 completed: ${nsA}/Deployment/api (1 of 3 restarted)`,
      `SidecarRolloutBatchCompleted: batch 2 completed: ${nsA}/Deployment/web (2 of 3 restarted)`,
      `SidecarRolloutBatchCompleted: batch 3 completed: ${nsB}/Deployment/db (3 of 3 restarted)`,
    ]);
    expect(messages.filter((m) => m.startsWith('SidecarRolloutComplete: '))).toHaveLength(1);
    expect(messages.some((m) => m.includes('Halted'))).toBe(false);
  });

  it('`kubectl get iop` shows revision, version, status, outdated sidecars and (wide) the rollout phase', async () => {
    const { columns, rows } = await iopTable();
    expect(columns).toEqual(['Name', 'Revision', 'Version', 'Status', 'Outdated', 'Rollout', 'Age']);
    expect(rows).toHaveLength(1);
    expect(rows[0].slice(0, 6)).toEqual(['rollout', rev, '1.31.0-rc.0', 'HEALTHY', 1, 'Complete']);
  });

  it('`meshwright status` prints the revision with its version and counts, and the opted-out workload', async () => {
    const table = await statusCommand(['-n', cpNs]);
    expect(table).toMatchObject({ code: 0, err: '' });
    const lines = table.out.split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'NAME',
      'REVISION',
      'VERSION',
      'STATUS',
      'INJECTED',
      'OUTDATED',
      'ROLLOUT',
    ]);
    expect(lines[1].split(/\s{2,}/)).toEqual([
      cpNs,
      'rollout',
      rev,
      '1.31.0-rc.0',
      'HEALTHY',
      '5',
      '1',
      'Complete 3/3, 1 opted out',
    ]);
    expect(table.out).toContain(
      `Revision ${rev} (${cpNs}/rollout, Istio 1.31.0-rc.0):\n  1 workload(s) with outdated sidecars:\n    ${frozen}/Deployment/legacy   (opted out)\n`,
    );
    const json = await statusCommand(['-n', cpNs, '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual({
      revisions: [
        expect.objectContaining({
          namespace: cpNs,
          name: 'rollout',
          revision: rev,
          version: '1.31.0-rc.0',
          status: 'HEALTHY',
          injected: 5,
          outdated: 1,
          outdatedWorkloadCount: 1,
          rollout: expect.objectContaining({ phase: 'Complete', restarted: 3, total: 3, optedOutCount: 1 }),
        }),
      ],
    });
  });

  it('uninstalls when the IstioOperator is deleted', async () => {
    await admin.delete(iopRef());
    await waitFor(
      async () => (await admin.get(iopRef())) === undefined,
      90_000,
      'IstioOperator finalized',
      500,
    );
  });
});
