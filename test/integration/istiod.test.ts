// Upstream istiod 1.31.0 as a test partner: it runs against the local control plane with what a real
// install gives it (Istio CRDs, Gateway API CRDs, the `istio` and `istio-sidecar-injector` ConfigMaps
// rendered from the release's own chart), and we check that it starts cleanly, that its validating webhook
// and its Gateway API deployment controller work against those inputs, and how its injector's output
// compares with Meshwright's engine injecting the same pod from the same ConfigMaps.
import type { V1Pod, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import {
  admissionApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  uniqueName,
} from './support/cluster';
import { formatDifferences, podDifferences } from './support/istiod-compare';
import { expectCleanStart, gatewayDeployment, virtualServiceVerdicts } from './support/istiod-checks';
import {
  bookinfoPod,
  injectedByIstiod,
  injectedByMeshwright,
  proxyContainer,
} from './support/istiod-injection';
import { installIstiodInputs, type IstiodConfigMaps } from './support/istiod-install';
import { ISTIOD_VERSION, startIstiod, unexpectedErrors } from './support/istiod';
import { istiodSuite } from './support/istiod-suite';

const ISTIO_NAMESPACE = 'istio-system';
const istiod = istiodSuite('tests');

istiod.describe(`upstream istiod ${ISTIOD_VERSION} against the local control plane`, () => {
  let cms: IstiodConfigMaps;
  let ns = '';
  const runLabel = uniqueName('istiod-run');
  const webhookName = `${runLabel}.validation.istiod.meshwright.test`;

  beforeAll(async () => {
    const binary = istiod.binary();
    cms = await installIstiodInputs(kubeConfig(), ISTIO_NAMESPACE);
    ns = await createTestNamespace('istiod', { 'meshwright.test/istiod-run': runLabel });
    istiod.started(await startIstiod({ binary, kubeconfig: kubeconfigPath(), namespace: ISTIO_NAMESPACE }));
  }, 240_000);

  afterAll(async () => {
    await admissionApi()
      .deleteValidatingWebhookConfiguration({ name: runLabel })
      .catch(() => undefined);
    if (ns) await deleteNamespace(ns);
    await istiod.stop();
  });

  it('starts against the installed ConfigMaps without error-level log lines', () => {
    expectCleanStart(istiod.running().log());
  });

  it('its validating webhook, registered by URL, rejects an invalid VirtualService and accepts a valid one', async () => {
    const i = istiod.running();
    const config: V1ValidatingWebhookConfiguration = {
      metadata: { name: runLabel },
      webhooks: [
        {
          name: webhookName,
          clientConfig: {
            url: `https://127.0.0.1:${i.ports.https}/validate`,
            caBundle: Buffer.from(i.caPem).toString('base64'),
          },
          rules: [
            {
              apiGroups: ['networking.istio.io'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['virtualservices'],
            },
          ],
          namespaceSelector: { matchLabels: { 'meshwright.test/istiod-run': runLabel } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    };
    await admissionApi().createValidatingWebhookConfiguration({ body: config });
    const verdicts = await virtualServiceVerdicts({ namespace: ns, webhookName });
    expect(verdicts.rejected).toMatch(/denied the request/);
    expect(verdicts.rejected).toMatch(/regex/i);
    expect(verdicts.invalid).toContain(webhookName);
    expect(verdicts.valid).toBeUndefined();
  });

  it('gives a Gateway API Gateway of class istio its Deployment and Service', async () => {
    // istiod names both `<gateway>-<class>` and renders them from the kube-gateway template.
    const { gateway, deployment, proxy, service } = await gatewayDeployment(ns);
    expect(proxy?.args).toEqual(expect.arrayContaining(['proxy', 'router']));
    expect(deployment.spec?.template.metadata?.labels?.['gateway.networking.k8s.io/gateway-name']).toBe(
      gateway,
    );
    expect(service.spec?.ports?.map((p) => p.port)).toEqual(expect.arrayContaining([80]));
  });

  it("its injector and Meshwright's engine, from the same ConfigMaps, give the Bookinfo pod the same containers", async () => {
    const pod = bookinfoPod('productpage-v1', ns);
    const byIstiod = await injectedByIstiod(istiod.running(), pod, 'istiod-compare-1');
    expect(byIstiod.status).toBe(200);
    expect(byIstiod.message).toBeUndefined();
    expect(byIstiod.allowed).toBe(true);

    const byMeshwright = await injectedByMeshwright({
      injector: cms.injector,
      mesh: cms.mesh,
      pod,
      namespace: ns,
    });
    expect(byMeshwright.config.nodeKubeletVersions.length).toBeGreaterThan(0);

    const names = (p: V1Pod) => ({
      init: (p.spec?.initContainers ?? []).map((c) => c.name),
      containers: (p.spec?.containers ?? []).map((c) => c.name),
      volumes: (p.spec?.volumes ?? []).map((v) => v.name),
    });
    expect(names(byMeshwright.pod)).toEqual(names(byIstiod.pod));

    // Every label, annotation and spec leaf equal (PROXY_CONFIG included: both drop default-valued fields).
    expect(formatDifferences(podDifferences(byIstiod.pod, byMeshwright.pod))).toBe('');
  });

  it('a pod using 1.31-only behaviour (prometheus.istio.io/scrape-targets) is injected as istiod injects it', async () => {
    const pod = bookinfoPod('reviews-v1', ns, { 'prometheus.istio.io/scrape-targets': '9080:/metrics,9100' });
    const byIstiod = await injectedByIstiod(istiod.running(), pod, 'istiod-compare-2');
    expect(byIstiod.message).toBeUndefined();
    // The chart in ../shared is a source tree labelled 1.0.0; a released chart carries its version, which
    // is what the webhook reads to pick the behaviour.
    const injector = {
      ...cms.injector,
      metadata: {
        ...cms.injector.metadata,
        labels: { ...cms.injector.metadata?.labels, 'app.kubernetes.io/version': ISTIOD_VERSION },
      },
    };
    const byMeshwright = await injectedByMeshwright({ injector, mesh: cms.mesh, pod, namespace: ns });
    expect(byMeshwright.config.version).toMatchObject({ line: '1.31', exact: true });
    // The 1.31 behaviour is in play (else this comparison would prove nothing about it).
    const proxy = proxyContainer(byMeshwright.pod);
    expect(proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value).toContain('targets');
    expect(formatDifferences(podDifferences(byIstiod.pod, byMeshwright.pod))).toBe('');
  });

  // Last: what the tests above made istiod do (webhook calls, a gateway deployment, an injection).
  it('logs no unexpected error-level line while serving the tests above', () => {
    expect(unexpectedErrors(istiod.running().log())).toEqual([]);
  });
});
