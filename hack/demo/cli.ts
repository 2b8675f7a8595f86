// `make demo` / `make demo-down`: Meshwright end to end on a real control plane.
//   node dist/hack/demo/cli.js up     local control plane (or DEMO_CLUSTER=existing + KUBECONFIG), IstioOperator
//                                     CRD, operator and webhook as background processes, the demo profile,
//                                     Bookinfo with sidecars, a 90/10 canary, and a summary
//   node dist/hack/demo/cli.js down   stops what `up` started and removes what it applied
// DEMO_UPGRADE=1 `up` shows the canary upgrade instead (upgrade.ts): revisions 1-30 and 1-31, tags, the
// batched sidecar rollout, the gateway move and the held deletion of the old revision.
// Every step says what it does; a failing step names itself, why, and whose component it is.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../cluster/binaries';
import { stopProcess, type RunningProcess } from '../cluster/processes';
import { freePorts } from '../cluster/ports';
import { registry, tearDown } from '../cluster/registry';
import { readState } from '../cluster/state';
import { httpGet } from '../cluster/readiness';
import { deathNotice, startOperator, startWebhook, type StartComponentOptions } from './components';
import {
  describeError,
  ensureNamespace,
  Kube,
  loadKubeConfigFile,
  nameOf,
  parseYamlStream,
  waitUntil,
  type Obj,
} from './kube';
import { foreignNamespaces, rbacObjects, serviceAccountKubeconfig } from './identities';
import { loadShippedRegistration, urlRegistration } from './registration';
import {
  demoPaths,
  readDemoState,
  removeDemoState,
  writeDemoState,
  type ClusterMode,
  type DemoState,
} from './state';
import { Steps, StepError, timingTable } from './steps';
import { GATEWAY_IOP, IOP_API, NEW, OLD, TAG_API, TAGS } from './upgrade-objects';
import { runUpgrade, UPGRADE_STEPS } from './upgrade';
import { ignoreUnservedValidation } from './validation';
import {
  admissionCounts,
  componentTable,
  iopProgress,
  iopStatus,
  istioObjectTable,
  podContainers,
  podTable,
} from './summary';

const say = (line: string) => process.stdout.write(`${line}\n`);
const IOP_SAMPLE = 'config/samples/install_v1alpha1_istiooperator_demo.yaml';
const CANARY = 'hack/demo/reviews-canary.yaml';
const DEMO_NAMESPACE = process.env.DEMO_NAMESPACE ?? 'bookinfo';
const BOOKINFO_DIR = process.env.BOOKINFO_DIR ?? '../shared/reference/istio-1.30.3/samples/bookinfo';
const BOOKINFO_FILES = ['platform/kube/bookinfo.yaml'];
const BOOKINFO_NETWORKING = ['networking/bookinfo-gateway.yaml', 'networking/destination-rule-all.yaml'];
const HEALTHY_TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_SECONDS ?? 300) * 1000;
const UPGRADE = process.env.DEMO_UPGRADE === '1';
/** The upgrade demo's second namespace, served by tag `default` through istio-injection=enabled. */
const DEFAULT_TAG_NAMESPACE = process.env.DEMO_DEFAULT_NAMESPACE ?? 'bookinfo-legacy';
/** Steps shared by both flows (cluster, CRDs, RBAC, webhook, operator), then each flow's own. */
const COMMON_STEPS = 5;
const steps = new Steps(COMMON_STEPS + (UPGRADE ? UPGRADE_STEPS : 5), say);
const step = <T>(title: string, owner: string, run: () => Promise<T>) => steps.run(title, owner, run);

function readText(root: string, rel: string): string {
  return readFileSync(join(root, rel), 'utf8');
}

