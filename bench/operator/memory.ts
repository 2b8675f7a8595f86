// Suite `operator-memory` (issue 14): the operator's memory and apiserver cost with 5,000 injected pods over
// two revisions. `meshwright operator` from dist/ with its deployed Node flags and leader election, running as
// its ServiceAccount with the shipped RBAC (so the audit log tells its requests apart), census at its deployed
// interval; IstioOperators `default` (config/samples default profile) and `r1` (minimal, revision r1); the pods
// split between an `istio-injection=enabled` namespace and an `istio.io/rev=r1` one, each pod injected by the
// bench as its revision would inject it (no webhook runs), on kwok nodes. Measured once both revisions'
// censuses settle: RSS (and VmHWM), JS heap, each revision's census duration, and the operator's requests per
// minute over a steady window, by verb and resource, with the census's share.
import { join } from 'node:path';
import { errorMessage } from '../../lib/errors';
import { type Child, waitFor } from '../common/children';
import { ensureNamespace, startBenchCluster, waitRunning } from '../common/cluster';
import { load1 } from '../common/machine';
import { residentBreakdown, sampleProc } from '../common/proc';
import { counter, type Series } from '../common/prom';
import { table, type Section, type SuiteOptions } from '../common/results';
import { round, sleep } from '../common/stats';
import { type SteadyCost, steadyCost } from '../upgrade/run';
import { OPERATOR_NAMESPACE, operatorKubeconfig } from '../upgrade/operator-identity';
import { benchOperatorNodeFlags, describeEnv, startBenchOperator } from './start';
import { CensusSettle, censusCounts, censusDelta, type CensusCounts, meanCensusMs } from './census-figures';
import { benchReleases } from './releases';
import { applyCrds, createPods, injectedPod, sample, scrape, untilHealthy } from './run';

const IOP_PATH = '/apis/install.istio.io/v1alpha1/namespaces/istio-system/istiooperators';
const MiB = 2 ** 20;

interface RevisionSetup {
  /** IstioOperator name. */
  iop: string;
  /** The census's metric label: 'default' for the default revision. */
  revision: string;
  profile: string;
  namespace: string;
  namespaceLabels: Record<string, string>;
  spec: (root: string) => Record<string, unknown>;
}

const REVISIONS: RevisionSetup[] = [
  {
    iop: 'default',
    revision: 'default',
    profile: 'default',
    namespace: 'bench-mem-default',
    namespaceLabels: { 'istio-injection': 'enabled' },
    spec: (root) => sample(root, 'default'),
  },
  {
    iop: 'r1',
    revision: 'r1',
    profile: 'minimal',
    namespace: 'bench-mem-r1',
    namespaceLabels: { 'istio.io/rev': 'r1' },
    spec: () => ({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'r1', namespace: 'istio-system' },
      spec: { profile: 'minimal', revision: 'r1' },
    }),
  },
];

export interface RevisionFigures {
  iop: string;
  revision: string;
  profile: string;
  namespace: string;
  pods: number;
  /** Apply -> HEALTHY (both applied together). */
  healthySeconds: number;
  /** Pods Running -> the first census that re-injected none. */
  settleSeconds: number;
  /** Re-injections until every pod was judged once, and that phase's census time per re-injection. */
  reinjectedToJudge: number;
  msPerReinjectedPod: number;
  censusesAfterJudged: number;
  /** Censuses in the steady window: count, mean duration, pods re-injected and cached. */
  steady: CensusCounts & { meanMs: number };
}

export interface OperatorMemoryResults {
  nodeFlags: string[];
  /** The deployed container environment it ran with (MALLOC_ARENA_MAX, ...). */
  env?: Record<string, string>;
  censusIntervalSeconds: number;
  pods: number;
  /** First pod create -> every pod Running, both namespaces. */
  podsRunningSeconds?: number;
  revisions: RevisionFigures[];
  rss?: {
    afterStartMiB: number;
    beforePodsMiB: number;
    /** When both censuses had settled. */
    settledMiB: number;
    /** Over the steady window: samples every 5 s. */
    windowMinMiB: number;
    windowMaxMiB: number;
    endMiB: number;
    /** VmHWM at the end: the largest RSS the process ever had. */
    peakMiB: number;
    /** The end's RSS split: anonymous (JS heap, malloc, stacks; of it glibc's brk heap) and file-backed. */
    endAnonMiB?: number;
    endBrkHeapMiB?: number;
    endFileMiB?: number;
  };
  heap?: { usedMiB: number; totalMiB: number; externalMiB?: number };
  steady?: SteadyCost;
  load1: number[];
  failure?: string;
}

