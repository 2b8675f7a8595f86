// Suite 4: `meshwright operator` as a child process on a throwaway control plane. Time from applying the
// default (then, after uninstalling it, the demo) IstioOperator to HEALTHY; time to repair a deleted
// istiod Deployment; mutating API calls in a steady-state window (from the audit log, by user agent);
// resident memory with several revisioned IstioOperators and thousands of pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { injectPod } from '../../inject';
import { httpGet } from '../../hack/cluster/readiness';
import { type Child, waitFor } from '../common/children';
import { ensureNamespace, startBenchCluster, waitRunning } from '../common/cluster';
import { BENCH_USER_AGENT, type KubeRest } from '../common/kube';
import { load1 } from '../common/machine';
import { sampleProc } from '../common/proc';
import { counter, histogram, parseProm, type Series } from '../common/prom';
import { table, type Section, type SuiteOptions } from '../common/results';
import { round, sleep } from '../common/stats';
import { CENSUS } from './census-figures';
import { auditOffset, type WriteCount, writesSince } from './audit';
import { errorMessage } from '../../lib/errors';
import { benchReleases, benchRender, type BenchReleases } from './releases';
import { measureRenderTimes, type RenderTiming } from './render-time';
import { startBenchOperator } from './start';

const IOP_PATH = '/apis/install.istio.io/v1alpha1/namespaces/istio-system/istiooperators';
const HEALTHY_TIMEOUT_MS = 600_000;

export interface OperatorResults {
  /** One IstioOperator through its release's charts: cold (helm runs) and cached. */
  render?: RenderTiming[];
  healthySeconds: Record<string, number>;
  uninstallSeconds?: number;
  repairSeconds?: number;
  steady?: {
    windowSeconds: number;
    operatorWrites: number;
    operatorWritesExcludingLease: number;
    byAgent: WriteCount[];
  };
  memory?: {
    iops: number;
    pods: number;
    rssMiB: number;
    rssAfterStartMiB: number;
    /** With the IstioOperators installed, before the filler pods. */
    rssBeforePodsMiB: number;
    heapUsedMiB?: number;
  };
  census?: {
    /** Injected pods of the default revision in the cluster. */
    pods: number;
    /** Re-injections until every pod was judged at least once, and census time (listing included) / count. */
    reinjected: number;
    msPerReinjectedPod: number;
    /** The first census that re-injected no pod: its duration, and pods re-injected (0) and cached. */
    laterCensusMs: number;
    laterReinjected: number;
    laterCached: number;
    /** Censuses after every pod was judged once, until one re-injected none. */
    censusesUntilSettled: number;
    /** Longest event-loop stall of the operator from the pods' creation to the end of the phase. */
    eventLoopLagMaxMs: number;
  };
  load1: number[];
  failure?: string;
}

interface Iop {
  metadata?: { name?: string; uid?: string; deletionTimestamp?: string };
  status?: { status?: string; componentStatus?: Record<string, { status?: string; error?: string }> };
}

export function sample(root: string, profile: string): Record<string, unknown> {
  const doc = parse(
    readFileSync(join(root, 'config', 'samples', `install_v1alpha1_istiooperator_${profile}.yaml`), 'utf8'),
  );
  return doc as Record<string, unknown>;
}

/** Meshwright's CRDs as deployed (IstioOperator and IstioRevisionTag, which the operator watches). */
export async function applyCrds(kube: KubeRest, root: string): Promise<void> {
  const files = ['istiooperator.yaml', 'istiorevisiontag.yaml'];
  const text = files.map((f) => readFileSync(join(root, 'crds', f), 'utf8')).join('\n---\n');
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS({ maxAliasCount: -1 }) as { metadata?: { name?: string } } | null;
    if (!crd?.metadata?.name) continue;
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
    await kube.apply(path, crd);
    await waitFor(
      `CRD ${crd.metadata.name} Established`,
      async () => {
        const live = await kube.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
          'GET',
          path,
        );
        return (live.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      },
      60_000,
    );
  }
}

