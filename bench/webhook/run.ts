// Suite 1: `meshwright webhook` (static mode, its own process), the floor server and, when its binary is
// built, upstream istiod 1.31.0's injector (./istiod.ts) under the same HTTPS load, pod shape by pod shape:
// fixed rates and saturation; latency percentiles, throughput, and server CPU per request read from /proc
// (the least noisy cost figure on a shared machine).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { selfSignedServing } from '../../lib/certs';
import { freePorts } from '../../hack/cluster/ports';
import { httpGet } from '../../hack/cluster/readiness';
import { type Child, startChild, waitFor } from '../common/children';
import { ISTIOD_VERSION } from '../../test/integration/support/istiod';
import { type BenchIstiod, startBenchIstiod } from './istiod';
import { load1 } from '../common/machine';
import { admissionReview, bookinfoPods, type PodShape, syntheticPods } from '../common/pods';
import { sampleProc } from '../common/proc';
import { histogram, histogramDelta, parseProm, quantile, type Histogram } from '../common/prom';
import { table, type Section, type SuiteOptions } from '../common/results';
import { round } from '../common/stats';
import { fixedRate, type LoadResult, type LoadTarget, postOnce, saturation } from './load';
import { errorMessage } from '../../lib/errors';

export interface WebhookBenchOptions extends SuiteOptions {
  /** Run the webhook under `node --cpu-prof`, profiles into this directory. */
  cpuProfDir?: string;
}

type Server = 'webhook' | 'floor' | 'istiod';

interface Scenario {
  /** Pod group: "bookinfo" (the six pods in rotation) or a synthetic shape name. */
  group: string;
  mode: 'rate' | 'saturation';
  rps?: number;
}

export interface WebhookRun extends LoadResult {
  server: Server;
  group: string;
  load1: number;
  serverCpuMsPerRequest: number;
  serverRssMiB: number;
  /** The webhook's own histograms over the measured phase: where the client's tail comes from. */
  serverSide?: { handler: ServerHistogram; injection: ServerHistogram };
}

/** A webhook histogram over one phase: interpolated percentiles and the share of slow requests. */
export interface ServerHistogram {
  count: number;
  p50Ms: number;
  p99Ms: number;
  over5msPercent: number;
}

const HANDLER_METRIC = 'controller_runtime_webhook_latency_seconds';
const INJECTION_METRIC = 'meshwright_webhook_injection_duration_seconds';

async function webhookHistograms(metricsPort: number): Promise<Record<string, Histogram>> {
  const series = parseProm((await httpGet({ url: `http://127.0.0.1:${metricsPort}/metrics` })).body);
  return {
    handler: histogram(series, HANDLER_METRIC, () => true),
    injection: histogram(series, INJECTION_METRIC, (l) => l.result === 'injected'),
  };
}

function serverHistogram(after: Histogram | undefined, before: Histogram | undefined): ServerHistogram {
  const empty: Histogram = { buckets: [], sum: 0, count: 0 };
  const d = histogramDelta(after ?? empty, before ?? empty);
  const within5ms = d.buckets.find((b) => b.le === 0.005)?.count ?? 0;
  return {
    count: d.count,
    p50Ms: quantile(d, 0.5) * 1000,
    p99Ms: quantile(d, 0.99) * 1000,
    over5msPercent: d.count > 0 ? (100 * (d.count - within5ms)) / d.count : 0,
  };
}

const RATE_CONNECTIONS = 8;
const SATURATION_CONNECTIONS = 8;

/**
 * BENCH_WEBHOOK_GROUPS=bookinfo,env-1000 keeps only those pod groups (e.g. for a focused --cpu-prof run);
 * BENCH_WEBHOOK_SCENARIOS=bookinfo:500,env-1000:100,bookinfo:saturation only those scenarios.
 */
function scenarios(quick: boolean): Scenario[] {
  const only = process.env.BENCH_WEBHOOK_GROUPS?.split(',');
  const picked = process.env.BENCH_WEBHOOK_SCENARIOS?.split(',');
  const key = (s: Scenario) => `${s.group}:${s.mode === 'rate' ? String(s.rps) : 'saturation'}`;
  const out = allScenarios(quick).filter(
    (s) => (!only || only.includes(s.group)) && (!picked || picked.includes(key(s))),
  );
  if (out.length === 0) throw new Error('BENCH_WEBHOOK_GROUPS / BENCH_WEBHOOK_SCENARIOS select no scenario');
  return out;
}