function kustomizeBuild(root: string, dir: string): Obj[] {
  const bin = process.env.KUSTOMIZE ?? '';
  if (!bin)
    throw new Error('KUSTOMIZE is not set (the Makefile passes the pinned binary; run through `make demo`)');
  const r = spawnSync(bin, ['build', join(root, dir)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kustomize build ${dir}: ${r.stderr || r.error?.message}`);
  return parseYamlStream(r.stdout, dir);
}

/** Fails the wait at once when a component we started has died, instead of timing out. */
function alive(procs: readonly RunningProcess[]): void {
  for (const p of procs) {
    const notice = deathNotice(p);
    if (notice) throw new StepError(`running ${p.name}`, p.name, notice);
  }
}

async function startCluster(root: string, mode: ClusterMode): Promise<string> {
  if (mode === 'existing') {
    const kubeconfig = process.env.KUBECONFIG ?? '';
    if (!kubeconfig) throw new Error('DEMO_CLUSTER=existing needs KUBECONFIG pointing at the cluster');
    say(`  using the existing cluster of KUBECONFIG=${kubeconfig}`);
    return kubeconfig;
  }
  // The rig's own entry point: reuses a running local cluster, otherwise starts one (detached).
  const r = spawnSync(process.execPath, [join(root, 'dist/hack/cluster/cli.js'), 'up'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`hack/cluster up exited with ${r.status ?? r.signal}`);
  return demoPaths(root).localKubeconfig;
}

async function waitEstablished(kube: Kube, name: string): Promise<void> {
  await waitUntil(
    `CRD ${name}`,
    60_000,
    async () => {
      const crd = await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name);
      const conds = (crd?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
      return conds.some((c) => c.type === 'Established' && c.status === 'True')
        ? { done: undefined }
        : { progress: 'not established yet' };
    },
    say,
  );
}

async function probe(url: string): Promise<boolean> {
  try {
    return (await httpGet({ url }, 1500)).status === 200;
  } catch {
    return false;
  }
}

/** A pod dry-run-created in the labelled namespace comes back with the sidecar: injection works end to end. */
async function injectionWorks(kube: Kube, procs: readonly RunningProcess[]): Promise<string[]> {
  const pod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'meshwright-demo-probe', namespace: DEMO_NAMESPACE, labels: { app: 'probe' } },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
  };
  return waitUntil<string[]>(
    'injection of a dry-run pod',
    90_000,
    async () => {
      alive(procs);
      const created = await kube.create(pod, true);
      const c = podContainers(created);
      return c.injected
        ? { done: [...c.init, ...c.containers] }
        : { progress: 'pod admitted without a sidecar' };
    },
    say,
  );
}

async function up(): Promise<number> {
  const root = repoRoot(__dirname);
  const paths = demoPaths(root);
  const mode: ClusterMode = process.env.DEMO_CLUSTER === 'existing' ? 'existing' : 'local';
  const t0 = Date.now();
  mkdirSync(paths.logsDir, { recursive: true });

  const previous = readDemoState(paths.stateFile);
  if (previous) {
    say('a previous demo is still recorded; stopping its processes first');
    for (const p of previous.processes) await stopProcess(p);
    removeDemoState(paths.stateFile);
  }

  const kubeconfig = await step(
    mode === 'local' ? 'local control plane (hack/cluster)' : 'existing cluster',
    'rig (hack/cluster)',
    () => startCluster(root, mode),
  );
  const kube = new Kube(loadKubeConfigFile(kubeconfig));

  await step(
    'IstioOperator CRD (kustomize build config/crd, server-side apply)',
    'deploy (config/crd)',
    async () => {
      for (const crd of kustomizeBuild(root, 'config/crd')) {
        await kube.apply(crd);
        say(`  applied ${nameOf(crd)}`);
        await waitEstablished(kube, crd.metadata?.name ?? '');
      }
      const other = await otherFlavour(kube);
      if (other) throw new Error(other);
    },
  );

  const identities = await step(
    'RBAC from config/default; the operator and the webhook run as their ServiceAccounts',
    'deploy (config/rbac)',
    async () => {
      const rbac = rbacObjects(kustomizeBuild(root, 'config/default'));
      for (const ns of foreignNamespaces(rbac)) await ensureNamespace(kube, ns, {}, say);
      for (const o of rbac) await kube.apply(o);
      say(`  applied ${rbac.map((o) => o.kind).join(', ')}`);
      const dir = dirname(paths.stateFile);
      const files = {
        operator: join(dir, 'operator.kubeconfig'),
        webhook: join(dir, 'webhook.kubeconfig'),
      };
      mkdirSync(dir, { recursive: true });
      await serviceAccountKubeconfig(
        kube.kc,
        'meshwright-system',
        'meshwright-operator',
        files.operator,
        kube,
      );
      await serviceAccountKubeconfig(kube.kc, 'meshwright-system', 'meshwright-webhook', files.webhook, kube);
      say(`  token kubeconfigs: ${files.operator}, ${files.webhook}`);
      return files;
    },
  );

  const [webhook, webhookMetrics, webhookHealth, operatorMetrics, operatorHealth] = await freePorts(5);
  const opts: StartComponentOptions = {
    root,
    kubeconfig: identities,
    logsDir: paths.logsDir,
    ports: {
      webhook: webhook ?? 0,
      webhookMetrics: webhookMetrics ?? 0,
      webhookHealth: webhookHealth ?? 0,
      operatorMetrics: operatorMetrics ?? 0,
      operatorHealth: operatorHealth ?? 0,
    },
    webhookHost: process.env.DEMO_WEBHOOK_HOST ?? '127.0.0.1',
    listenHost: process.env.DEMO_WEBHOOK_HOST ? '0.0.0.0' : '127.0.0.1',
    render: demoRender(root),
    ...(UPGRADE
      ? { injectionUrl: `https://${process.env.DEMO_WEBHOOK_HOST ?? '127.0.0.1'}:${webhook ?? 0}` }
      : {}),
  };
  const state: DemoState = {
    mode,
    kubeconfig,
    processes: [],
    webhookPort: opts.ports.webhook,
    ...(UPGRADE ? { upgrade: true } : {}),
    startedAt: new Date().toISOString(),
  };
  const procs: RunningProcess[] = [];

  if (UPGRADE)
    await step(
      'webhook: `meshwright webhook --self-signed` (the operator registers it per revision and tag)',
      'webhook',
      async () => {
        const p = startWebhook(opts);
        procs.push(p);
        state.processes.push({ name: p.name, pid: p.pid, command: p.command, logFile: p.logFile });
        writeDemoState(paths.stateFile, state);
        say(`  pid ${p.pid}, log ${p.logFile}`);
        const url = `http://127.0.0.1:${opts.ports.webhookHealth}/healthz`;
        await waitUntil(
          'webhook /healthz',
          60_000,
          async () => {
            alive(procs);
            return (await probe(url)) ? { done: undefined } : { progress: 'not answering yet' };
          },
          say,
        );
      },
    );
  else
    await step(
      'webhook: registration by URL, then `meshwright webhook --self-signed`',
      'webhook',
      async () => {
        const url = `https://${opts.webhookHost}:${opts.ports.webhook}/inject`;
        const mwc = urlRegistration(loadShippedRegistration(root), url);
        await kube.apply(mwc);
        say(
          `  MutatingWebhookConfiguration ${mwc.metadata?.name} -> ${url} (${(mwc.webhooks as unknown[]).length} webhooks)`,
        );
        const p = startWebhook(opts);
        procs.push(p);
        state.processes.push({ name: p.name, pid: p.pid, command: p.command, logFile: p.logFile });
        writeDemoState(paths.stateFile, state);
        say(`  pid ${p.pid}, log ${p.logFile}`);
        await waitUntil(
          'webhook caBundle',
          60_000,
          async () => {
            alive(procs);
            const live = await kube.get(
              'admissionregistration.k8s.io/v1',
              'MutatingWebhookConfiguration',
              'meshwright-sidecar-injector',
            );
            const hooks = (live?.webhooks as { clientConfig?: { caBundle?: string } }[] | undefined) ?? [];
            return hooks.length > 0 && hooks.every((h) => h.clientConfig?.caBundle)
              ? { done: undefined }
              : { progress: 'caBundle not published yet' };
          },
          say,
        );
      },
    );

  await step(
    'operator: `meshwright operator` (leader election in meshwright-system)',
    'operator',
    async () => {
      const p = startOperator(opts);
      procs.push(p);
      state.processes.push({ name: p.name, pid: p.pid, command: p.command, logFile: p.logFile });
      writeDemoState(paths.stateFile, state);
      say(`  pid ${p.pid}, log ${p.logFile}`);
      const url = `http://127.0.0.1:${opts.ports.operatorHealth}/healthz`;
      await waitUntil(
        'operator /healthz',
        60_000,
        async () => {
          alive(procs);
          return (await probe(url)) ? { done: undefined } : { progress: 'not answering yet' };
        },
        say,
      );
    },
  );

  if (UPGRADE) {
    await runUpgrade({
      kube,
      steps,
      say,
      alive: () => alive(procs),
      webhookReady: () => probe(`http://127.0.0.1:${opts.ports.webhookHealth}/readyz`),
      iopNs: 'istio-system',
      prodNs: DEMO_NAMESPACE,
      defaultNs: DEFAULT_TAG_NAMESPACE,
      bookinfoRoot: join(root, BOOKINFO_DIR),
      timeoutMs: HEALTHY_TIMEOUT_MS,
    });
    say(
      `\nsteps (load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')} at the end):`,
    );
    say(timingTable(steps.timings));
    say(
      `\nupgrade demo up in ${((Date.now() - t0) / 1000).toFixed(0)}s; everything keeps running. Stop it with: make demo-down`,
    );
    say(`webhook: ${join(paths.logsDir, 'webhook.log')}   operator: ${join(paths.logsDir, 'operator.log')}`);
    say(`kubeconfig: ${kubeconfig}`);
    return 0;
  }

  const iopDoc = parseYamlStream(readText(root, IOP_SAMPLE), IOP_SAMPLE)[0];
  if (!iopDoc) throw new StepError('IstioOperator', 'deploy', `${IOP_SAMPLE} is empty`);
  const iopNs = iopDoc.metadata?.namespace ?? 'istio-system';
  const iopName = iopDoc.metadata?.name ?? 'demo';
  await step(`IstioOperator ${iopNs}/${iopName} (profile demo) until HEALTHY`, 'operator', async () => {
    await ensureNamespace(kube, iopNs, {}, say);
    await kube.apply(iopDoc);
    await waitUntil(
      'IstioOperator',
      HEALTHY_TIMEOUT_MS,
      async () => {
        alive(procs);
        const iop = await kube.get(IOP_API, 'IstioOperator', iopName, iopNs);
        const s = iopStatus(iop);
        if (s.status === 'HEALTHY') return { done: undefined };
        if (s.status === 'ERROR' || s.status === 'ACTION_REQUIRED') {
          const details = Object.entries(s.componentStatus ?? {})
            .filter(([, c]) => c.error)
            .map(([n, c]) => `${n}: ${c.error}`);
          throw new StepError(
            'IstioOperator',
            'operator',
            `${iopProgress(iop)} ${s.message ?? ''} ${details.join('; ')}`,
          );
        }
        return { progress: iopProgress(iop) };
      },
      say,
      2000,
    );
  });

  const sidecarContainers = await step(
    `namespace ${DEMO_NAMESPACE} labelled istio-injection=enabled; injection check`,
    'webhook',
    async () => {
      await ensureNamespace(kube, DEMO_NAMESPACE, { 'istio-injection': 'enabled' }, say);
      await waitUntil(
        'webhook /readyz (injector ConfigMap synced)',
        60_000,
        async () => {
          alive(procs);
          return (await probe(`http://127.0.0.1:${opts.ports.webhookHealth}/readyz`))
            ? { done: undefined }
            : { progress: 'not ready' };
        },
        say,
      );
      const names = await injectionWorks(kube, procs);
      say(`  a dry-run pod comes back with: ${names.join(', ')}`);
      return names;
    },
  );

  const bookinfoRoot = join(root, BOOKINFO_DIR);
  await step(`Bookinfo (${BOOKINFO_DIR}/platform/kube/bookinfo.yaml)`, 'deploy (demo)', async () => {
    for (const rel of BOOKINFO_FILES) {
      for (const o of parseYamlStream(readFileSync(join(bookinfoRoot, rel), 'utf8'), rel)) {
        await kube.apply(o, DEMO_NAMESPACE);
      }
    }
    await waitUntil(
      'Bookinfo Deployments',
      180_000,
      async () => {
        alive(procs);
        const deps = await kube.list('apps/v1', 'Deployment', DEMO_NAMESPACE);
        const waiting = deps.filter((d) => {
          const st = (d.status ?? {}) as { availableReplicas?: number; replicas?: number };
          return !st.replicas || (st.availableReplicas ?? 0) < st.replicas;
        });
        return deps.length > 0 && waiting.length === 0
          ? { done: undefined }
          : { progress: `${deps.length - waiting.length}/${deps.length} available` };
      },
      say,
    );
  });

  const istioObjects = await step(
    'Istio traffic objects: gateway, destination rules, 90/10 reviews canary',
    'deploy (demo)',
    async () => {
      const applied: Obj[] = [];
      const ignored = await ignoreUnservedValidation(kube);
      if (ignored.length)
        say(
          `  no istiod runs on kwok nodes: failurePolicy Ignore (as istiod sets until it serves) on ${ignored.join(', ')}`,
        );
      const docs = [
        ...BOOKINFO_NETWORKING.map((rel) => ({ rel, text: readFileSync(join(bookinfoRoot, rel), 'utf8') })),
        { rel: CANARY, text: readText(root, CANARY) },
      ];
      for (const { rel, text } of docs) {
        for (const o of parseYamlStream(text, rel)) {
          applied.push(await kube.apply(o, DEMO_NAMESPACE));
          say(`  applied ${nameOf(o)} (${rel.split('/').pop()})`);
        }
      }
      return applied;
    },
  );

  await step('summary', 'deploy (demo)', async () => {
    const iop = await kube.get(IOP_API, 'IstioOperator', iopName, iopNs);
    const workloads = [
      ...(await kube.list('apps/v1', 'Deployment', iopNs)),
      ...(await kube.list('apps/v1', 'DaemonSet', iopNs)),
    ];
    const pods = await kube.list('v1', 'Pod', DEMO_NAMESPACE);
    const notInjected = pods.filter((p) => !podContainers(p).injected).map((p) => p.metadata?.name);
    say('');
    say(componentTable(iop, workloads));
    say('');
    say(`Bookinfo pods in ${DEMO_NAMESPACE} (${pods.length}):`);
    say(podTable(pods));
    say('');
    say('Istio objects applied:');
    say(istioObjectTable(istioObjects));
    say('');
    const metrics = await httpGet({ url: `http://127.0.0.1:${opts.ports.webhookMetrics}/metrics` }).catch(
      () => undefined,
    );
    say(
      `webhook admission decisions: ${(metrics && admissionCounts(metrics.body)) || 'metrics unavailable'}`,
    );
    say(`webhook: ${join(paths.logsDir, 'webhook.log')}   operator: ${join(paths.logsDir, 'operator.log')}`);
    say(`kubeconfig: ${kubeconfig}   (mode: ${mode}; injected containers: ${sidecarContainers.join(', ')})`);
    if (notInjected.length > 0)
      throw new StepError('summary', 'webhook', `pods without a sidecar: ${notInjected.join(', ')}`);
  });

  say(
    `\ndemo up in ${((Date.now() - t0) / 1000).toFixed(0)}s; everything keeps running. Stop it with: make demo-down`,
  );
  return 0;
}