function progress(iop: Iop | undefined): string {
  const s = iop?.status;
  const parts = Object.entries(s?.componentStatus ?? {}).map(
    ([n, c]) => `${n}=${c.status ?? '?'}${c.error ? ` (${c.error})` : ''}`,
  );
  return `${s?.status ?? 'no status'} ${parts.join(', ')}`;
}

/** Seconds from now until the IstioOperator reports HEALTHY. */
export async function untilHealthy(
  kube: KubeRest,
  name: string,
  operator: Child,
  t0 = Date.now(),
): Promise<number> {
  let last: Iop | undefined;
  try {
    await waitFor(
      `IstioOperator ${name} HEALTHY`,
      async () => {
        last = await kube.json<Iop>('GET', `${IOP_PATH}/${name}`);
        return last.status?.status === 'HEALTHY';
      },
      HEALTHY_TIMEOUT_MS,
      operator,
    );
  } catch (err) {
    throw new Error(`${errorMessage(err)}; last status: ${progress(last)}`);
  }
  return (Date.now() - t0) / 1000;
}

async function deploymentUid(
  kube: KubeRest,
  ns: string,
  name: string,
): Promise<{ uid: string; available: boolean } | undefined> {
  const r = await kube.send('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  if (r.status !== 200) return undefined;
  const d = JSON.parse(r.body) as {
    metadata?: { uid?: string };
    status?: { conditions?: { type: string; status: string }[] };
  };
  const available = (d.status?.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
  return { uid: d.metadata?.uid ?? '', available };
}

/** `pod` under the names pod-0 .. pod-<n-1>, 16 creates in flight. */
export async function createPods(kube: KubeRest, ns: string, n: number, pod: V1Pod): Promise<void> {
  let next = 0;
  const creator = async () => {
    for (let i = next++; i < n; i = next++)
      await kube.json('POST', `/api/v1/namespaces/${ns}/pods`, {
        ...pod,
        metadata: { ...pod.metadata, name: `pod-${i}`, namespace: ns },
      });
  };
  await Promise.all(Array.from({ length: 16 }, creator));
}

/**
 * A Deployment's pod as the default revision's webhook would have admitted it with `iop`'s settings
 * (the census judges such pods by re-injecting them); this suite runs no webhook, so the bench injects.
 */
export async function injectedPod(
  releases: BenchReleases,
  iop: Record<string, unknown>,
  ns: string,
): Promise<V1Pod> {
  const r = await benchRender(releases)(iop as KubernetesObject);
  const injection = r.ok ? r.desired.sidecar?.injection : undefined;
  if (!injection) throw new Error(`no injection config rendered${r.ok ? '' : `: ${r.message}`}`);
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, labels: { app: 'filler' } },
    spec: {
      containers: [{ name: 'app', image: 'registry.example/app:1', ports: [{ containerPort: 8080 }] }],
    },
  };
  const out = injectPod({ pod, namespace: ns, admission: true }, injection);
  if (out.kind !== 'injected') throw new Error(`filler pod not injected: ${out.kind}`);
  return out.pod;
}

export async function scrape(port: number): Promise<Series[]> {
  return parseProm((await httpGet({ url: `http://127.0.0.1:${port}/metrics` })).body);
}

function censusPods(series: Series[], source: 'reinjected' | 'cached'): number {
  return counter(series, `${CENSUS}_pods_total`, (l) => l.revision === 'default' && l.source === source);
}

function censusSeconds(series: Series[]): { sum: number; count: number } {
  return histogram(series, `${CENSUS}_duration_seconds`, (l) => l.revision === 'default');
}