function allScenarios(quick: boolean): Scenario[] {
  if (quick)
    return [
      { group: 'bookinfo', mode: 'rate', rps: 500 },
      { group: 'bookinfo', mode: 'saturation' },
      { group: 'containers-10', mode: 'rate', rps: 100 },
      { group: 'env-1000', mode: 'rate', rps: 100 },
      { group: 'containers-100', mode: 'rate', rps: 100 },
    ];
  return [
    { group: 'bookinfo', mode: 'rate', rps: 100 },
    { group: 'bookinfo', mode: 'rate', rps: 500 },
    { group: 'bookinfo', mode: 'saturation' },
    { group: 'containers-10', mode: 'rate', rps: 100 },
    { group: 'containers-10', mode: 'rate', rps: 500 },
    { group: 'containers-10', mode: 'saturation' },
    { group: 'env-1000', mode: 'rate', rps: 100 },
    { group: 'env-1000', mode: 'saturation' },
    { group: 'containers-100', mode: 'rate', rps: 100 },
    { group: 'containers-100', mode: 'saturation' },
  ];
}

function bodiesByGroup(root: string): Map<string, { shapes: PodShape[]; bodies: Buffer[] }> {
  const groups = new Map<string, { shapes: PodShape[]; bodies: Buffer[] }>();
  const encode = (s: PodShape, i: number) =>
    Buffer.from(
      JSON.stringify(admissionReview(s.pod, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)),
    );
  const bookinfo = bookinfoPods(root);
  groups.set('bookinfo', { shapes: bookinfo, bodies: bookinfo.map(encode) });
  syntheticPods().forEach((s, i) => groups.set(s.name, { shapes: [s], bodies: [encode(s, 100 + i)] }));
  return groups;
}

/** The server must answer each shape with an injection patch, or the figures would measure something else. */
async function checkInjects(t: LoadTarget, shapes: PodShape[], bodies: Buffer[]): Promise<void> {
  for (const [i, body] of bodies.entries()) {
    const { status, json } = await postOnce(t, body);
    const r = (json as { response?: { allowed?: boolean; patch?: string; status?: { message?: string } } })
      .response;
    if (status !== 200 || r?.allowed !== true || !r.patch)
      throw new Error(
        `webhook did not inject ${shapes[i]?.name}: HTTP ${status}, allowed ${String(r?.allowed)}, ${r?.status?.message ?? 'no patch'}`,
      );
  }
}

/** A deployed program's container as config/manager/<program>.yaml declares it. */
function deployedContainer(root: string, program: 'webhook' | 'operator'): V1Container | undefined {
  for (const doc of parseAllDocuments(
    readFileSync(join(root, 'config', 'manager', `${program}.yaml`), 'utf8'),
  )) {
    const d = doc.toJS() as V1Deployment | null;
    if (d?.kind === 'Deployment') return d.spec?.template.spec?.containers?.[0];
  }
  return undefined;
}

