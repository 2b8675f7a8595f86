// Least privilege, proven from the apiserver's audit log. config/default's RBAC is applied to a control
// plane of this file's own (its audit log then holds nothing but this test's traffic), the built operator
// and webhook run as their ServiceAccounts with TokenRequest kubeconfigs (as `make demo` runs them), and
// they are exercised end to end: the demo IstioOperator installed to HEALTHY (the operator creates the
// missing istio-system), the webhook in --self-signed mode registered by URL, the pods of a Deployment and a
// StatefulSet injected in a labelled namespace, two config changes (new proxy tags; the second also switches
// to the default profile with CNI and an autoscaled istiod, so DaemonSets, HPAs and PDBs are installed and
// the egress gateway pruned) each rolled out to both workloads by spec.sidecarRollout, a webhook restart
// with a new certificate name, and the IstioOperator deleted until its finalizer ran. About 35 s. Then, for the two users (attributed by user.username):
// - any request answered 403 fails the test (a missing permission);
// - any granted (verb, resource) no request used fails the test (an unused permission), unless it is in
//   ALLOWED_UNUSED below with the reason.
import type { KubeConfig } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../hack/cluster/ports';
import { foreignNamespaces, rbacObjects, serviceAccountKubeconfig } from '../../hack/demo/identities';
import { Kube, parseYamlStream, type Obj } from '../../hack/demo/kube';
import { loadShippedRegistration, urlRegistration } from '../../hack/demo/registration';
import { INJECTION_WEBHOOK_LABEL } from '../../webhook/selfsigned/plan';
import {
  forbidden,
  grantsOf,
  permissionKey,
  permissionsOf,
  readAudit,
  requestsOf,
  startCli,
  startPrivateControlPlane,
  stopCli,
  unusedPermissions,
  usageTable,
  type CliProcess,
  type PrivateControlPlane,
  type Request,
} from './support/audit';
import { operatorReleaseEnv } from './support/chart-render';
import { waitFor } from './support/cluster';

jest.setTimeout(420_000);

const ROOT = join(__dirname, '..', '..');
const SYSTEM = 'meshwright-system';
const OPERATOR_SA = 'meshwright-operator';
const WEBHOOK_SA = 'meshwright-webhook';
const OPERATOR_USER = `system:serviceaccount:${SYSTEM}:${OPERATOR_SA}`;
const WEBHOOK_USER = `system:serviceaccount:${SYSTEM}:${WEBHOOK_SA}`;
const IOP_API = 'install.istio.io/v1alpha1';
const IOP_NS = 'istio-operator';
const APPS_NS = 'rbac-audit-apps';

const STABLE_ONLY = 'the stable profile renders them; this run installs demo and default';
const MULTUS_ONLY = 'the openshift profiles render it; this cluster serves no NetworkAttachmentDefinition';

/**
 * Granted permissions the run cannot exercise, each with the reason it is still needed. Keys are
 * permissionKey() strings; an entry that matches no granted permission fails the test (stale list).
 */
