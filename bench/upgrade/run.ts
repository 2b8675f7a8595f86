// Suite `upgrade` (issue 14): a canary 1.30.3 -> 1.31.0-rc.0 on a throwaway control plane, driven as a
// user drives it. `meshwright operator` (dist/, running as its deployed ServiceAccount and RBAC) renders
// IstioOperators 1-30 and 1-31 through the reference releases' charts and installs their injection
// webhooks pointing at a `meshwright webhook` process (TLS, self-signed CA kept in the caBundle), so every
// pod is injected by the apiserver calling it; pods run on kwok nodes. Per scenario: workloads in
// namespaces labelled istio.io/rev=prod are injected by 1-30, the IstioRevisionTag `prod` is moved to
// 1-31, and 1-31's sidecar rollout restarts them in batches. Measured: tag update -> last pod Ready with
// 1-31's sidecar (a pod watch), batches (distinct restart stamps), pods restarted more than once, and the
// operator's apiserver requests per minute at steady state (the audit log, by its ServiceAccount).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { errorMessage } from '../../lib/errors';
import { RESTARTED_AT } from '../../operator/controller/rollout/sidecar-rollout';
import { freePorts } from '../../hack/cluster/ports';
import { httpGet } from '../../hack/cluster/readiness';
import { type Child, startChild, waitFor } from '../common/children';
import { type BenchCluster, ensureNamespace, startBenchCluster } from '../common/cluster';
import type { KubeRest } from '../common/kube';
import { load1 } from '../common/machine';
import { table, type Section, type SuiteOptions } from '../common/results';
import { round, sleep } from '../common/stats';
import { benchReleases } from '../operator/releases';
import { startBenchOperator } from '../operator/start';
import {
  auditSize,
  auditTextSince,
  countRequests,
  isCensusRequest,
  type RequestCount,
} from './audit-requests';
import { OPERATOR_NAMESPACE, OPERATOR_USERNAME, operatorKubeconfig } from './operator-identity';
import { PodTracker } from './pod-tracker';
import { watchPods } from './pod-watch';
import { bookinfoWorkloads, SCENARIO_LABEL, syntheticWorkloads, type Workloads } from './workloads';

const IOP_PATH = '/apis/install.istio.io/v1alpha1/namespaces/istio-system/istiooperators';
const TAG_PATH = '/apis/meshwright.io/v1alpha1/istiorevisiontags/prod';
const OLD = { iop: '1-30', revision: '1-30', version: '1.30.3', image: 'docker.io/istio/proxyv2:1.30.3' };
const NEW = {
  iop: '1-31',
  revision: '1-31',
  version: '1.31.0-rc.0',
  image: 'docker.io/istio/proxyv2:1.31.0-rc.0',
};

/** spec.sidecarRollout of 1-31 in a scenario (readyTimeoutSeconds stays at its default, 600). */
export interface RolloutSettings {
  batchSize: number;
  pauseSeconds: number;
  maxUnavailable?: number | string;
}

/** The documented defaults (docs/upgrade.md, rollout-config.ts). */
const DEFAULT_ROLLOUT: RolloutSettings = { batchSize: 5, pauseSeconds: 30 };

interface Scenario {
  name: string;
  title: string;
  rollout: RolloutSettings;
  workloads: (root: string) => Workloads;
  /** Measure the operator's steady-state requests before the move and after the rollout. */
  steady: boolean;
  /** Set when the scenario is smaller than the issue asks (quick mode). */
  scaledDown?: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  rollout: RolloutSettings;
  workloads: number;
  pods: number;
  scaledDown?: string;
  /** Pods created and Ready on 1-30 (from the first create). */
  injectSeconds: number;
  /** Tag update -> its status Ready on 1-31. */
  tagReadySeconds: number;
  /** Tag update -> first pod of the scenario created (the first batch's first replacement). */
  firstNewPodSeconds?: number;
  /** Tag update -> every pod Ready with 1-31's sidecar and no 1-30 pod left. */
  lastPodReadySeconds: number;
  /** Distinct restart stamps over the Deployments (one per batch), and 1-31's status count. */
  batchesObserved: number;
  statusBatches?: number;
  /** Deployments without a restart stamp at the end (restarted by nobody: must be 0). */
  notRestarted: number;
  podsCreatedAfterMove: number;
  /** Pods created beyond one replacement per replica, and Deployments with more than two ReplicaSets. */
  podsRestartedTwice: number;
  /** The operator's requests from the tag update to the last pod Ready (the census polls during a rollout). */
  rolloutRequests: { perMinute: number; censusPerMinute: number; podLists: number };
  workloadsRestartedTwice: string[];
  load1: [number, number];
}