/** A container's literal environment (values from fields or secrets left out). */
function literalEnv(c: V1Container | undefined): Record<string, string> {
  return Object.fromEntries(
    (c?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
  );
}

/**
 * The literal environment of a deployed program's container (config/manager/<program>.yaml), so benches
 * run it as deployed.
 */
export function deployedEnv(
  root: string,
  program: 'webhook' | 'operator' = 'webhook',
): Record<string, string> {
  return literalEnv(deployedContainer(root, program));
}

/** The image's entrypoint (Dockerfile): a container `command` must keep it to be run as the bench runs it. */
export const ENTRYPOINT_SCRIPT = '/app/bin/meshwright.js';

/**
 * The node flags a deployed program runs with: its NODE_OPTIONS, then the flags its container's `command`
 * gives node before the entrypoint script (V8 flags node refuses in NODE_OPTIONS go there; they win, as
 * on the command line). A flag node refuses in NODE_OPTIONS would stop the container at start while a bench
 * passing it on the command line ran fine, and a command the bench cannot mirror would measure something
 * else: both are errors here.
 */
export function deployedNodeFlags(root: string, program: 'webhook' | 'operator' = 'webhook'): string[] {
  const file = `config/manager/${program}.yaml`;
  const container = deployedContainer(root, program);
  const flags = (literalEnv(container).NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const refused = flags.filter((f) => !process.allowedNodeEnvironmentFlags.has(f.split('=')[0]));
  if (refused.length > 0)
    throw new Error(
      `${file} NODE_OPTIONS: node does not allow ${refused.join(', ')} there (the container would not start)`,
    );
  const command = container?.command;
  if (command === undefined) return flags;
  const script = command.indexOf(ENTRYPOINT_SCRIPT);
  const commandFlags = command.slice(1, script);
  if (command[0] !== 'node' || script !== command.length - 1 || commandFlags.some((f) => !f.startsWith('--')))
    throw new Error(
      `${file} command: expected [node, <--flags>, ${ENTRYPOINT_SCRIPT}] (the image's entrypoint with node flags), got ${JSON.stringify(command)}`,
    );
  return [...flags, ...commandFlags];
}

/** The deployed environment without NODE_OPTIONS (given to node as flags instead). */
export function deployedExtraEnv(root: string, program: 'webhook' | 'operator'): Record<string, string> {
  const { NODE_OPTIONS: _flags, ...rest } = deployedEnv(root, program);
  void _flags;
  return rest;
}

/** A server under load: its pid for /proc, and its exit description once it died. */
interface Measured {
  pid: number;
  exited(): string | undefined;
}

async function startServers(o: WebhookBenchOptions): Promise<{
  servers: Record<'webhook' | 'floor', Child>;
  targets: Record<'webhook' | 'floor', Omit<LoadTarget, 'bodies'>>;
  metricsPort: number;
  dir: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwright-bench-'));
  const { ca, serving } = await selfSignedServing({
    commonName: 'meshwright-bench',
    ipAddresses: ['127.0.0.1'],
  });
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  writeFileSync(cert, serving.certPem);
  writeFileSync(key, serving.keyPem, { mode: 0o600 });
  const [port, metricsPort, healthPort, floorPort] = await freePorts(4);
  // The webhook runs with the Node flags it is deployed with; extra ones (e.g. BENCH_WEBHOOK_NODE_FLAGS=
  // --trace-gc to see GC pauses in webhook.log) come after, so they can override them.
  const profFlags = [
    ...deployedNodeFlags(o.root),
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
    ...(process.env.BENCH_WEBHOOK_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  o.say(`  webhook node flags: ${profFlags.join(' ') || '(none)'}`);
  const webhook = startChild(
    'webhook',
    [
      join(o.root, 'bin', 'meshwright.js'),
      'webhook',
      '--static',
      `--tls-cert-file=${cert}`,
      `--tls-key-file=${key}`,
      '--host=127.0.0.1',
      `--port=${port}`,
      `--metrics-port=${metricsPort}`,
      `--health-port=${healthPort}`,
      '--shutdown-delay=0',
    ],
    join(o.logDir, 'webhook.log'),
    profFlags,
  );
  const floor = startChild(
    'floor',
    [join(o.root, 'dist', 'bench', 'webhook', 'floor-server.js'), String(floorPort), cert, key],
    join(o.logDir, 'floor.log'),
  );
  await waitFor(
    'webhook /readyz',
    async () => (await httpGet({ url: `http://127.0.0.1:${healthPort}/readyz` })).status === 200,
    30_000,
    webhook,
  );
  const base = { host: '127.0.0.1', path: '/inject', ca: ca.certPem };
  const floorTarget = { ...base, port: floorPort ?? 0 };
  await waitFor(
    'floor server',
    async () => (await postOnce({ ...floorTarget, bodies: [] }, Buffer.from('{}'))).status === 200,
    30_000,
    floor,
  );
  return {
    metricsPort: metricsPort ?? 0,
    dir,
    servers: { webhook, floor },
    targets: { webhook: { ...base, port: port ?? 0 }, floor: floorTarget },
  };
}

export async function runWebhookBench(
  o: WebhookBenchOptions,
): Promise<{ section: Section; runs: WebhookRun[] }> {
  const durationMs = o.quick ? 3_000 : 15_000;
  const warmupMs = o.quick ? 1_000 : 3_000;
  const groups = bodiesByGroup(o.root);
  const { servers, targets, metricsPort, dir } = await startServers(o);
  const runs: WebhookRun[] = [];
  let istiod: BenchIstiod | undefined;
  let istiodSkipped: string | undefined;
  try {
    // istiod failing to start costs the baseline, not Meshwright's figures: reported as loudly as a skip.
    // BENCH_WEBHOOK_ISTIOD=0 leaves istiod out (focused runs on a shared machine); the report says so.
    const started =
      process.env.BENCH_WEBHOOK_ISTIOD === '0'
        ? { kind: 'skipped' as const, reason: 'BENCH_WEBHOOK_ISTIOD=0 is set' }
        : await startBenchIstiod(o).catch((err: unknown) => ({
            kind: 'skipped' as const,
            reason: `istiod failed to start: ${errorMessage(err)}`,
          }));
    if (started.kind === 'skipped') {
      istiodSkipped = started.reason;
      o.say(`  !!! ISTIOD BASELINE SKIPPED: ${started.reason}`);
    } else istiod = started.istiod;
    const measured: Partial<Record<Server, Measured>> = { ...servers, ...(istiod ? { istiod } : {}) };
    const allTargets: Partial<Record<Server, Omit<LoadTarget, 'bodies'>>> = {
      ...targets,
      ...(istiod ? { istiod: istiod.target } : {}),
    };
    for (const g of groups.values()) {
      await checkInjects({ ...targets.webhook, bodies: g.bodies }, g.shapes, g.bodies);
      if (istiod) await checkInjects({ ...istiod.target, bodies: g.bodies }, g.shapes, g.bodies);
    }
    for (const sc of scenarios(o.quick)) {
      const g = groups.get(sc.group);
      if (!g) throw new Error(`no pod group ${sc.group}`);
      // The servers back to back, so all see about the same background load.
      for (const server of Object.keys(measured) as Server[]) {
        const child = measured[server];
        const target = allTargets[server];
        if (!child || !target) continue;
        const t: LoadTarget = { ...target, bodies: g.bodies };
        // CPU and server histograms from the end of the warm-up to the end of the measurement.
        let before = sampleProc(child.pid);
        let histBefore: Record<string, Histogram> = {};
        const beforeMeasure = async () => {
          if (server === 'webhook') histBefore = await webhookHistograms(metricsPort);
          before = sampleProc(child.pid);
        };
        const l = load1();
        const r =
          sc.mode === 'rate'
            ? await fixedRate(t, {
                rps: sc.rps ?? 100,
                durationMs,
                warmupMs,
                connections: RATE_CONNECTIONS,
                beforeMeasure,
              })
            : await saturation(t, {
                durationMs,
                warmupMs,
                connections: SATURATION_CONNECTIONS,
                beforeMeasure,
              });
        const after = sampleProc(child.pid);
        const died = child.exited();
        if (died) throw new Error(died);
        const histAfter = server === 'webhook' ? await webhookHistograms(metricsPort) : undefined;
        const run: WebhookRun = {
          ...r,
          server,
          group: sc.group,
          load1: l,
          serverCpuMsPerRequest: ((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, r.completed),
          serverRssMiB: after.rssBytes / 2 ** 20,
          ...(histAfter
            ? {
                serverSide: {
                  handler: serverHistogram(histAfter.handler, histBefore.handler),
                  injection: serverHistogram(histAfter.injection, histBefore.injection),
                },
              }
            : {}),
        };
        runs.push(run);
        o.say(
          `  ${server.padEnd(7)} ${sc.group.padEnd(14)} ${sc.mode === 'rate' ? `${sc.rps} req/s` : 'saturation'}: ` +
            `${round(r.achievedRps)} req/s, p50 ${round(r.latencyMs.p50)} ms, p99 ${round(r.latencyMs.p99)} ms, ` +
            `max ${round(r.latencyMs.max)} ms, cpu ${round(run.serverCpuMsPerRequest)} ms/req, errors ${r.errors}, load ${l}` +
            (run.serverSide
              ? `; server: handler p99 ${round(run.serverSide.handler.p99Ms)} ms (${round(run.serverSide.handler.over5msPercent)}% > 5 ms), ` +
                `injection p99 ${round(run.serverSide.injection.p99Ms)} ms (${round(run.serverSide.injection.over5msPercent)}% > 5 ms)`
              : ''),
        );
      }
    }
  } finally {
    await servers.webhook.stop();
    await servers.floor.stop();
    await istiod?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    section: {
      name: 'Webhook over HTTPS (one process, static mode) vs floor and istiod',
      data: runs,
      markdown: markdown(runs, groups, istiodSkipped),
    },
    runs,
  };
}

function markdown(
  runs: WebhookRun[],
  groups: Map<string, { bodies: Buffer[] }>,
  istiodSkipped: string | undefined,
): string {
  const sizes = [...groups].map(
    ([n, g]) => `${n} ${round(g.bodies.reduce((s, b) => s + b.length, 0) / g.bodies.length / 1024)} KiB`,
  );
  const rows = runs
    .filter((r) => r.server === 'webhook')
    .map((w) => {
      const f = runs.find(
        (r) =>
          r.server === 'floor' && r.group === w.group && r.mode === w.mode && r.targetRps === w.targetRps,
      );
      const ratio = (a: number, b: number | undefined) => (b ? `${round(a / b)}x` : '-');
      return [
        w.group,
        w.mode === 'rate' ? `${w.targetRps}/s` : `saturation (${w.connections} conns)`,
        round(w.achievedRps),
        round(w.latencyMs.p50),
        round(w.latencyMs.p99),
        round(w.latencyMs.max),
        round(w.serverCpuMsPerRequest),
        f ? `${round(f.latencyMs.p50)} / ${round(f.latencyMs.p99)}` : '-',
        f ? round(f.serverCpuMsPerRequest) : '-',
        w.mode === 'rate'
          ? ratio(w.latencyMs.p50, f?.latencyMs.p50)
          : ratio(f?.achievedRps ?? 0, w.achievedRps),
        ratio(w.serverCpuMsPerRequest, f?.serverCpuMsPerRequest),
        w.serverSide
          ? `${round(w.serverSide.handler.p99Ms)} / ${round(w.serverSide.injection.p99Ms)} (${round(w.serverSide.handler.over5msPercent)}%)`
          : '-',
        w.errors + (f?.errors ?? 0),
        `${w.load1} / ${f?.load1 ?? '-'}`,
      ];
    });
  return [
    `Average AdmissionReview size: ${sizes.join(', ')}. Latencies in ms, measured by the client from the scheduled send time; ` +
      `"cpu" is the server process's CPU ms per request from /proc. Ratio column: p50 webhook/floor at a fixed rate, ` +
      `floor/webhook throughput at saturation. "server p99" comes from the webhook's own histograms ` +
      `(\`${HANDLER_METRIC}\`: the whole request in fastify; \`${INJECTION_METRIC}\`: decode, inject, patch), ` +
      `interpolated in their buckets, with the share of requests the handler took over 5 ms: a client tail ` +
      `that the server does not see is time spent waiting for a CPU or in the socket queues.`,
    '',
    table(
      [
        'pods',
        'rate',
        'req/s',
        'p50',
        'p99',
        'max',
        'cpu ms/req',
        'floor p50 / p99',
        'floor cpu',
        'ratio',
        'cpu ratio',
        'server p99: handler / injection (% > 5 ms)',
        'errors',
        'load avg (wh / floor)',
      ],
      rows,
    ),
    '',
    istiodMarkdown(runs, istiodSkipped),
  ].join('\n');
}

/** CPU per injection target: Meshwright at least this many times cheaper than istiod. */
const ISTIOD_CPU_TARGET = 5;

function istiodMarkdown(runs: WebhookRun[], skipped: string | undefined): string {
  if (skipped) return `**ISTIOD BASELINE SKIPPED**: ${skipped}. No Meshwright/istiod ratios in this run.`;
  const rows = runs
    .filter((r) => r.server === 'istiod')
    .map((i) => {
      const w = runs.find(
        (r) =>
          r.server === 'webhook' && r.group === i.group && r.mode === i.mode && r.targetRps === i.targetRps,
      );
      const cpuRatio =
        w && w.serverCpuMsPerRequest > 0 ? i.serverCpuMsPerRequest / w.serverCpuMsPerRequest : 0;
      return [
        i.group,
        i.mode === 'rate' ? `${i.targetRps}/s` : `saturation (${i.connections} conns)`,
        `${round(i.achievedRps)} / ${w ? round(w.achievedRps) : '-'}`,
        `${round(i.latencyMs.p99)} / ${w ? round(w.latencyMs.p99) : '-'}`,
        `${round(i.serverCpuMsPerRequest)} / ${w ? round(w.serverCpuMsPerRequest) : '-'}`,
        w && w.latencyMs.p99 > 0 ? `${round(i.latencyMs.p99 / w.latencyMs.p99)}x` : '-',
        cpuRatio > 0 ? `${round(cpuRatio)}x` : '-',
        cpuRatio >= ISTIOD_CPU_TARGET ? 'yes' : 'no',
        i.errors,
      ];
    });
  return [
    `Upstream istiod ${ISTIOD_VERSION} injector (\`/inject\` on its HTTPS port, same pods and load; its process also runs ` +
      `its controllers against an idle local control plane). Ratios are istiod / Meshwright: how many times ` +
      `Meshwright is cheaper (CPU per request) and faster (client p99). Target: CPU ratio >= ${ISTIOD_CPU_TARGET}x.`,
    '',
    table(
      [
        'pods',
        'rate',
        'req/s istiod / mw',
        'p99 ms istiod / mw',
        'cpu ms/req istiod / mw',
        'p99 ratio',
        'cpu ratio',
        `>= ${ISTIOD_CPU_TARGET}x`,
        'istiod errors',
      ],
      rows,
    ),
  ].join('\n');
}