const ALLOWED_UNUSED: Record<string, string> = {
  // Never a request verb: the RBAC authorizer checks them while the operator creates or updates istiod's
  // (Cluster)Roles and bindings, which grant more than the operator holds (config/rbac/operator_role.yaml).
  'ClusterRole/meshwright-operator: escalate rbac.authorization.k8s.io/clusterroles':
    'checked inside the create/patch of istiod ClusterRoles, never audited as a request of its own',
  'ClusterRole/meshwright-operator: escalate rbac.authorization.k8s.io/roles':
    'checked inside the create/patch of istiod Roles, never audited as a request of its own',
  'ClusterRole/meshwright-operator: bind rbac.authorization.k8s.io/clusterroles':
    'checked inside the create/patch of istiod ClusterRoleBindings, never audited as a request of its own',
  'ClusterRole/meshwright-operator: bind rbac.authorization.k8s.io/roles':
    'checked inside the create/patch of istiod RoleBindings, never audited as a request of its own',
  // Pinned by test/integration/config.test.ts (its owner's file) but used by nothing here: the operator sets
  // no ownerReferences (ownership is by label), so OwnerReferencesPermissionEnforcement never asks for it.
  // Candidate for removal together with that assertion.
  'ClusterRole/meshwright-operator: update install.istio.io/istiooperators/finalizers':
    'pinned by config.test.ts; no ownerReferences are set, so no request needs it',
  // Rendered only by the stable profile (VAP) and the openshift profiles with Multus (NAD), which this run's
  // demo/default IstioOperator does not use; the cluster here serves no NetworkAttachmentDefinition, so it is
  // not even listed. test/integration/operator-kinds.test.ts applies them through the operator.
  'ClusterRole/meshwright-operator: get admissionregistration.k8s.io/validatingadmissionpolicies':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: create admissionregistration.k8s.io/validatingadmissionpolicies':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: patch admissionregistration.k8s.io/validatingadmissionpolicies':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: delete admissionregistration.k8s.io/validatingadmissionpolicies':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: get admissionregistration.k8s.io/validatingadmissionpolicybindings':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: create admissionregistration.k8s.io/validatingadmissionpolicybindings':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: patch admissionregistration.k8s.io/validatingadmissionpolicybindings':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: delete admissionregistration.k8s.io/validatingadmissionpolicybindings':
    STABLE_ONLY,
  'ClusterRole/meshwright-operator: get k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  'ClusterRole/meshwright-operator: list k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  'ClusterRole/meshwright-operator: watch k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  'ClusterRole/meshwright-operator: create k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  'ClusterRole/meshwright-operator: patch k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  'ClusterRole/meshwright-operator: delete k8s.cni.cncf.io/network-attachment-definitions': MULTUS_ONLY,
  // Pinned by config.test.ts (the Role's verbs must be exactly get, list, watch); the webhook's ConfigMap
  // informer only lists and watches. Candidate for removal together with that assertion.
  'Role/meshwright-webhook-istio-config (in istio-system): get core/configmaps':
    'pinned by config.test.ts; the informer lists and watches only',
  // Used only by an operator given --injection-service/--injection-url (it then applies each revision's
  // injection webhooks and runs the IstioRevisionTag controller); this audit runs it without, so that the
  // static default-revision webhook stays the only injector. canary-upgrade.test.ts exercises them.
  ...Object.fromEntries(
    [
      'get meshwright.io/istiorevisiontags',
      'list meshwright.io/istiorevisiontags',
      'watch meshwright.io/istiorevisiontags',
      'patch meshwright.io/istiorevisiontags/status',
      'get admissionregistration.k8s.io/mutatingwebhookconfigurations',
      'create admissionregistration.k8s.io/mutatingwebhookconfigurations',
      'patch admissionregistration.k8s.io/mutatingwebhookconfigurations',
      'delete admissionregistration.k8s.io/mutatingwebhookconfigurations',
    ].map((p) => [
      `ClusterRole/meshwright-operator: ${p}`,
      'used only with --injection-service/--injection-url',
    ]),
  ),
};

let cp: PrivateControlPlane;
// The ServiceAccount token kubeconfigs; removed after the run.
const kcDir = mkdtempSync(join(tmpdir(), 'mw-rbac-audit-'));
let admin: Kube;
const procs: CliProcess[] = [];

function kustomizeBuild(dir: string): Obj[] {
  const bin = spawnSync('bash', [join(ROOT, 'hack/build-kustomize.sh')], { encoding: 'utf8' });
  if (bin.status !== 0) throw new Error(`hack/build-kustomize.sh: ${bin.stderr}`);
  const r = spawnSync(bin.stdout.trim(), ['build', join(ROOT, dir)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`kustomize build ${dir}: ${r.stderr}`);
  return parseYamlStream(r.stdout, dir);
}

async function ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  await waitFor(
    async () => (await admin.get('v1', 'ServiceAccount', 'default', name)) !== undefined,
    30_000,
    `default ServiceAccount in ${name}`,
  );
}

async function iop(): Promise<Obj | undefined> {
  return admin.get(IOP_API, 'IstioOperator', 'demo', IOP_NS);
}

interface IopStatus {
  status?: string;
  componentStatus?: Record<string, { status: string; error?: string }>;
  meshwright?: { sidecarRollout?: { phase?: string; restarted?: string[]; targetImage?: string } };
}

async function waitHealthy(what: string, extra: (s: IopStatus) => boolean = () => true): Promise<void> {
  await waitFor(
    async () => {
      for (const p of procs)
        if (p.child.exitCode !== null)
          throw new Error(`${p.name} exited ${p.child.exitCode}: ${p.log.slice(-5).join('\n')}`);
      const s = (await iop())?.status as IopStatus | undefined;
      if (s?.status === 'HEALTHY' && extra(s)) return true;
      throw new Error(`status ${JSON.stringify(s)}`);
    },
    180_000,
    what,
    1000,
  );
}

