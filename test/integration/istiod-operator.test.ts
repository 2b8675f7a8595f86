// Issue #12's point, end to end: what the OPERATOR installs is what a real istiod needs. The in-process
// operator (charts from ../shared/reference, as support/chart-operator.ts runs it) installs an IstioOperator of
// release 1.31.0-rc.0 (the newest 1.31 tree at hand, closest to the 1.31.0 binary); then upstream istiod
// 1.31.0 runs against exactly that install: the `istio` and `istio-sidecar-injector` ConfigMaps, the release's
// CRDs, the validating webhook configuration (pointed at istiod's loopback URL through the chart's own
// `values.base.validationURL`/`validationCABundle`, so nothing is patched behind the operator), and with the
// rights of the `istiod` ServiceAccount the install's RBAC grants (a bound token, not the admin's). The only
// input not from the operator is the Gateway API CRDs, which a user installs (Istio does not ship them).
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  type KubernetesObject,
  KubernetesObjectApi,
  type V1ConfigMap,
  type V1Pod,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { LABEL_OWNING_RESOURCE } from '../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import type { OperatorManager } from '../../operator/controller/manager';
import {
  deleteOwnedClusterObjects,
  forceRemoveIop,
  IOP_API,
  type IopStatus,
  releaseOwnedCrds,
  startChartOperator,
  waitStatus,
} from './support/chart-operator';
import {
  admissionApi,
  clusterDir,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
} from './support/cluster';
import { installIstioOperatorCrd } from './support/iop-crd';
import { formatDifferences, podDifferences } from './support/istiod-compare';
import { expectCleanStart, gatewayDeployment, virtualServiceVerdicts } from './support/istiod-checks';
import { serviceAccountKubeconfig } from './support/istiod-identity';
import {
  bookinfoPod,
  injectedByIstiod,
  injectedByMeshwright,
  proxyContainer,
} from './support/istiod-injection';
import { applyCrds, gatewayApiCrds } from './support/istiod-install';
import {
  ISTIOD_VERSION,
  type IstiodServing,
  prepareIstiodServing,
  startIstiod,
  unexpectedErrors,
} from './support/istiod';
import { istiodSuite } from './support/istiod-suite';

jest.setTimeout(300_000);

const RELEASE = '1.31.0-rc.0';
const NAME = 'istiod-op';
const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const objects = KubernetesObjectApi.makeApiClient(kc);
const istiod = istiodSuite("against the operator's install");