async function down(): Promise<number> {
  const root = repoRoot(__dirname);
  const paths = demoPaths(root);
  const state = readDemoState(paths.stateFile);
  const mode: ClusterMode = state?.mode ?? (process.env.DEMO_CLUSTER === 'existing' ? 'existing' : 'local');
  if (mode === 'existing') {
    // Undo what `up` applied, while the operator still runs: deleting the IstioOperator lets its finalizer
    // uninstall the control plane.
    const kubeconfig = state?.kubeconfig ?? process.env.KUBECONFIG ?? '';
    if (!kubeconfig) throw new Error('no demo state and no KUBECONFIG: nothing to clean up');
    const kube = new Kube(loadKubeConfigFile(kubeconfig));
    if (state?.upgrade ?? UPGRADE) await downUpgrade(kube);
    else {
      const iop = parseYamlStream(readText(root, IOP_SAMPLE), IOP_SAMPLE)[0];
      await kube.delete('v1', 'Namespace', DEMO_NAMESPACE);
      say(`deleted namespace ${DEMO_NAMESPACE}`);
      if (iop) await deleteIop(kube, iop.metadata?.name ?? '', iop.metadata?.namespace ?? 'istio-system');
    }
    await kube.delete(
      'admissionregistration.k8s.io/v1',
      'MutatingWebhookConfiguration',
      'meshwright-sidecar-injector',
    );
    // The RBAC of step 3, apart from namespaces (istio-system went with the IstioOperator).
    for (const o of rbacObjects(kustomizeBuild(root, 'config/default')).filter((o) => o.kind !== 'Namespace'))
      await kube.delete(o.apiVersion ?? 'v1', o.kind ?? '', o.metadata?.name ?? '', o.metadata?.namespace);
    await kube.delete('v1', 'Namespace', 'meshwright-system');
    say('deleted the webhook registration, the RBAC and namespace meshwright-system');
  }
  for (const p of state?.processes ?? []) {
    await stopProcess(p);
    say(`stopped ${p.name} (pid ${p.pid})`);
  }
  removeDemoState(paths.stateFile);
  if (mode === 'local') {
    // Only the developer cluster: `cluster down` would also stop test runs other people have going.
    // Its logs stay in .cluster/local/logs until the next `up`.
    const reg = registry(root);
    const cluster = readState(reg.stateFile);
    if (cluster) {
      const n = await tearDown(reg.stateFile, cluster, false);
      rmSync(reg.kubeconfig, { force: true });
      say(`stopped the local control plane (${n} processes)`);
    }
  }
  say('demo stopped');
  return 0;
}