function webhookArgs(kubeconfig: string, ports: number[], sans: string[]): string[] {
  return [
    'webhook',
    '--self-signed',
    ...sans.map((s) => `--self-signed-san=${s}`),
    `--webhook-namespace=${SYSTEM}`,
    '--istio-namespace=istio-system',
    `--kubeconfig=${kubeconfig}`,
    '--host=127.0.0.1',
    `--port=${ports[0]}`,
    `--metrics-port=${ports[1]}`,
    `--health-port=${ports[2]}`,
  ];
}

async function injectedPods(): Promise<Obj[]> {
  return (await admin.list('v1', 'Pod', APPS_NS)).filter((p) => {
    const spec = p.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] };
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) => c.name === 'istio-proxy');
  });
}

const proxyImages = (pods: Obj[]): string[] =>
  pods.flatMap((p) => {
    const spec = p.spec as {
      containers?: { name: string; image: string }[];
      initContainers?: { name: string; image: string }[];
    };
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])]
      .filter((c) => c.name === 'istio-proxy')
      .map((c) => c.image);
  });

/** HTTP status of a GET of `path` as the admin of `kc`. */
async function apiStatus(kc: KubeConfig, path: string): Promise<number> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, server), { ...opts, method: 'GET', timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The two users' requests, printed as the (user, verb, group/resource, count) table. */
function auditedRequests(): Request[] {
  const reqs = requestsOf(readAudit(cp.auditLog), [OPERATOR_USER, WEBHOOK_USER]);
  process.stdout.write(`[rbac-audit] requests by the two ServiceAccounts:\n${usageTable(reqs)}\n`);
  return reqs;
}

/** On a failed step: what was refused so far, and the end of each process's log. */
function explainFailure(): void {
  const refused = forbidden(auditedRequests()).map(describe403);
  process.stdout.write(`[rbac-audit] refused so far:\n${[...new Set(refused)].join('\n')}\n`);
  for (const [i, p] of procs.entries()) {
    const file = join(tmpdir(), `mw-rbac-audit-${process.pid}-${i}-${p.name}.log`);
    writeFileSync(file, `${p.log.join('\n')}\n`);
    process.stdout.write(
      `[rbac-audit] ${p.name} log (all of it in ${file}):\n${p.log.slice(-15).join('\n')}\n`,
    );
  }
}

const describe403 = (r: Request) =>
  `${r.user} ${r.verb} ${r.group || 'core'}/${r.resource} ${r.namespace ?? ''}/${r.name ?? ''}: ${r.message ?? r.reason ?? ''}`;

beforeAll(async () => {
  cp = await startPrivateControlPlane('rbac-audit');
  admin = new Kube(cp.kubeConfig());
});

afterAll(async () => {
  for (const p of procs) await stopCli(p, 'SIGKILL');
  await cp?.stop();
  rmSync(kcDir, { recursive: true, force: true });
});

describe('least-privilege RBAC from the audit log', () => {
  it('the operator and the webhook, run as their ServiceAccounts, are never refused and use every permission they hold', async () => {
    let rbac: Obj[] = [];
    try {
      // The IstioOperator CRD and config/default's RBAC, applied by the admin.
      for (const crd of kustomizeBuild('config/crd')) await admin.apply(crd);
      rbac = rbacObjects(kustomizeBuild('config/default'));
      // istio-system is left for the operator to create (its `create namespaces`); the webhook's Role there
      // is applied once it exists.
      const inIstioSystem = (o: Obj) => o.metadata?.namespace === 'istio-system';
      for (const ns of foreignNamespaces(rbac).filter((n) => n !== 'istio-system')) await ensureNamespace(ns);
      for (const o of rbac.filter((o) => !inIstioSystem(o))) await admin.apply(o);
      await ensureNamespace(IOP_NS);
      const kubeconfigs = {
        operator: join(kcDir, 'operator.kubeconfig'),
        webhook: join(kcDir, 'webhook.kubeconfig'),
      };
      const kc: KubeConfig = cp.kubeConfig();
      await serviceAccountKubeconfig(kc, SYSTEM, OPERATOR_SA, kubeconfigs.operator, admin);
      await serviceAccountKubeconfig(kc, SYSTEM, WEBHOOK_SA, kubeconfigs.webhook, admin);
      const [opMetrics, opHealth, ...webhookPorts] = await freePorts(5);

      // 1. The operator (shipped flags: leader election in meshwright-system, all namespaces; the 1.30.3 release's charts, real Istio CRDs).
      procs.push(
        startCli(
          'operator',
          [
            'operator',
            `--kubeconfig=${kubeconfigs.operator}`,
            '--leader-elect',
            `--leader-election-namespace=${SYSTEM}`,
            `--metrics-port=${opMetrics}`,
            `--health-port=${opHealth}`,
          ],
          { ...operatorReleaseEnv(), LOG_LEVEL: 'debug' },
        ),
      );
      const sample = parseYamlStream(
        readFileSync(join(ROOT, 'config/samples/install_v1alpha1_istiooperator_demo.yaml'), 'utf8'),
        'demo sample',
      )[0];
      await admin.apply({ ...sample, metadata: { name: 'demo', namespace: IOP_NS } });
      await waitHealthy('demo IstioOperator HEALTHY as the operator ServiceAccount');
      expect((await admin.get('v1', 'Namespace', 'istio-system'))?.metadata?.name).toBe('istio-system');

      // 2. The webhook: its istio-system Role, a URL registration labelled like the injection webhooks an
      //    operator with --injection-service makes (the built-in renderer this run uses makes none), and
      //    --self-signed, which finds it by that label and fills its caBundle.
      for (const o of rbac.filter(inIstioSystem)) await admin.apply(o);
      const url = `https://127.0.0.1:${webhookPorts[0]}/inject`;
      const registration = urlRegistration(loadShippedRegistration(ROOT), url);
      registration.metadata = {
        ...registration.metadata,
        labels: { ...registration.metadata?.labels, [INJECTION_WEBHOOK_LABEL]: 'true' },
      };
      await admin.apply(registration);
      let webhook = startCli('webhook', webhookArgs(kubeconfigs.webhook, webhookPorts, ['127.0.0.1']));
      procs.push(webhook);
      const ready = async () => {
        const r = await fetch(`http://127.0.0.1:${webhookPorts[2]}/readyz`).catch(() => undefined);
        return r?.status === 200;
      };
      await waitFor(ready, 60_000, 'webhook ready');

      // 3. Injection of a Deployment's pod in a labelled namespace.
      await ensureNamespace(APPS_NS, { 'istio-injection': 'enabled', 'meshwright.test/rbac-audit': 'apps' });
      await admin.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app', namespace: APPS_NS },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'app' } },
          template: {
            metadata: { labels: { app: 'app' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        },
      });
      await admin.apply({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: APPS_NS },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'registry.invalid/db:1' }] },
          },
        },
      });
      const first = await waitFor(
        async () => {
          const pods = await injectedPods();
          return pods.length === 2 && pods;
        },
        90_000,
        'injected app and db pods',
      );
      expect(proxyImages(first)).toEqual([
        'docker.io/istio/proxyv2:1.30.3',
        'docker.io/istio/proxyv2:1.30.3',
      ]);

      // 4. Two config changes, each a new proxy tag rolled out to the app and the db by
      //    spec.sidecarRollout (the webhook follows the injector ConfigMap the operator updates):
      //    a. the demo profile, a rollout that reads its batch back one by one;
      //    b. the default profile with CNI and an autoscaled istiod (DaemonSet, HPA, PDB; the egress gateway
      //       pruned), a rollout with maxUnavailable, which lists the restarted kinds.
      const rollTo = async (
        tag: string,
        spec: Record<string, unknown>,
        maxUnavailable?: number,
        hub = 'docker.io/istio',
      ) => {
        await admin.apply({
          ...sample,
          metadata: { name: 'demo', namespace: IOP_NS },
          spec: {
            ...(sample.spec as Record<string, unknown>),
            ...spec,
            tag,
            sidecarRollout: {
              enabled: true,
              batchSize: 2,
              ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
              pauseSeconds: 0,
              namespaceSelector: { matchLabels: { 'meshwright.test/rbac-audit': 'apps' } },
            },
          },
        });
        const image = `${hub}/proxyv2:${tag}`;
        await waitHealthy(
          `rollout of ${image} Complete`,
          (s) =>
            s.meshwright?.sidecarRollout?.phase === 'Complete' &&
            s.meshwright.sidecarRollout.targetImage === image,
        );
        expect(((await iop())?.status as IopStatus).meshwright?.sidecarRollout?.restarted ?? []).toEqual([
          `${APPS_NS}/Deployment/app`,
          `${APPS_NS}/StatefulSet/db`,
        ]);
        await waitFor(
          async () => {
            const images = proxyImages(await injectedPods());
            return images.length === 2 && images.every((i) => i === image);
          },
          90_000,
          `the app and db pods re-injected with ${image}`,
        );
      };
      // Releases ../shared/reference holds: up to 1.31.0-rc.0 (an in-place downgrade across minors is refused),
      // then the same release from another registry with more components, so the sidecars change again.
      const mirror = 'registry.example/istio';
      await rollTo('1.31.0-rc.0', {});
      await rollTo(
        '1.31.0-rc.0',
        {
          hub: mirror,
          profile: 'default',
          components: { cni: { enabled: true }, pilot: { k8s: { hpaSpec: { minReplicas: 2 } } } },
          // The charts render istiod's PDB from values.pilot.autoscaleMin (k8s.hpaSpec only patches the HPA).
          values: { pilot: { autoscaleMin: 2 } },
        },
        2,
        mirror,
      );
      for (const kind of ['DaemonSet', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
        const api =
          kind === 'DaemonSet' ? 'apps/v1' : kind === 'PodDisruptionBudget' ? 'policy/v1' : 'autoscaling/v2';
        expect({ kind, live: (await admin.list(api, kind, 'istio-system')).length > 0 }).toEqual({
          kind,
          live: true,
        });
      }

      // 5. The webhook restarted with one more certificate name: the stored certificate is replaced.
      // It exits 0 on SIGTERM (connections the apiserver opened ahead of requests used to hold shutdown
      // past its deadline, exit 1; fixed in webhook/server/run.ts).
      const stopped = await stopCli(webhook);
      expect(stopped).toEqual(expect.objectContaining({ code: 0, signal: null }));
      webhook = startCli(
        'webhook',
        webhookArgs(kubeconfigs.webhook, webhookPorts, ['127.0.0.1', 'localhost']),
      );
      procs.push(webhook);
      await waitFor(ready, 60_000, 'restarted webhook ready');
      expect(webhook.records('issuing self-signed webhook certificate').length).toBe(1);

      // 6. Uninstall: delete the IstioOperator until its finalizer ran. First every installed CRD must serve
      //    its resources from the apiserver's watch cache: a CRD deleted while that cache is still
      //    initializing can stay Terminating for minutes (kube-apiserver 1.35.8's CRD finalizer fails once
      //    with "InstanceDeletionFailed: could not list instances: storage is (re)initializing" and, seen
      //    here, was not retried), and the operator rightly waits for it (see docs/reliability.md).
      const crds = await admin.list(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        undefined,
        'install.operator.istio.io/owning-resource=demo',
      );
      expect(crds.length).toBeGreaterThan(10);
      for (const crd of crds) {
        const spec = crd.spec as {
          group: string;
          names: { plural: string };
          versions: { name: string; storage: boolean }[];
        };
        const version = spec.versions.find((v) => v.storage)?.name ?? '';
        // The same list the CRD finalizer makes (all namespaces, no options).
        const path = `/apis/${spec.group}/${version}/${spec.names.plural}`;
        await waitFor(
          async () => (await apiStatus(kc, path)) === 200,
          60_000,
          `${crd.metadata?.name} served from the cache`,
        );
      }

      await admin.delete(IOP_API, 'IstioOperator', 'demo', IOP_NS);
      await waitFor(async () => (await iop()) === undefined, 120_000, 'IstioOperator finalized');
      for (const p of procs) await stopCli(p);
      // Watches and the Lease release are audited when they end.
      await new Promise((r) => setTimeout(r, 1500));
    } catch (err) {
      explainFailure();
      throw err;
    }
    // The audit log's verdict.
    const reqs = auditedRequests();
    expect(reqs.filter((r) => r.user === OPERATOR_USER).length).toBeGreaterThan(50);
    expect(reqs.filter((r) => r.user === WEBHOOK_USER).length).toBeGreaterThan(5);
    expect(forbidden(reqs).map(describe403)).toEqual([]);

    const grants = {
      [OPERATOR_USER]: permissionsOf(grantsOf(rbac, SYSTEM, OPERATOR_SA)),
      [WEBHOOK_USER]: permissionsOf(grantsOf(rbac, SYSTEM, WEBHOOK_SA)),
    };
    const perms = Object.values(grants).flat();
    expect(perms.length).toBeGreaterThan(20);
    const keys = new Set(perms.map(permissionKey));
    expect(Object.keys(ALLOWED_UNUSED).filter((k) => !keys.has(k))).toEqual([]);
    // Each subject's permissions against its own requests only.
    const unused = Object.entries(grants)
      .flatMap(([user, p]) =>
        unusedPermissions(
          p,
          reqs.filter((r) => r.user === user),
        ),
      )
      .map(permissionKey)
      .filter((k) => !(k in ALLOWED_UNUSED));
    expect(unused).toEqual([]);
  });
});