function gauge(series: Series[], name: string): number | undefined {
  return series.some((s) => s.name === name) ? counter(series, name) : undefined;
}

export async function runOperatorMemoryBench(
  o: SuiteOptions,
): Promise<{ section: Section; results: OperatorMemoryResults }> {
  const totalPods = Number(process.env.BENCH_MEMORY_PODS ?? (o.quick ? 400 : 5000));
  const windowSeconds = Number(process.env.BENCH_MEMORY_STEADY_SECONDS ?? (o.quick ? 30 : 240));
  // The deployed default (1m) in the full run; shorter in the quick one, so its figures come in time.
  const censusIntervalS = Number(process.env.BENCH_MEMORY_CENSUS_INTERVAL ?? (o.quick ? 10 : 60));
  if (!(totalPods >= 2) || !(windowSeconds > 0) || !(censusIntervalS > 0))
    throw new Error(
      'BENCH_MEMORY_PODS must be at least 2, BENCH_MEMORY_STEADY_SECONDS and BENCH_MEMORY_CENSUS_INTERVAL positive',
    );
  const nodeFlags = benchOperatorNodeFlags(o.root);
  const perRevision = REVISIONS.map(
    (_, i) => Math.floor(totalPods / REVISIONS.length) + (i < totalPods % REVISIONS.length ? 1 : 0),
  );
  const r: OperatorMemoryResults = {
    nodeFlags,
    censusIntervalSeconds: censusIntervalS,
    pods: totalPods,
    revisions: [],
    load1: [load1()],
  };
  const releases = benchReleases(o.root);
  const cluster = await startBenchCluster(o.root, o.say);
  const kube = cluster.kube;
  let operator: Child | undefined;
  try {
    await applyCrds(kube, o.root);
    await ensureNamespace(kube, 'istio-system');
    await ensureNamespace(kube, OPERATOR_NAMESPACE);
    const opKubeconfig = join(cluster.dir, 'operator.kubeconfig');
    await operatorKubeconfig(kube, o.root, cluster.cp.state.server, cluster.cp.caPem, opKubeconfig);
    const started = await startBenchOperator({
      root: o.root,
      releases,
      kubeconfig: opKubeconfig,
      leaseNamespace: OPERATOR_NAMESPACE,
      logFile: join(o.logDir, 'operator-memory.log'),
      // No injection target: the bench injects the pods itself, so no MutatingWebhookConfiguration may
      // send pod creates to a webhook that does not run here.
      args: [`--sidecar-census-interval=${censusIntervalS}s`],
    });
    operator = started.child;
    r.env = started.env;
    const { metricsPort } = started;
    o.say(
      `  operator node flags: ${nodeFlags.join(' ') || '(none)'}; env ${describeEnv(started.env)}; census every ${censusIntervalS} s`,
    );
    const op = operator;
    const afterStart = sampleProc(op.pid).rssBytes;

    // 1. Both IstioOperators, applied together, to HEALTHY.
    const t0 = Date.now();
    for (const rev of REVISIONS) await kube.apply(`${IOP_PATH}/${rev.iop}`, rev.spec(o.root));
    const healthy: number[] = [];
    for (const rev of REVISIONS) healthy.push(await untilHealthy(kube, rev.iop, op, t0));
    o.say(
      `  ${REVISIONS.map((rev, i) => `${rev.iop} HEALTHY after ${round(healthy[i]!)} s`).join(', ')} (load ${load1()})`,
    );
    await sleep(o.quick ? 3_000 : 10_000);
    const beforePods = sampleProc(op.pid).rssBytes;

    // 2. The pods, each as its revision injects it.
    const start = await scrape(metricsPort);
    const tPods = Date.now();
    for (const [i, rev] of REVISIONS.entries()) {
      await ensureNamespace(kube, rev.namespace, rev.namespaceLabels);
      const pod = await injectedPod(releases, rev.spec(o.root), rev.namespace);
      await createPods(kube, rev.namespace, perRevision[i]!, pod);
      o.say(`  ${perRevision[i]} pods created in ${rev.namespace} (injected by ${rev.revision})`);
    }
    for (const [i, rev] of REVISIONS.entries())
      await waitRunning(kube, rev.namespace, perRevision[i]!, 900_000);
    const tRunning = Date.now();
    r.podsRunningSeconds = (tRunning - tPods) / 1000;
    o.say(`  ${totalPods} pods Running after ${round(r.podsRunningSeconds)} s (load ${load1()})`);

    // 3. Until each revision's census has judged its pods and then re-injected none.
    const startCounts = REVISIONS.map((rev) => censusCounts(start, rev.revision));
    const settles = REVISIONS.map((_, i) => new CensusSettle(perRevision[i]!, startCounts[i]!));
    const settledAt: (number | undefined)[] = REVISIONS.map(() => undefined);
    await waitFor(
      'both revisions\u2019 censuses to settle',
      async () => {
        const now = await scrape(metricsPort);
        for (const [i, rev] of REVISIONS.entries())
          if (settles[i]!.observe(censusCounts(now, rev.revision)) && settledAt[i] === undefined)
            settledAt[i] = Date.now();
        return settledAt.every((t) => t !== undefined);
      },
      (censusIntervalS * 10 + 300) * 1000,
      op,
    ).catch((err: unknown) => {
      const where = REVISIONS.map(
        (rev, i) =>
          `${rev.revision}: ${settles[i]!.judged ? `judged, ${settles[i]!.censusesAfterJudged} censuses since` : 'not every pod judged yet'}`,
      ).join('; ');
      throw new Error(`${errorMessage(err)} (${where})`);
    });
    const settledRss = sampleProc(op.pid).rssBytes;
    o.say(`  censuses settled; operator RSS ${round(settledRss / MiB)} MiB (load ${load1()})`);

    // 4. Steady state: the audit window, with RSS sampled beside it and the census metrics around it.
    await sleep(o.quick ? 3_000 : 10_000);
    const windowStart = await scrape(metricsPort);
    const rssSamples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssSamples.push(sampleProc(op.pid).rssBytes);
        await sleep(5_000);
      }
    })();
    try {
      r.steady = await steadyCost(
        cluster,
        `${REVISIONS.length} revisions, ${totalPods} injected pods, censuses settled`,
        totalPods,
        windowSeconds,
        o,
      );
    } finally {
      sampling = false;
      await sampler;
    }
    const windowEnd = await scrape(metricsPort);
    const end = sampleProc(op.pid);
    const parts = residentBreakdown(op.pid);
    for (const [i, rev] of REVISIONS.entries()) {
      const s = settles[i]!;
      const judged = censusDelta(s.judged!, startCounts[i]!);
      const steady = censusDelta(
        censusCounts(windowEnd, rev.revision),
        censusCounts(windowStart, rev.revision),
      );
      r.revisions.push({
        iop: rev.iop,
        revision: rev.revision,
        profile: rev.profile,
        namespace: rev.namespace,
        pods: perRevision[i]!,
        healthySeconds: healthy[i]!,
        settleSeconds: (settledAt[i]! - tRunning) / 1000,
        reinjectedToJudge: judged.reinjected,
        msPerReinjectedPod: (judged.seconds * 1000) / judged.reinjected,
        censusesAfterJudged: s.censusesAfterJudged,
        steady: { ...steady, meanMs: meanCensusMs(steady) },
      });
    }
    r.rss = {
      afterStartMiB: afterStart / MiB,
      beforePodsMiB: beforePods / MiB,
      settledMiB: settledRss / MiB,
      windowMinMiB: Math.min(...rssSamples) / MiB,
      windowMaxMiB: Math.max(...rssSamples) / MiB,
      endMiB: end.rssBytes / MiB,
      peakMiB: end.peakRssBytes / MiB,
      endAnonMiB: parts.anonBytes / MiB,
      endFileMiB: parts.fileBytes / MiB,
      endBrkHeapMiB: parts.brkHeapBytes / MiB,
    };
    const used = gauge(windowEnd, 'nodejs_heap_size_used_bytes');
    const total = gauge(windowEnd, 'nodejs_heap_size_total_bytes');
    const external = gauge(windowEnd, 'nodejs_external_memory_bytes');
    if (used !== undefined && total !== undefined)
      r.heap = {
        usedMiB: used / MiB,
        totalMiB: total / MiB,
        ...(external !== undefined ? { externalMiB: external / MiB } : {}),
      };
    o.say(
      `  operator RSS ${round(r.rss.endMiB)} MiB (window ${round(r.rss.windowMinMiB)}-${round(r.rss.windowMaxMiB)}, peak ${round(r.rss.peakMiB)}, at start ${round(r.rss.afterStartMiB)}, before the pods ${round(r.rss.beforePodsMiB)}); JS heap used ${r.heap ? round(r.heap.usedMiB) : '?'} MiB; ${r.revisions.map((f) => `census ${f.revision} ${round(f.steady.meanMs)} ms`).join(', ')}`,
    );
  } catch (err) {
    r.failure = errorMessage(err);
    o.say(`  operator-memory suite stopped: ${r.failure}`);
  } finally {
    r.load1.push(load1());
    await operator?.stop();
    await cluster.stop();
  }
  return { section: { name: 'Operator memory, two revisions', data: r, markdown: markdown(r) }, results: r };
}