/** Deletes an IstioOperator and waits while its finalizer uninstalls what it owned (a timeout is reported). */
async function deleteIop(kube: Kube, name: string, namespace: string): Promise<void> {
  if (!(await kube.delete(IOP_API, 'IstioOperator', name, namespace))) return;
  await waitUntil(
    `IstioOperator ${name} uninstall`,
    180_000,
    async () => {
      const live = await kube.get(IOP_API, 'IstioOperator', name, namespace);
      return live
        ? { progress: iopStatus(live).message ?? 'finalizer still uninstalling' }
        : { done: undefined };
    },
    say,
    2000,
  ).then(
    () => say(`deleted IstioOperator ${namespace}/${name}`),
    (err: unknown) => say(`  ${describeError(err)}`),
  );
}

/**
 * The upgrade demo's objects on an existing cluster, users first so no deletion is held: the two
 * namespaces (their pods run the sidecars), the tags, the gateway, then the revisions.
 */
async function downUpgrade(kube: Kube): Promise<void> {
  for (const ns of [DEMO_NAMESPACE, DEFAULT_TAG_NAMESPACE]) await kube.delete('v1', 'Namespace', ns);
  await waitUntil(
    'namespaces deleted',
    180_000,
    async () => {
      const left = [];
      for (const ns of [DEMO_NAMESPACE, DEFAULT_TAG_NAMESPACE])
        if (await kube.get('v1', 'Namespace', ns)) left.push(ns);
      return left.length ? { progress: `${left.join(', ')} terminating` } : { done: undefined };
    },
    say,
    1000,
  ).catch((err: unknown) => say(`  ${describeError(err)}`));
  say(`deleted namespaces ${DEMO_NAMESPACE}, ${DEFAULT_TAG_NAMESPACE}`);
  for (const t of TAGS) await kube.delete(TAG_API, 'IstioRevisionTag', t);
  say(`deleted revision tags ${TAGS.join(', ')}`);
  // All at once: the gateways-only IstioOperator and the one installing istiod of the same revision each
  // hold the other's deletion while it is not being deleted itself, so one at a time would wait for a timeout.
  const names = [GATEWAY_IOP, NEW.revision, OLD.revision];
  for (const name of names) await kube.delete(IOP_API, 'IstioOperator', name, 'istio-system');
  await waitUntil(
    'IstioOperators uninstalled',
    180_000,
    async () => {
      const left = [];
      for (const name of names) {
        const live = await kube.get(IOP_API, 'IstioOperator', name, 'istio-system');
        if (live) left.push(`${name}: ${iopStatus(live).message ?? 'finalizer still uninstalling'}`);
      }
      return left.length ? { progress: left.join('; ') } : { done: undefined };
    },
    say,
    1000,
  ).then(
    () => say(`deleted IstioOperators ${names.join(', ')}`),
    (err: unknown) => say(`  ${describeError(err)}`),
  );
}