export interface SteadyCost {
  label: string;
  pods: number;
  windowSeconds: number;
  requests: number;
  perMinute: number;
  censusRequests: number;
  censusPerMinute: number;
  byRequest: RequestCount[];
  load1: number;
}

export interface UpgradeResults {
  installSeconds: Record<string, number>;
  scenarios: ScenarioResult[];
  steady: SteadyCost[];
  load1: number[];
  failure?: string;
}

interface Say {
  say(line: string): void;
}

function scenarios(quick: boolean): Scenario[] {
  const deployments = Number(process.env.BENCH_UPGRADE_DEPLOYMENTS ?? (quick ? 20 : 100));
  const replicas = Number(process.env.BENCH_UPGRADE_REPLICAS ?? 10);
  const pods = deployments * replicas;
  const scaledDown =
    pods < 1000 ? 'quick mode: scaled down from the 1,000 pods in 100 Deployments the issue asks' : undefined;
  // A larger batch than the default 5: a quarter of the Deployments (25 of 100), 10 in quick mode.
  const big = Number(process.env.BENCH_UPGRADE_BIG_BATCH ?? (quick ? 10 : 25));
  const synthetic = (name: string) => (_root: string) =>
    syntheticWorkloads(`up-${name}`, name, deployments, replicas);
  const all: Scenario[] = [
    {
      name: 'bookinfo',
      title: 'Bookinfo (6 Deployments, 1 replica each)',
      rollout: DEFAULT_ROLLOUT,
      workloads: (root) => bookinfoWorkloads(root, 'up-bookinfo', 'bookinfo'),
      steady: false,
    },
    {
      name: 'pods-default',
      title: `${pods} pods in ${deployments} Deployments`,
      rollout: DEFAULT_ROLLOUT,
      workloads: synthetic('pods-default'),
      steady: true,
      ...(scaledDown ? { scaledDown } : {}),
    },
    {
      name: 'pods-big-batch',
      title: `${pods} pods in ${deployments} Deployments`,
      rollout: { batchSize: big, pauseSeconds: DEFAULT_ROLLOUT.pauseSeconds },
      workloads: synthetic('pods-big-batch'),
      steady: false,
      ...(scaledDown ? { scaledDown } : {}),
    },
  ];
  const only = process.env.BENCH_UPGRADE_SCENARIOS?.split(',').filter(Boolean);
  if (!only) return all;
  const bad = only.find((n) => !all.some((s) => s.name === n));
  if (bad)
    throw new Error(
      `BENCH_UPGRADE_SCENARIOS: unknown scenario ${bad}; have ${all.map((s) => s.name).join(', ')}`,
    );
  return all.filter((s) => only.includes(s.name));
}

const iop = (v: typeof OLD, rollout?: RolloutSettings) => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: v.iop, namespace: 'istio-system' },
  spec: {
    profile: 'minimal',
    revision: v.revision,
    tag: v.version,
    ...(rollout ? { sidecarRollout: { enabled: true, ...rollout } } : {}),
  },
});

interface IopStatus {
  status?: {
    status?: string;
    meshwright?: {
      sidecarRollout?: { phase?: string; batches?: number; pending?: number; restarted?: string[] };
    };
  };
}