istiod.describe(`upstream istiod ${ISTIOD_VERSION} against what the operator installs (${RELEASE})`, () => {
  let ns = '';
  let appNs = '';
  let workDir = '';
  let manager: OperatorManager | undefined;
  let serving: IstiodServing;
  let healthy: IopStatus = {};
  let healthyMs = 0;

  beforeAll(async () => {
    const binary = istiod.binary();
    await installIstioOperatorCrd(admin, 'meshwright-operator-test');
    // The user's part: Gateway API CRDs (the version istio 1.31.0's go.mod requires).
    await applyCrds(kc, gatewayApiCrds());
    ns = await createTestNamespace('mw-istiod-op');
    appNs = await createTestNamespace('mw-istiod-app');
    workDir = mkdtempSync(join(tmpdir(), 'mw-istiod-op-'));
    serving = await prepareIstiodServing();
    manager = await startChartOperator(`istiod-operator-${ns}`, ns);
    const started = Date.now();
    await admin.create({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: NAME, namespace: ns },
      spec: {
        profile: 'minimal',
        tag: RELEASE,
        values: {
          global: { istioNamespace: ns },
          // The chart's switch for an istiod reached by URL (as for an external istiod).
          base: {
            validationURL: `https://127.0.0.1:${serving.ports.https}/validate`,
            validationCABundle: Buffer.from(serving.caPem).toString('base64'),
          },
        },
      },
    } as KubernetesObject);
    healthy = await waitStatus(admin, ns, NAME, (s) => s.status === 'HEALTHY', 'IstioOperator HEALTHY');
    healthyMs = Date.now() - started;
    const kubeconfig = join(workDir, 'istiod.kubeconfig');
    await serviceAccountKubeconfig(kc, ns, 'istiod', kubeconfig);
    istiod.started(
      await startIstiod({
        binary,
        kubeconfig,
        namespace: ns,
        serving,
        // Beside the cluster's logs (kept with MESHWRIGHT_KEEP_CLUSTER_DIR=1), else in the work directory.
        logFile: join(clusterDir() ? join(clusterDir()!, 'logs') : workDir, `istiod-operator-${ns}.log`),
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await istiod.stop();
    await manager?.stop().catch(() => undefined);
    if (ns) {
      await forceRemoveIop(admin, ns, NAME);
      // The Istio CRDs stay for the other suites of this run; they are released (owner labels removed), as
      // the operator's own uninstall does while other IstioOperators remain.
      await deleteOwnedClusterObjects(admin, ns, NAME, ['CustomResourceDefinition']);
      await releaseOwnedCrds(admin, ns, NAME);
      await deleteNamespace(ns);
    }
    if (appNs) await deleteNamespace(appNs);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const configMap = (name: string): Promise<V1ConfigMap> =>
    coreApi().readNamespacedConfigMap({ name, namespace: ns });

  it(`the operator installed release ${RELEASE}: its CRDs, ConfigMaps with every template, RBAC and validator`, async () => {
    console.log(`IstioOperator (minimal, ${RELEASE}) HEALTHY after ${healthyMs} ms`);
    expect(healthy.meshwright?.version).toBe(RELEASE);
    for (const name of ['istio', 'istio-sidecar-injector']) {
      const cm = await configMap(name);
      expect(cm.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe(NAME);
      expect(cm.metadata?.labels?.['operator.istio.io/version']).toBe(RELEASE);
    }
    const injector = parse((await configMap('istio-sidecar-injector')).data?.config ?? '') as {
      templates?: Record<string, string>;
    };
    expect(Object.keys(injector.templates ?? {})).toEqual(
      expect.arrayContaining(['sidecar', 'gateway', 'kube-gateway', 'waypoint', 'agentgateway-waypoint']),
    );
    const vs = await admin.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'virtualservices.networking.istio.io',
    });
    expect(vs?.metadata?.labels?.['operator.istio.io/version']).toBe(RELEASE);
    const binding = await admin.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      name: `istiod-clusterrole-${ns}`,
    });
    expect(binding?.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe(NAME);
    const validator = await admissionApi().readValidatingWebhookConfiguration({
      name: `istio-validator-${ns}`,
    });
    expect(validator.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe(NAME);
    expect(validator.webhooks?.map((w) => w.clientConfig.url)).toEqual([
      `https://127.0.0.1:${serving.ports.https}/validate`,
    ]);
  });

  it('istiod starts against the installed ConfigMaps, with its account’s rights, without error-level lines', () => {
    const log = istiod.running().log();
    expectCleanStart(log);
    expect(log).not.toContain('template defined');
    expect(log).not.toMatch(/forbidden/i);
  });

  it("the operator's validating webhook reaches istiod, which rejects an invalid VirtualService", async () => {
    const verdicts = await virtualServiceVerdicts({
      namespace: appNs,
      // The chart's webhook selects objects of its revision (objectSelector istio.io/rev In [default]).
      labels: { 'istio.io/rev': 'default' },
      webhookName: 'rev.validation.istio.io',
    });
    expect(verdicts.rejected).toMatch(/denied the request/);
    expect(verdicts.rejected).toMatch(/regex/i);
    expect(verdicts.invalid).toContain('rev.validation.istio.io');
    expect(verdicts.valid).toBeUndefined();
    const live: V1ValidatingWebhookConfiguration = await admissionApi().readValidatingWebhookConfiguration({
      name: `istio-validator-${ns}`,
    });
    // Installed without failurePolicy (left to istiod, docs/parity.md); the apiserver's default is Fail.
    expect(live.webhooks?.[0]?.failurePolicy).toBe('Fail');
  });

  it('gives a Gateway API Gateway of class istio its Deployment and Service (kube-gateway template)', async () => {
    const { gateway, deployment, proxy, service } = await gatewayDeployment(appNs);
    expect(proxy?.args).toEqual(expect.arrayContaining(['proxy', 'router']));
    // Rendered from the operator's values: its image is the release the IstioOperator names.
    expect(proxy?.image).toContain(RELEASE);
    expect(deployment.spec?.template.metadata?.labels?.['gateway.networking.k8s.io/gateway-name']).toBe(
      gateway,
    );
    expect(service.spec?.ports?.map((p) => p.port)).toEqual(expect.arrayContaining([80]));
  });

  /** istiod's /inject answer for `pod`, applied to it; the answer must be an allowed patch. */
  async function istiodInjects(pod: V1Pod, uid: string): Promise<V1Pod> {
    const r = await injectedByIstiod(istiod.running(), pod, uid);
    expect(r.status).toBe(200);
    expect(r.message).toBeUndefined();
    expect(r.allowed).toBe(true);
    expect(r.patch).toBeTruthy();
    return r.pod;
  }

  /** Meshwright's engine on `pod`, configured from the ConfigMaps the operator installed (read live). */
  async function meshwrightInjects(pod: V1Pod): Promise<V1Pod> {
    const r = await injectedByMeshwright({
      injector: await configMap('istio-sidecar-injector'),
      mesh: await configMap('istio'),
      pod,
      namespace: appNs,
    });
    // The operator stamps the release's version on its ConfigMaps: the 1.31 behaviour is chosen from them.
    expect(r.config.version).toMatchObject({ line: '1.31' });
    return r.pod;
  }

  const bookinfo = (name: string, annotations: Record<string, string> = {}): V1Pod =>
    bookinfoPod(name, appNs, annotations);

  it("istiod's injection of a Bookinfo pod (sidecar template) equals Meshwright's from the same ConfigMaps", async () => {
    const pod = bookinfo('productpage-v1');
    const byIstiod = await istiodInjects(pod, 'istiod-op-1');
    expect(byIstiod.spec?.initContainers?.map((c) => c.name) ?? []).toEqual(
      expect.arrayContaining(['istio-init']),
    );
    expect(formatDifferences(podDifferences(byIstiod, await meshwrightInjects(pod)))).toBe('');
  });

  it('a pod with 1.31-only behaviour (prometheus.istio.io/scrape-targets) is injected alike', async () => {
    const pod = bookinfo('reviews-v1', { 'prometheus.istio.io/scrape-targets': '9080:/metrics,9100' });
    const byIstiod = await istiodInjects(pod, 'istiod-op-2');
    const byMeshwright = await meshwrightInjects(pod);
    const proxy = proxyContainer(byMeshwright);
    expect(proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value).toContain('targets');
    expect(formatDifferences(podDifferences(byIstiod, byMeshwright))).toBe('');
  });

  /** The pod as the apiserver would store it (server-side dry run: defaults applied, nothing kept). */
  async function stored(pod: V1Pod, name: string): Promise<V1Pod> {
    // Admission looks the pod's ServiceAccount up.
    const sa = pod.spec?.serviceAccountName;
    if (sa)
      await coreApi()
        .createNamespacedServiceAccount({ namespace: appNs, body: { metadata: { name: sa } } })
        .catch((err: unknown) => {
          if ((err as { code?: number }).code !== 409) throw err;
        });
    return (await objects.create(
      {
        ...pod,
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...pod.metadata, name, namespace: appNs },
      } as KubernetesObject,
      undefined,
      'All',
    )) as V1Pod;
  }

  it('a pod asking for the gateway template is injected alike (as the apiserver stores it)', async () => {
    const pod = bookinfo('details-v1', { 'inject.istio.io/templates': 'gateway' });
    const byIstiod = await istiodInjects(pod, 'istiod-op-3');
    const byMeshwright = await meshwrightInjects(pod);
    const proxy = byIstiod.spec?.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.args).toEqual(expect.arrayContaining(['router']));
    // As sent, the two may differ only where istiod writes an empty object that Meshwright leaves out (its
    // gateway template gives the proxy `resources: {}`): the apiserver stores both alike, checked next.
    for (const d of podDifferences(byIstiod, byMeshwright)) {
      const empty = (v: unknown) =>
        v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
      expect({ path: d.path, harmless: empty(d.istiod) && empty(d.meshwright) }).toEqual({
        path: d.path,
        harmless: true,
      });
    }
    const [a, b] = [await stored(byIstiod, 'gw-istiod'), await stored(byMeshwright, 'gw-meshwright')];
    expect(a.spec?.containers.find((c) => c.name === 'istio-proxy')?.image).toBeTruthy();
    expect(formatDifferences(podDifferences(a, b))).toBe('');
  });

  // Last: what the tests above made istiod do (webhook calls, a gateway deployment, injections).
  it('logs no unexpected error-level line, nor a forbidden call, while serving the tests above', () => {
    const log = istiod.running().log();
    expect(log).not.toMatch(/forbidden/i);
    expect(unexpectedErrors(log)).toEqual([]);
  });
});