/**
 * The two flows install different things in istio-system (the `demo` profile with a static webhook, or two
 * revisions with tags, whose `default` tag would conflict with that webhook): one at a time per cluster.
 */
async function otherFlavour(kube: Kube): Promise<string | undefined> {
  const names = UPGRADE ? ['demo'] : [OLD.revision, NEW.revision, GATEWAY_IOP];
  const found = [];
  for (const n of names) if (await kube.get(IOP_API, 'IstioOperator', n, 'istio-system')) found.push(n);
  if (UPGRADE && found.length === 0) {
    // The upgrade starts from 1.30 with nothing moved yet; a second run would start half-way (or downgrade).
    const ran = [];
    for (const n of [OLD.revision, NEW.revision, GATEWAY_IOP])
      if (await kube.get(IOP_API, 'IstioOperator', n, 'istio-system')) ran.push(`istio-system/${n}`);
    if (ran.length)
      return `the upgrade demo already ran on this cluster (IstioOperator(s) ${ran.join(', ')}): run \`make demo-down\` first, it starts from 1.30 each time`;
  }
  if (found.length === 0) return undefined;
  return (
    `IstioOperator(s) ${found.map((n) => `istio-system/${n}`).join(', ')} of the ${UPGRADE ? 'plain' : 'upgrade (DEMO_UPGRADE=1)'} ` +
    `demo are on this cluster: run \`make demo-down\`${UPGRADE ? '' : ' DEMO_UPGRADE=1'} first`
  );
}