async function applyCrds(kube: KubeRest, root: string): Promise<void> {
  for (const file of ['istiooperator.yaml', 'istiorevisiontag.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(root, 'crds', file), 'utf8'))) {
      const crd = doc.toJS({ maxAliasCount: -1 }) as { metadata?: { name?: string } } | null;
      if (!crd?.metadata?.name) continue;
      const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
      await kube.apply(path, crd);
      await waitFor(
        `CRD ${crd.metadata.name} Established`,
        async () =>
          (
            (await kube.json<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', path))
              .status?.conditions ?? []
          ).some((c) => c.type === 'Established' && c.status === 'True'),
        60_000,
      );
    }
  }
}

const healthy = (kube: KubeRest, name: string, children: Child[], timeoutMs = 300_000) =>
  waitForAll(
    `IstioOperator ${name} HEALTHY`,
    async () => (await kube.json<IopStatus>('GET', `${IOP_PATH}/${name}`)).status?.status === 'HEALTHY',
    timeoutMs,
    children,
  );

/** waitFor that fails as soon as any of the children died. */
async function waitForAll(what: string, check: () => Promise<boolean>, timeoutMs: number, children: Child[]) {
  await waitFor(
    what,
    async () => {
      const died = children.map((c) => c.exited()).find(Boolean);
      if (died) throw new Error(died);
      return check();
    },
    timeoutMs,
    children[0],
  );
}

async function moveTag(kube: KubeRest, revision: string, children: Child[]): Promise<void> {
  await kube.apply(TAG_PATH, {
    apiVersion: 'meshwright.io/v1alpha1',
    kind: 'IstioRevisionTag',
    metadata: { name: 'prod' },
    spec: { revision },
  });
  await waitForAll(
    `tag prod Ready on ${revision}`,
    async () => {
      const s = (await kube.json<{ status?: { state?: string; revision?: string } }>('GET', TAG_PATH)).status;
      return s?.state === 'Ready' && s.revision === revision;
    },
    60_000,
    children,
  );
}

/** The proxy image a pod created now in `ns` gets (a dry run through the admission chain). */
async function dryRunImage(kube: KubeRest, ns: string): Promise<string | undefined> {
  const pod = await kube.json<{
    spec?: {
      containers?: { name: string; image?: string }[];
      initContainers?: { name: string; image?: string }[];
    };
  }>('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'probe-' },
    spec: { containers: [{ name: 'app', image: 'x' }] },
  });
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  )?.image;
}

async function inParallel<T>(items: readonly T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < items.length; i = next++) await f(items[i]!);
    }),
  );
}

/** The operator's requests in a window of `seconds`, after `settleMs`. */
export async function steadyCost(
  cluster: BenchCluster,
  label: string,
  pods: number,
  seconds: number,
  o: Say,
): Promise<SteadyCost> {
  const offset = auditSize(cluster.auditLog);
  o.say(`  steady window (${label}): ${seconds} s`);
  await sleep(seconds * 1000);
  const byRequest = countRequests(auditTextSince(cluster.auditLog, offset), OPERATOR_USERNAME);
  const requests = byRequest.reduce((n, c) => n + c.count, 0);
  const censusRequests = byRequest.filter(isCensusRequest).reduce((n, c) => n + c.count, 0);
  const cost: SteadyCost = {
    label,
    pods,
    windowSeconds: seconds,
    requests,
    perMinute: (requests * 60) / seconds,
    censusRequests,
    censusPerMinute: (censusRequests * 60) / seconds,
    byRequest,
    load1: load1(),
  };
  o.say(
    `  operator requests: ${round(cost.perMinute)}/min (census ${round(cost.censusPerMinute)}/min): ${byRequest.map((c) => `${c.verb} ${c.resource} ${c.count}`).join('; ')}`,
  );
  return cost;
}