function markdown(r: OperatorMemoryResults): string {
  const mib = (v: number) => `${round(v)} MiB`;
  const rows: unknown[][] = r.rss
    ? [
        ['RSS after start (no IstioOperator)', mib(r.rss.afterStartMiB)],
        ['RSS with both revisions HEALTHY, before the pods', mib(r.rss.beforePodsMiB)],
        ['RSS when both censuses had settled', mib(r.rss.settledMiB)],
        [
          `RSS over the ${r.steady?.windowSeconds ?? '?'} s steady window (5 s samples)`,
          `${mib(r.rss.windowMinMiB)} - ${mib(r.rss.windowMaxMiB)}`,
        ],
        ['**RSS at the end**', `**${mib(r.rss.endMiB)}**`],
        ['peak RSS (VmHWM, whole run)', mib(r.rss.peakMiB)],
        ...(r.rss.endAnonMiB !== undefined
          ? [
              [
                'RSS at the end: anonymous (of it glibc brk heap) / file-backed',
                `${mib(r.rss.endAnonMiB)} (${mib(r.rss.endBrkHeapMiB ?? 0)}) / ${mib(r.rss.endFileMiB ?? 0)}`,
              ],
            ]
          : []),
        ...(r.heap
          ? [
              [
                'JS heap used / total (external)',
                `${mib(r.heap.usedMiB)} / ${mib(r.heap.totalMiB)}${r.heap.externalMiB !== undefined ? ` (${mib(r.heap.externalMiB)})` : ''}`,
              ],
            ]
          : []),
        ...(r.podsRunningSeconds !== undefined
          ? [[`${r.pods} pods created -> Running`, `${round(r.podsRunningSeconds)} s`]]
          : []),
      ]
    : [];
  const revRows = r.revisions.map((f) => [
    `${f.iop} (${f.profile}${f.revision === 'default' ? '' : `, revision ${f.revision}`})`,
    f.namespace,
    f.pods,
    `${round(f.healthySeconds)} s`,
    `${f.reinjectedToJudge}, ${round(f.msPerReinjectedPod)} ms each`,
    `${round(f.settleSeconds)} s (${f.censusesAfterJudged} censuses after the first judgement)`,
    `${f.steady.censuses} x ${round(f.steady.meanMs)} ms (${round(f.steady.cached / Math.max(1, f.steady.censuses))} cached, ${f.steady.reinjected} re-injected)`,
  ]);
  const s = r.steady;
  return [
    `\`meshwright operator\` from dist/ with its deployed Node flags (\`${r.nodeFlags.join(' ')}\`) and environment ` +
      `(\`${describeEnv(r.env ?? {})}\`), \`--leader-elect\`, ` +
      `census every ${r.censusIntervalSeconds} s, as ServiceAccount meshwright-system/meshwright-operator (config/rbac); ` +
      `${r.pods} pods injected by the bench as their revision injects them, on kwok nodes; no webhook runs ` +
      `(no injection target, so the operator installs no injection MutatingWebhookConfiguration). ` +
      `Load average ${r.load1.join(' -> ')}.`,
    '',
    table(['measure', 'value'], rows),
    '',
    table(
      [
        'IstioOperator',
        'namespace',
        'pods',
        'apply -> HEALTHY',
        're-injections to judge every pod',
        'pods Running -> census settled',
        'censuses in the steady window',
      ],
      revRows,
    ),
    ...(s
      ? [
          '',
          `Operator requests in the ${s.windowSeconds} s steady window, from the apiserver audit log by its ServiceAccount ` +
            `(every verb; a watch counted when it starts): **${round(s.perMinute)}/min**, of which the census ` +
            `(pod lists, namespace gets, workload lists) **${round(s.censusPerMinute)}/min** (load ${s.load1}).`,
          '',
          table(
            ['verb', 'resource', 'requests', 'per minute'],
            s.byRequest.map((c) => [c.verb, c.resource, c.count, round((c.count * 60) / s.windowSeconds)]),
          ),
        ]
      : []),
    ...(r.failure ? ['', `**Stopped early:** ${r.failure}`] : []),
  ].join('\n');
}