async function main(argv: string[]): Promise<number> {
  switch (argv[0]) {
    case 'up':
      return up();
    case 'down':
      return down();
    default:
      process.stderr.write('usage: cli.js up|down\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StepError) {
      say(`\ndemo FAILED at step "${err.step}" (component: ${err.owner}):\n${err.message}`);
      say(
        'what was started keeps running for inspection (logs in .cluster/logs/); stop it with: make demo-down',
      );
    } else {
      say(`\ndemo FAILED: ${describeError(err)}`);
    }
    process.exit(1);
  },
);

/**
 * The operator renders the release's charts with the pinned helm (hack/build-helm.sh); releases come from
 * MESHWRIGHT_RELEASES_DIR, else ../shared/reference when this checkout has it, else the official download.
 */
function demoRender(root: string): { helm: string; releasesDir?: string } {
  const built = spawnSync('bash', [join(root, 'hack', 'build-helm.sh')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`hack/build-helm.sh failed: ${built.stderr.trim()}`);
  const helm = built.stdout.trim().split('\n').pop() ?? '';
  const reference = join(root, '..', 'shared', 'reference');
  const releasesDir = process.env.MESHWRIGHT_RELEASES_DIR ?? (existsSync(reference) ? reference : undefined);
  return { helm, releasesDir };
}