async function runScenario(
  sc: Scenario,
  env: {
    root: string;
    quick: boolean;
    cluster: BenchCluster;
    children: Child[];
    steadySeconds: number;
  } & Say,
  steady: SteadyCost[],
): Promise<ScenarioResult> {
  const { cluster, children } = env;
  const kube = cluster.kube;
  const w = sc.workloads(env.root);
  const pods = [...w.replicas.values()].reduce((a, b) => a + b, 0);
  const l0 = load1();
  env.say(
    `  -- ${sc.name}: ${sc.title}, batchSize ${sc.rollout.batchSize}, pause ${sc.rollout.pauseSeconds} s (load ${l0})`,
  );
  await moveTag(kube, OLD.revision, children);
  await kube.apply(`${IOP_PATH}/${NEW.iop}`, iop(NEW, sc.rollout));
  await healthy(kube, NEW.iop, children);
  for (const ns of w.namespaces) await ensureNamespace(kube, ns, { 'istio.io/rev': 'prod' });
  for (const sa of w.serviceAccounts)
    await kube.apply(`/api/v1/namespaces/${sa.namespace}/serviceaccounts/${sa.name}`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa.name, namespace: sa.namespace },
    });
  await waitForAll(
    `pods in ${w.namespaces[0]} injected by ${OLD.revision}`,
    async () => (await dryRunImage(kube, w.namespaces[0]!)) === OLD.image,
    60_000,
    children,
  );

  const tracker = new PodTracker(w.replicas);
  let target: typeof OLD | undefined;
  let convergedAt: number | undefined;
  let firstNewAt: number | undefined;
  const watch = await watchPods(
    { server: cluster.cp.state.server, token: cluster.cp.token, caPem: cluster.cp.caPem },
    `${SCENARIO_LABEL}=${sc.name}`,
    tracker,
    () => {
      if (!target) return;
      if (firstNewAt === undefined && tracker.createdSinceMark() > 0) firstNewAt = Date.now();
      if (convergedAt === undefined && tracker.converged(target.revision, target.image))
        convergedAt = Date.now();
    },
    (m) => env.say(`  pod watch restarted: ${m}`),
  );
  try {
    const until = async (what: string, timeoutMs: number) => {
      let lastSay = Date.now();
      await waitForAll(
        what,
        async () => {
          if (Date.now() - lastSay > 30_000) {
            lastSay = Date.now();
            const r = (await kube.json<IopStatus>('GET', `${IOP_PATH}/${NEW.iop}`)).status?.meshwright
              ?.sidecarRollout;
            env.say(
              `    ${tracker.summary()}; 1-31 rollout ${r?.phase ?? '-'} batch ${r?.batches ?? 0}, pending ${r?.pending ?? '?'}`,
            );
          }
          return convergedAt !== undefined;
        },
        timeoutMs,
        children,
      ).catch((err: unknown) => {
        throw new Error(`${errorMessage(err)}; pods: ${tracker.summary()}`);
      });
    };

    // 1. The workloads, injected by 1-30.
    target = OLD;
    const tCreate = Date.now();
    await inParallel(w.deployments, 8, async (d) => {
      await kube.json('POST', `/apis/apps/v1/namespaces/${d.metadata!.namespace}/deployments`, d);
    });
    await until(`${pods} pods Ready on ${OLD.revision}`, 600_000);
    const injectSeconds = (convergedAt! - tCreate) / 1000;
    env.say(`  ${pods} pods Ready with ${OLD.revision}'s sidecar after ${round(injectSeconds)} s`);
    if (sc.steady) {
      await sleep(env.quick ? 5_000 : 15_000); // the pods' last status updates, 1-31's first census
      steady.push(
        await steadyCost(
          cluster,
          `${pods} pods on 1-30, 1-31 installed with its rollout on`,
          pods,
          env.steadySeconds,
          env,
        ),
      );
    }

    // 2. Move the tag; wait for the last pod on 1-31.
    tracker.mark();
    convergedAt = undefined;
    firstNewAt = undefined;
    target = NEW;
    const t0 = Date.now();
    const auditAtMove = auditSize(cluster.auditLog);
    await moveTag(kube, NEW.revision, children);
    const tagReadySeconds = (Date.now() - t0) / 1000;
    // Per batch: the pause, plus the batch's own rolling update; the default readyTimeout is 600 s.
    const batches = Math.ceil(w.deployments.length / sc.rollout.batchSize);
    await until(
      `every pod Ready on ${NEW.revision}`,
      batches * (sc.rollout.pauseSeconds + 120) * 1000 + 120_000,
    );
    const lastPodReadySeconds = (convergedAt! - t0) / 1000;
    const during = countRequests(auditTextSince(cluster.auditLog, auditAtMove), OPERATOR_USERNAME);
    const minutes = (Date.now() - t0) / 60_000;
    const sum = (cs: RequestCount[]) => cs.reduce((n, c) => n + c.count, 0);
    const rolloutRequests = {
      perMinute: sum(during) / minutes,
      censusPerMinute: sum(during.filter(isCensusRequest)) / minutes,
      podLists: sum(during.filter((c) => c.verb === 'list' && c.resource === 'pods')),
    };
    const firstNewPodSeconds = firstNewAt !== undefined ? (firstNewAt - t0) / 1000 : undefined;
    env.say(
      `  tag moved -> last pod Ready on ${NEW.revision} after ${round(lastPodReadySeconds)} s (load ${load1()})`,
    );

    // 3. The rollout's own view, then what the cluster says about restarts.
    let status: IopStatus['status'];
    await waitForAll(
      `1-31 rollout Complete`,
      async () => {
        status = (await kube.json<IopStatus>('GET', `${IOP_PATH}/${NEW.iop}`)).status;
        return status?.meshwright?.sidecarRollout?.phase === 'Complete';
      },
      120_000,
      children,
    );
    await sleep(env.quick ? 3_000 : 10_000); // a second restart would show up here
    const stamps = new Set<string>();
    let notRestarted = 0;
    const replicaSets = new Map<string, number>();
    for (const ns of w.namespaces) {
      const ds = await kube.json<{
        items: {
          metadata: { name: string };
          spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
        }[];
      }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
      for (const d of ds.items) {
        const s = d.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
        if (s) stamps.add(s);
        else notRestarted++;
      }
      const rs = await kube.json<{ items: { metadata: { ownerReferences?: { name: string }[] } }[] }>(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/replicasets`,
      );
      for (const r of rs.items) {
        const owner = `${ns}.${r.metadata.ownerReferences?.[0]?.name ?? '?'}`;
        replicaSets.set(owner, (replicaSets.get(owner) ?? 0) + 1);
      }
    }
    const extra = tracker.extraRestarts();
    const twice = new Set([...extra.workloads, ...[...replicaSets].filter(([, n]) => n > 2).map(([k]) => k)]);
    const result: ScenarioResult = {
      name: sc.name,
      title: sc.title,
      rollout: sc.rollout,
      workloads: w.deployments.length,
      pods,
      ...(sc.scaledDown ? { scaledDown: sc.scaledDown } : {}),
      injectSeconds,
      tagReadySeconds,
      ...(firstNewPodSeconds !== undefined ? { firstNewPodSeconds } : {}),
      lastPodReadySeconds,
      batchesObserved: stamps.size,
      ...(status?.meshwright?.sidecarRollout?.batches !== undefined
        ? { statusBatches: status.meshwright.sidecarRollout.batches }
        : {}),
      notRestarted,
      podsCreatedAfterMove: tracker.createdSinceMark(),
      podsRestartedTwice: extra.pods,
      rolloutRequests,
      workloadsRestartedTwice: [...twice].sort(),
      load1: [l0, load1()],
    };
    env.say(
      `  batches ${result.batchesObserved} (status ${result.statusBatches ?? '?'}), pods created after the move ${result.podsCreatedAfterMove}, restarted twice ${result.podsRestartedTwice}, workloads not restarted ${notRestarted}; operator requests during the rollout ${round(rolloutRequests.perMinute)}/min (census ${round(rolloutRequests.censusPerMinute)}/min, ${rolloutRequests.podLists} pod lists)`,
    );
    if (sc.steady) {
      await sleep(env.quick ? 5_000 : 15_000);
      steady.push(
        await steadyCost(cluster, `${pods} pods on 1-31 after the rollout`, pods, env.steadySeconds, env),
      );
    }
    return result;
  } finally {
    watch.stop();
    for (const ns of w.namespaces) await kube.delete(`/api/v1/namespaces/${ns}`);
    await waitFor(
      `namespaces of ${sc.name} deleted`,
      async () => {
        for (const ns of w.namespaces)
          if ((await kube.send('GET', `/api/v1/namespaces/${ns}`)).status !== 404) return false;
        return true;
      },
      600_000,
    ).catch((err: unknown) => env.say(`  ${errorMessage(err)}`));
  }
}

export async function runUpgradeBench(
  o: SuiteOptions,
): Promise<{ section: Section; results: UpgradeResults }> {
  const steadySeconds = Number(process.env.BENCH_UPGRADE_STEADY_SECONDS ?? (o.quick ? 60 : 180));
  const plan = scenarios(o.quick);
  const r: UpgradeResults = { installSeconds: {}, scenarios: [], steady: [], load1: [load1()] };
  const releases = benchReleases(o.root);
  const cluster = await startBenchCluster(o.root, o.say);
  const kube = cluster.kube;
  const children: Child[] = [];
  try {
    await applyCrds(kube, o.root);
    await ensureNamespace(kube, 'istio-system');
    await ensureNamespace(kube, OPERATOR_NAMESPACE);
    const opKubeconfig = join(cluster.dir, 'operator.kubeconfig');
    await operatorKubeconfig(kube, o.root, cluster.cp.state.server, cluster.cp.caPem, opKubeconfig);

    const [port, whMetrics, whHealth] = await freePorts(3);
    const webhook = startChild(
      'webhook',
      [
        join(o.root, 'bin', 'meshwright.js'),
        'webhook',
        `--kubeconfig=${cluster.cp.kubeconfigPath}`,
        '--self-signed', // keeps the CA in the operator-made webhooks' caBundle, as deployed without cert-manager
        '--self-signed-san=127.0.0.1',
        `--webhook-namespace=${OPERATOR_NAMESPACE}`,
        '--istio-namespace=istio-system',
        '--host=127.0.0.1',
        `--port=${port}`,
        `--metrics-port=${whMetrics}`,
        `--health-port=${whHealth}`,
        '--shutdown-delay=0',
      ],
      join(o.logDir, 'upgrade-webhook.log'),
    );
    children.push(webhook);
    await waitFor(
      'webhook /healthz',
      async () => (await httpGet({ url: `http://127.0.0.1:${whHealth}/healthz` })).status === 200,
      60_000,
      webhook,
    );
    const operator = (
      await startBenchOperator({
        root: o.root,
        releases,
        kubeconfig: opKubeconfig,
        leaseNamespace: OPERATOR_NAMESPACE,
        logFile: join(o.logDir, 'upgrade-operator.log'),
        args: [`--injection-url=https://127.0.0.1:${port}`],
      })
    ).child;
    children.unshift(operator);

    let t0 = Date.now();
    await kube.apply(`${IOP_PATH}/${OLD.iop}`, iop(OLD));
    await healthy(kube, OLD.iop, children, 600_000);
    r.installSeconds[`${OLD.iop} (${OLD.version})`] = (Date.now() - t0) / 1000;
    t0 = Date.now();
    await kube.apply(`${IOP_PATH}/${NEW.iop}`, iop(NEW, plan[0]?.rollout));
    await healthy(kube, NEW.iop, children, 600_000);
    r.installSeconds[`${NEW.iop} (${NEW.version})`] = (Date.now() - t0) / 1000;
    o.say(
      `  installed: ${Object.entries(r.installSeconds)
        .map(([k, v]) => `${k} HEALTHY after ${round(v)} s`)
        .join(', ')}`,
    );
    for (const sc of plan)
      r.scenarios.push(await runScenario(sc, { ...o, cluster, children, steadySeconds }, r.steady));
  } catch (err) {
    r.failure = errorMessage(err);
    o.say(`  upgrade suite stopped: ${r.failure}`);
  } finally {
    r.load1.push(load1());
    for (const c of children) await c.stop();
    await cluster.stop();
  }
  return { section: { name: 'Upgrade', data: r, markdown: markdown(r) }, results: r };
}