export async function runOperatorBench(
  o: SuiteOptions,
): Promise<{ section: Section; results: OperatorResults }> {
  const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? (o.quick ? 20 : 600));
  // Revisioned ones; with the default/demo one still installed, 10 IstioOperators in the full run.
  const iopCount = Number(process.env.BENCH_IOPS ?? (o.quick ? 2 : 9));
  const fillerPods = Number(process.env.BENCH_OPERATOR_PODS ?? (o.quick ? 200 : 5000));
  const censusIntervalS = o.quick ? 10 : 60;
  const r: OperatorResults = { healthySeconds: {}, load1: [load1()] };
  const releases = benchReleases(o.root);
  // Before the cluster starts, so helm does not compete with the control plane.
  r.render = await measureRenderTimes(releases);
  for (const t of r.render)
    o.say(
      `  render ${t.profile} ${t.version}: ${t.objects} objects, cold ${t.coldMs} ms, cached ${t.cachedMs} ms`,
    );
  const cluster = await startBenchCluster(o.root, o.say);
  const kube = cluster.kube;
  let operator: Child | undefined;
  try {
    await applyCrds(kube, o.root);
    await ensureNamespace(kube, 'istio-system');
    await ensureNamespace(kube, 'meshwright-system');
    const started = await startBenchOperator({
      root: o.root,
      releases,
      kubeconfig: cluster.cp.kubeconfigPath,
      leaseNamespace: 'meshwright-system',
      logFile: join(o.logDir, 'operator.log'),
      // The deployed default in the full run; shorter in the quick one, so its census figures come in time.
      args: [`--sidecar-census-interval=${censusIntervalS}s`],
    });
    operator = started.child;
    const { metricsPort } = started;
    const op = operator;
    const rssAfterStart = sampleProc(op.pid).rssBytes;

    // 1. default profile to HEALTHY.
    let t0 = Date.now();
    await kube.apply(`${IOP_PATH}/default`, sample(o.root, 'default'));
    r.healthySeconds.default = await untilHealthy(kube, 'default', op, t0);
    o.say(`  default IstioOperator HEALTHY after ${round(r.healthySeconds.default)} s (load ${load1()})`);

    // 2. repair: delete istiod, time until a new one is Available.
    const old = await deploymentUid(kube, 'istio-system', 'istiod');
    if (!old) throw new Error('no istio-system/istiod Deployment after HEALTHY');
    t0 = Date.now();
    await kube.delete('/apis/apps/v1/namespaces/istio-system/deployments/istiod');
    await waitFor(
      'istiod recreated and Available',
      async () => {
        const now = await deploymentUid(kube, 'istio-system', 'istiod');
        return now !== undefined && now.uid !== old.uid && now.available;
      },
      300_000,
      op,
    );
    r.repairSeconds = (Date.now() - t0) / 1000;
    await untilHealthy(kube, 'default', op);
    o.say(`  deleted istiod repaired (recreated, Available) after ${round(r.repairSeconds)} s`);

    // 3. steady state: settle, then count writes in the window.
    await sleep(o.quick ? 3_000 : 10_000);
    const offset = auditOffset(cluster.auditLog);
    o.say(`  steady-state window: ${steadySeconds} s`);
    await sleep(steadySeconds * 1000);
    const byAgent = writesSince(cluster.auditLog, offset).filter((w) => w.userAgent !== BENCH_USER_AGENT);
    // The operator is the only Node.js client; the rig's components identify as kube-*/kwok.
    const isOperator = (w: WriteCount) => !/^(kube-|kwok)/.test(w.userAgent);
    const ops = byAgent.filter(isOperator);
    r.steady = {
      windowSeconds: steadySeconds,
      operatorWrites: ops.reduce((n, w) => n + w.count, 0),
      operatorWritesExcludingLease: ops
        .filter((w) => w.resource !== 'leases')
        .reduce((n, w) => n + w.count, 0),
      byAgent,
    };
    o.say(
      `  writes in the window by the operator: ${r.steady.operatorWrites} (${r.steady.operatorWritesExcludingLease} besides its Lease); all: ${byAgent.map((w) => `${w.userAgent} ${w.verb} ${w.resource} ${w.count}`).join('; ')}`,
    );

    // 4. uninstall default, install demo.
    if (!o.quick) {
      t0 = Date.now();
      await kube.delete(`${IOP_PATH}/default`);
      await waitFor(
        'default IstioOperator uninstalled',
        async () => (await kube.send('GET', `${IOP_PATH}/default`)).status === 404,
        300_000,
        op,
      );
      r.uninstallSeconds = (Date.now() - t0) / 1000;
      t0 = Date.now();
      await kube.apply(`${IOP_PATH}/demo`, sample(o.root, 'demo'));
      r.healthySeconds.demo = await untilHealthy(kube, 'demo', op, t0);
      o.say(
        `  uninstall of default ${round(r.uninstallSeconds)} s; demo HEALTHY after ${round(r.healthySeconds.demo)} s`,
      );
    }

    // 5. memory: revisioned minimal IstioOperators, then filler pods.
    t0 = Date.now();
    for (let i = 0; i < iopCount; i++) {
      const name = `rev-${i}`;
      await kube.apply(`${IOP_PATH}/${name}`, {
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name, namespace: 'istio-system' },
        spec: { profile: 'minimal', revision: `r${i}` },
      });
    }
    for (let i = 0; i < iopCount; i++) await untilHealthy(kube, `rev-${i}`, op);
    r.healthySeconds[`${iopCount} revisions (minimal)`] = (Date.now() - t0) / 1000;
    o.say(`  ${iopCount} revisioned IstioOperators HEALTHY after ${round((Date.now() - t0) / 1000)} s`);
    const rssBeforePods = sampleProc(op.pid).rssBytes;
    // 6. the sidecar census: pods the default revision injected, all current, so each one is judged by
    //    re-injecting it (again after kwok sets its status: a new resourceVersion), then from the cache.
    const installed = sample(o.root, o.quick ? 'default' : 'demo');
    const before = await scrape(metricsPort); // also resets the event-loop lag maximum
    let lag = 0; // every scrape resets that maximum, so the phase's is the largest one seen
    const scrapeLag = async () => {
      const s = await scrape(metricsPort);
      lag = Math.max(lag, counter(s, 'nodejs_eventloop_lag_max_seconds'));
      return s;
    };
    await ensureNamespace(kube, 'bench-filler', { 'istio-injection': 'enabled' });
    await createPods(
      kube,
      'bench-filler',
      fillerPods,
      await injectedPod(releases, installed, 'bench-filler'),
    );
    await waitRunning(kube, 'bench-filler', fillerPods, 600_000);
    let judged = before;
    await waitFor(
      `the census to judge ${fillerPods} new pods`,
      async () => {
        judged = await scrapeLag();
        return censusPods(judged, 'reinjected') - censusPods(before, 'reinjected') >= fillerPods;
      },
      (censusIntervalS * 3 + 60) * 1000,
      op,
    );
    // Then censuses until one judges every pod from the cache (kwok may still be updating pod status,
    // and an updated pod is judged again).
    let base = judged;
    let settled = judged;
    let tries = 0;
    await waitFor(
      'a census that re-injects no pod',
      async () => {
        const now = await scrapeLag();
        if (censusSeconds(now).count === censusSeconds(base).count) return false;
        tries++;
        settled = now;
        if (censusPods(now, 'reinjected') === censusPods(base, 'reinjected')) return true;
        base = now;
        return false;
      },
      (censusIntervalS * 6 + 60) * 1000,
      op,
    );
    const [t0s, t1s, tbs, t2s] = [before, judged, base, settled].map(censusSeconds);
    const reinjected = censusPods(judged, 'reinjected') - censusPods(before, 'reinjected');
    const later = t2s.count - tbs.count;
    r.census = {
      pods: fillerPods,
      reinjected,
      msPerReinjectedPod: ((t1s.sum - t0s.sum) * 1000) / reinjected,
      laterCensusMs: ((t2s.sum - tbs.sum) * 1000) / later,
      laterReinjected: (censusPods(settled, 'reinjected') - censusPods(base, 'reinjected')) / later,
      laterCached: (censusPods(settled, 'cached') - censusPods(base, 'cached')) / later,
      censusesUntilSettled: tries,
      eventLoopLagMaxMs: lag * 1000,
    };
    o.say(
      `  census: ${reinjected} re-injections, ${round(r.census.msPerReinjectedPod)} ms of census time each (paged list included); settled censuses ${round(r.census.laterCensusMs)} ms (${round(r.census.laterCached)} cached, ${round(r.census.laterReinjected)} re-injected); event loop lag max ${round(r.census.eventLoopLagMaxMs)} ms`,
    );
    await sleep(o.quick ? 5_000 : 15_000); // let watches and caches settle
    const heap = await scrape(metricsPort)
      .then((s) => s.find((x) => x.name === 'nodejs_heap_size_used_bytes')?.value)
      .catch(() => undefined);
    r.memory = {
      iops: iopCount + 1, // plus the default (quick) or demo IstioOperator still installed
      pods: fillerPods,
      rssMiB: sampleProc(op.pid).rssBytes / 2 ** 20,
      rssAfterStartMiB: rssAfterStart / 2 ** 20,
      rssBeforePodsMiB: rssBeforePods / 2 ** 20,
      ...(heap ? { heapUsedMiB: heap / 2 ** 20 } : {}),
    };
    o.say(
      `  operator RSS ${round(r.memory.rssMiB)} MiB with ${r.memory.iops} IstioOperators and ${fillerPods} pods (at start ${round(r.memory.rssAfterStartMiB)} MiB)`,
    );
  } catch (err) {
    r.failure = errorMessage(err);
    o.say(`  operator suite stopped: ${r.failure}`);
  } finally {
    r.load1.push(load1());
    await operator?.stop();
    await cluster.stop();
  }
  return { section: { name: 'Operator', data: r, markdown: markdown(r) }, results: r };
}

