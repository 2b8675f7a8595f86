// Suite 3: pods through the real apiserver, with and without the webhook. A throwaway control plane
// (hack/cluster), `meshwright webhook` in cluster mode as a child process registered by URL with the
// shipped selectors. Phases: N bare pods (16 concurrent creators) and N pods through Deployments, each
// first in an unlabelled namespace (no webhook call) and then in an istio-injection=enabled one.
// Reported: client-side create latency, the apiserver's own webhook admission histogram, and pods per
// second end to end (first create until all N pods are Running on the kwok nodes).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { selfSignedServing } from '../../lib/certs';
import { freePorts } from '../../hack/cluster/ports';
import { httpGet } from '../../hack/cluster/readiness';
import { buildInjectionConfig } from '../../inject';
import { type Child, startChild, waitFor } from '../common/children';
import {
  type BenchCluster,
  countPods,
  ensureNamespace,
  startBenchCluster,
  waitRunning,
} from '../common/cluster';
import type { KubeRest } from '../common/kube';
import { load1 } from '../common/machine';
import { bookinfoDeployments } from '../common/pods';
import { histogram, histogramDelta, parseProm, quantile, type Histogram } from '../common/prom';
import { table, type Section, type SuiteOptions } from '../common/results';
import { type LatencySummary, round, summarize } from '../common/stats';

const CREATORS = 16;
const ADMISSION_METRIC = 'apiserver_admission_webhook_admission_duration_seconds';
const MWC_NAME = 'meshwright-bench-sidecar-injector';

interface PhaseResult {
  phase: string;
  webhook: boolean;
  pods: number;
  load1: number;
  /** Bare pods: client-side POST latency. */
  createMs?: LatencySummary;
  createSeconds?: number;
  /** First create until every pod is Running. */
  endToEndSeconds: number;
  podsPerSecond: number;
  injectedPods: number;
  admission?: { count: number; meanMs: number; p50Ms: number; p99Ms: number };
  /** The webhook's own request histogram over the phase (time inside the webhook process). */
  webhookHandler?: { count: number; meanMs: number; p99Ms: number };
}

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: unknown[]; volumes?: unknown[] };
}

function templates(root: string): PodTemplate[] {
  return bookinfoDeployments(root).map((d) => ({
    metadata: { labels: { ...(d.spec?.template.metadata?.labels ?? {}) } },
    // Default ServiceAccount: Bookinfo's own accounts do not exist in the bench namespaces.
    spec: { containers: d.spec?.template.spec?.containers ?? [], volumes: d.spec?.template.spec?.volumes },
  }));
}

const injectedCount = (kube: KubeRest, ns: string) =>
  countPods(kube, ns, 'labelSelector=security.istio.io%2FtlsMode%3Distio');

async function handlerHistogram(metricsPort: number): Promise<Histogram> {
  const text = (await httpGet({ url: `http://127.0.0.1:${metricsPort}/metrics` })).body;
  return histogram(parseProm(text), 'controller_runtime_webhook_latency_seconds', () => true);
}

async function admissionHistogram(kube: KubeRest): Promise<Histogram> {
  return histogram(parseProm(await kube.metrics()), ADMISSION_METRIC, (l) =>
    (l.name ?? '').includes('sidecar-injector.meshwright.io'),
  );
}

function admissionFigures(h: Histogram): PhaseResult['admission'] {
  return {
    count: h.count,
    meanMs: (h.sum / Math.max(1, h.count)) * 1000,
    p50Ms: quantile(h, 0.5) * 1000,
    p99Ms: quantile(h, 0.99) * 1000,
  };
}