export function rolloutText(s: RolloutSettings): string {
  return `batchSize ${s.batchSize}, pauseSeconds ${s.pauseSeconds}${s.maxUnavailable !== undefined ? `, maxUnavailable ${s.maxUnavailable}` : ''}`;
}

function markdown(r: UpgradeResults): string {
  const scenarioRows = r.scenarios.map((s) => [
    `${s.title}${s.scaledDown ? ` (**${s.scaledDown}**)` : ''}`,
    rolloutText(s.rollout),
    `${round(s.lastPodReadySeconds)} s`,
    `${round(s.tagReadySeconds)} s / ${s.firstNewPodSeconds !== undefined ? `${round(s.firstNewPodSeconds)} s` : '-'}`,
    `${s.batchesObserved} (status ${s.statusBatches ?? '?'})`,
    `${s.podsCreatedAfterMove} for ${s.pods}`,
    `${s.podsRestartedTwice}${s.workloadsRestartedTwice.length ? ` (${s.workloadsRestartedTwice.join(', ')})` : ''}${s.notRestarted ? `; ${s.notRestarted} never restarted` : ''}`,
    `${round(s.rolloutRequests.perMinute)} (census ${round(s.rolloutRequests.censusPerMinute)}; ${s.rolloutRequests.podLists} pod lists)`,
    s.load1.join(' -> '),
  ]);
  const steadyRows = r.steady.map((c) => [
    c.label,
    `${c.windowSeconds} s`,
    `${round(c.perMinute)}`,
    `${round(c.censusPerMinute)}`,
    c.byRequest.map((x) => `${x.verb} ${x.resource} ${x.count}`).join(', '),
    c.load1,
  ]);
  return [
    `Canary ${OLD.version} -> ${NEW.version}: \`meshwright operator\` from dist/ (ServiceAccount ${OPERATOR_USERNAME}, ` +
      `config/rbac) rendering the reference charts, IstioOperators ${OLD.iop} and ${NEW.iop} (minimal profile), ` +
      `injection by a \`meshwright webhook\` process over TLS, pods on kwok nodes, the IstioRevisionTag \`prod\` ` +
      `moved from ${OLD.revision} to ${NEW.revision}; ${NEW.iop}'s spec.sidecarRollout as stated (readyTimeoutSeconds 600). ` +
      `Load average ${r.load1.join(' -> ')}.`,
    '',
    `Install: ${Object.entries(r.installSeconds)
      .map(([k, v]) => `${k} HEALTHY after ${round(v)} s`)
      .join('; ')}.`,
    '',
    table(
      [
        'workloads',
        'rollout settings',
        'tag update -> last pod Ready on 1-31',
        'tag Ready / first new pod',
        'batches',
        'pods created after the move',
        'pods restarted twice',
        'operator requests/min during the rollout',
        'load 1 min',
      ],
      scenarioRows,
    ),
    '',
    "Operator requests to the apiserver at steady state, counted from the apiserver audit log by the operator's " +
      'ServiceAccount (every verb; a watch counted when it starts). `apiserver_request_total` has no client label, ' +
      'so it cannot tell the operator apart. "census" = pod lists, namespace gets and workload lists.',
    '',
    table(['state', 'window', 'requests/min', 'census requests/min', 'requests', 'load 1 min'], steadyRows),
    ...(r.failure ? ['', `**Stopped early:** ${r.failure}`] : []),
  ].join('\n');
}