function markdown(r: OperatorResults): string {
  const rows: unknown[][] = [
    ...(r.render ?? []).map((t) => [
      `render ${t.profile} profile, Istio ${t.version} (${t.objects} objects): cold (helm) / cached`,
      `${round(t.coldMs)} ms / ${round(t.cachedMs)} ms`,
    ]),
    ...Object.entries(r.healthySeconds).map(([k, v]) => [
      `apply ${k} IstioOperator -> HEALTHY`,
      `${round(v)} s`,
    ]),
    ...(r.uninstallSeconds !== undefined
      ? [['delete default IstioOperator -> uninstalled', `${round(r.uninstallSeconds)} s`]]
      : []),
    ...(r.repairSeconds !== undefined
      ? [['delete istiod Deployment -> recreated and Available', `${round(r.repairSeconds)} s`]]
      : []),
    ...(r.steady
      ? [
          [
            `operator writes in a ${r.steady.windowSeconds} s steady window`,
            `${r.steady.operatorWrites} (${r.steady.operatorWritesExcludingLease} besides its leader Lease)`,
          ],
        ]
      : []),
    ...(r.census
      ? [
          [
            `sidecar census of ${r.census.pods} injected pods, until each was judged`,
            `${r.census.reinjected} re-injections, ${round(r.census.msPerReinjectedPod)} ms of census time each (paged list included); operator event loop lag max ${round(r.census.eventLoopLagMaxMs)} ms`,
          ],
          [
            'sidecar census once the pods settled (every verdict cached)',
            `${round(r.census.laterCensusMs)} ms (${round(r.census.laterCached)} verdicts cached, ${round(r.census.laterReinjected)} re-injected; ${r.census.censusesUntilSettled} censuses after the first judgement)`,
          ],
        ]
      : []),
    ...(r.memory
      ? [
          [
            `operator RSS, ${r.memory.iops} IstioOperators + ${r.memory.pods} pods`,
            `${round(r.memory.rssMiB)} MiB (${round(r.memory.rssAfterStartMiB)} MiB at start, ${round(r.memory.rssBeforePodsMiB)} MiB before the pods${r.memory.heapUsedMiB ? `, JS heap used ${round(r.memory.heapUsedMiB)} MiB` : ''})`,
          ],
        ]
      : []),
  ];
  const agents = r.steady
    ? table(
        ['user agent', 'verb', 'resource', 'count'],
        r.steady.byAgent.map((w) => [w.userAgent, w.verb, w.resource, w.count]),
      )
    : '';
  return [
    `Load average ${r.load1.join(' -> ')}. Writes counted from the apiserver audit log (ResponseComplete events of ` +
      `create/update/patch/delete), grouped by user agent; the bench's own requests are excluded.`,
    '',
    table(['measure', 'value'], rows),
    ...(agents ? ['', 'All writes in the steady window:', '', agents] : []),
    ...(r.failure ? ['', `**Stopped early:** ${r.failure}`] : []),
  ].join('\n');
}