async function barePods(
  kube: KubeRest,
  ns: string,
  n: number,
  tpl: PodTemplate[],
): Promise<{ createMs: LatencySummary; createSeconds: number; endToEndSeconds: number }> {
  const times: number[] = [];
  const t0 = Date.now();
  let next = 0;
  const creator = async () => {
    for (let i = next++; i < n; i = next++) {
      const t = tpl[i % tpl.length] as PodTemplate;
      const body = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i}`, labels: t.metadata.labels },
        spec: t.spec,
      };
      const s = process.hrtime.bigint();
      await kube.json('POST', `/api/v1/namespaces/${ns}/pods`, body);
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: CREATORS }, creator));
  const createSeconds = (Date.now() - t0) / 1000;
  await waitRunning(kube, ns, n, 600_000);
  return { createMs: summarize(times), createSeconds, endToEndSeconds: (Date.now() - t0) / 1000 };
}

async function deploymentPods(
  kube: KubeRest,
  ns: string,
  n: number,
  tpl: PodTemplate[],
): Promise<{ endToEndSeconds: number }> {
  const deployments = Math.max(1, Math.ceil(n / 100));
  const t0 = Date.now();
  for (let d = 0; d < deployments; d++) {
    const t = tpl[d % tpl.length] as PodTemplate;
    const labels = { ...t.metadata.labels, 'bench-deployment': `d${d}` };
    const replicas = Math.floor(n / deployments) + (d < n % deployments ? 1 : 0);
    await kube.json('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `d${d}` },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: t.spec } },
    });
  }
  await waitRunning(kube, ns, n, 900_000);
  return { endToEndSeconds: (Date.now() - t0) / 1000 };
}

async function startClusterWebhook(
  c: BenchCluster,
  root: string,
  logDir: string,
): Promise<{ child: Child; url: string; caPem: string; metricsPort: number }> {
  await ensureNamespace(c.kube, 'istio-system');
  await ensureNamespace(c.kube, 'meshwright-system');
  const values = JSON.stringify(buildInjectionConfig({ overlays: [] }).values);
  for (const [name, data] of [
    ['istio', { mesh: 'trustDomain: cluster.local\n' }],
    ['istio-sidecar-injector', { values, config: 'policy: enabled\n' }],
  ] as const)
    await c.kube.apply(`/api/v1/namespaces/istio-system/configmaps/${name}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'istio-system' },
      data,
    });
  const { ca, serving } = await selfSignedServing({
    commonName: 'meshwright-bench',
    ipAddresses: ['127.0.0.1'],
  });
  const cert = join(c.dir, 'webhook.crt');
  const key = join(c.dir, 'webhook.key');
  writeFileSync(cert, serving.certPem);
  writeFileSync(key, serving.keyPem, { mode: 0o600 });
  const [port, metricsPort, healthPort] = await freePorts(3);
  const child = startChild(
    'webhook',
    [
      join(root, 'bin', 'meshwright.js'),
      'webhook',
      `--kubeconfig=${c.cp.kubeconfigPath}`,
      `--tls-cert-file=${cert}`,
      `--tls-key-file=${key}`,
      '--istio-namespace=istio-system',
      '--webhook-namespace=meshwright-system',
      '--host=127.0.0.1',
      `--port=${port}`,
      `--metrics-port=${metricsPort}`,
      `--health-port=${healthPort}`,
      '--shutdown-delay=0',
    ],
    join(logDir, 'webhook-cluster.log'),
  );
  await waitFor(
    'webhook /readyz',
    async () => (await httpGet({ url: `http://127.0.0.1:${healthPort}/readyz` })).status === 200,
    60_000,
    child,
  );
  return { child, url: `https://127.0.0.1:${port}/inject`, caPem: ca.certPem, metricsPort: metricsPort ?? 0 };
}

/** The shipped MutatingWebhookConfiguration (same four selector cases), pointed at the local webhook. */
async function register(
  kube: KubeRest,
  root: string,
  url: string,
  caPem: string,
  probeNs: string,
): Promise<void> {
  const shipped = parse(
    readFileSync(join(root, 'config/webhook/base/mutatingwebhookconfiguration.yaml'), 'utf8'),
  ) as {
    webhooks: Record<string, unknown>[];
  };
  await kube.apply(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MWC_NAME}`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: MWC_NAME },
    webhooks: shipped.webhooks.map((w) => ({
      ...w,
      clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
    })),
  });
  // Registration takes effect after a moment: dry-run creates until one comes back injected.
  await waitFor(
    'the webhook registration to take effect',
    async () => {
      const pod = await kube.json<{
        spec?: { initContainers?: { name: string }[]; containers?: { name: string }[] };
      }>('POST', `/api/v1/namespaces/${probeNs}/pods?dryRun=All`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe' },
        spec: { containers: [{ name: 'app', image: 'busybox' }] },
      });
      return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
        (c) => c.name === 'istio-proxy',
      );
    },
    60_000,
  );
}

export async function runApiserverBench(
  o: SuiteOptions,
): Promise<{ section: Section; results: PhaseResult[] }> {
  const n = Number(process.env.BENCH_PODS ?? (o.quick ? 100 : 1000));
  if (!(n > 0)) throw new Error('BENCH_PODS must be a positive number');
  const tpl = templates(o.root);
  const cluster = await startBenchCluster(o.root, o.say);
  const results: PhaseResult[] = [];
  let webhook: Child | undefined;
  try {
    const wh = await startClusterWebhook(cluster, o.root, o.logDir);
    webhook = wh.child;
    const kube = cluster.kube;
    const spaces = {
      bare: 'bench-bare',
      bareInj: 'bench-bare-inj',
      deploy: 'bench-deploy',
      deployInj: 'bench-deploy-inj',
    };
    await ensureNamespace(kube, spaces.bare);
    await ensureNamespace(kube, spaces.deploy);
    await ensureNamespace(kube, spaces.bareInj, { 'istio-injection': 'enabled' });
    await ensureNamespace(kube, spaces.deployInj, { 'istio-injection': 'enabled' });

    const phase = async (
      name: string,
      ns: string,
      withWebhook: boolean,
      run: () => Promise<{ endToEndSeconds: number; createMs?: LatencySummary; createSeconds?: number }>,
    ) => {
      const l = load1();
      const before = await admissionHistogram(kube);
      const handlerBefore = await handlerHistogram(wh.metricsPort);
      const r = await run();
      const delta = histogramDelta(await admissionHistogram(kube), before);
      const handler = histogramDelta(await handlerHistogram(wh.metricsPort), handlerBefore);
      const died = webhook?.exited();
      if (died) throw new Error(died);
      const res: PhaseResult = {
        phase: name,
        webhook: withWebhook,
        pods: n,
        load1: l,
        ...r,
        podsPerSecond: n / r.endToEndSeconds,
        injectedPods: await injectedCount(kube, ns),
        ...(delta.count > 0 ? { admission: admissionFigures(delta) } : {}),
        ...(handler.count > 0
          ? {
              webhookHandler: {
                count: handler.count,
                meanMs: (handler.sum / handler.count) * 1000,
                p99Ms: quantile(handler, 0.99) * 1000,
              },
            }
          : {}),
      };
      results.push(res);
      o.say(
        `  ${name.padEnd(34)} ${round(res.podsPerSecond)} pods/s end to end (${round(r.endToEndSeconds)} s)` +
          (r.createMs ? `, create p50 ${round(r.createMs.p50)} ms p99 ${round(r.createMs.p99)} ms` : '') +
          (res.webhookHandler
            ? `, inside the webhook mean ${round(res.webhookHandler.meanMs)} ms p99 ${round(res.webhookHandler.p99Ms)} ms`
            : '') +
          (res.admission
            ? `, webhook admission mean ${round(res.admission.meanMs)} ms (${res.admission.count} calls)`
            : '') +
          `, injected ${res.injectedPods}, load ${l}`,
      );
    };

    // Without the webhook registered at all, then with it.
    await phase('bare pods, no webhook', spaces.bare, false, () => barePods(kube, spaces.bare, n, tpl));
    await register(kube, o.root, wh.url, wh.caPem, spaces.bareInj);
    await phase('bare pods, webhook', spaces.bareInj, true, () => barePods(kube, spaces.bareInj, n, tpl));
    await phase('Deployment pods, no webhook (unlabelled ns)', spaces.deploy, false, () =>
      deploymentPods(kube, spaces.deploy, n, tpl),
    );
    await phase('Deployment pods, webhook', spaces.deployInj, true, () =>
      deploymentPods(kube, spaces.deployInj, n, tpl),
    );
  } finally {
    await webhook?.stop();
    await cluster.stop();
  }
  return {
    section: {
      name: `Through the apiserver (${n} pods per phase)`,
      data: results,
      markdown: markdown(results),
    },
    results,
  };
}

function markdown(rs: PhaseResult[]): string {
  const ms = (s: LatencySummary | undefined) =>
    s ? `${round(s.p50)} / ${round(s.p99)} / ${round(s.max)}` : '-';
  return [
    `Local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes) on the same 2 cores. ` +
      `Bare pods: ${CREATORS} concurrent creators, Bookinfo containers in rotation. Deployments: 100 replicas each. ` +
      `End to end = first create until all pods Running. Admission = the apiserver's ` +
      `\`${ADMISSION_METRIC}\` for the meshwright webhooks (delta over the phase; p50/p99 interpolated in its coarse ` +
      `buckets 5/25/100 ms..., the mean is exact). "In webhook": the webhook's own \`controller_runtime_webhook_latency_seconds\` ` +
      `over the phase; admission time minus it is the apiserver's call overhead (connection, TLS, queueing).`,
    '',
    table(
      [
        'phase',
        'pods',
        'injected',
        'pods/s end to end',
        'seconds',
        'create ms p50 / p99 / max',
        'admission calls',
        'admission mean ms',
        'admission p50 / p99 ms',
        'in webhook mean / p99 ms',
        'load avg',
      ],
      rs.map((r) => [
        r.phase,
        r.pods,
        r.injectedPods,
        round(r.podsPerSecond),
        round(r.endToEndSeconds),
        ms(r.createMs),
        r.admission?.count ?? 0,
        r.admission ? round(r.admission.meanMs) : '-',
        r.admission ? `${round(r.admission.p50Ms)} / ${round(r.admission.p99Ms)}` : '-',
        r.webhookHandler ? `${round(r.webhookHandler.meanMs)} / ${round(r.webhookHandler.p99Ms)}` : '-',
        r.load1,
      ]),
    ),
  ].join('\n');
}
