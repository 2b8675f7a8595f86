// Upstream istiod 1.31.0 as a test partner: it runs against the local control plane with what a real
// install gives it (Istio CRDs, Gateway API CRDs, the `istio` and `istio-sidecar-injector` ConfigMaps
// rendered from the release's own chart), and we check that it starts cleanly, that its validating webhook
// and its Gateway API deployment controller work against those inputs, and how its injector's output
// compares with Meshwright's engine injecting the same pod from the same ConfigMaps.
import { join } from 'node:path';
import {
  ApiException,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Pod,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { admissionReview, bookinfoPods } from '../../bench/common/pods';
import { buildFromConfigMaps } from '../../webhook/config/configmaps';
import { kubeletVersions } from '../../webhook/config/nodes';
import { injectPod } from '../../inject';
import {
  admissionApi,
  appsApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  uniqueName,
  waitFor,
} from './support/cluster';
import { formatDifferences, podDifferences } from './support/istiod-compare';
import { installIstiodInputs, type IstiodConfigMaps } from './support/istiod-install';
import {
  ISTIOD_VERSION,
  istiodAvailability,
  postJson,
  type RunningIstiod,
  skipBanner,
  startIstiod,
  unexpectedErrors,
} from './support/istiod';

const ISTIO_NAMESPACE = 'istio-system';
const root = join(__dirname, '..', '..');
const availability = istiodAvailability();
if (availability.kind === 'skipped')
  console.warn(skipBanner(`istiod ${ISTIOD_VERSION} tests`, availability.reason));
const suite = availability.kind === 'skipped' ? describe.skip : describe;

suite(`upstream istiod ${ISTIOD_VERSION} against the local control plane`, () => {
  let istiod: RunningIstiod | undefined;
  let cms: IstiodConfigMaps;
  let ns = '';
  const runLabel = uniqueName('istiod-run');
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig());
  const webhookName = `${runLabel}.validation.istiod.meshwright.test`;

  beforeAll(async () => {
    if (availability.kind === 'missing') throw new Error(`ISTIOD TESTS CANNOT RUN: ${availability.reason}`);
    if (availability.kind !== 'present') return;
    cms = await installIstiodInputs(kubeConfig(), ISTIO_NAMESPACE, root);
    ns = await createTestNamespace('istiod', { 'meshwright.test/istiod-run': runLabel });
    istiod = await startIstiod({
      binary: availability.binary,
      kubeconfig: kubeconfigPath(),
      namespace: ISTIO_NAMESPACE,
    });
  }, 240_000);

  afterAll(async () => {
    await admissionApi()
      .deleteValidatingWebhookConfiguration({ name: runLabel })
      .catch(() => undefined);
    if (ns) await deleteNamespace(ns);
    await istiod?.stop();
  });

  const running = (): RunningIstiod => {
    if (!istiod) throw new Error('istiod did not start (see beforeAll)');
    return istiod;
  };

  it('starts against the installed ConfigMaps without error-level log lines', () => {
    const log = running().log();
    // The stamped version, and the line format the error filter relies on (else it would prove nothing).
    expect(log).toContain(`version: ${ISTIOD_VERSION}-`);
    expect(log).toMatch(/^\S+\tinfo\t/m);
    expect(log).toContain('initializing sidecar injector');
    expect(log).not.toContain('injection templates are empty');
    expect(unexpectedErrors(log)).toEqual([]);
  });

  it('its validating webhook, registered by URL, rejects an invalid VirtualService and accepts a valid one', async () => {
    const i = running();
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
    const vs = (name: string, regex: string): KubernetesObject & { spec: unknown } => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: ns },
      spec: {
        hosts: ['reviews'],
        http: [{ match: [{ uri: { regex } }], route: [{ destination: { host: 'reviews' } }] }],
      },
    });
    const createError = (o: KubernetesObject, dryRun: boolean) =>
      objects.create(o, undefined, dryRun ? 'All' : undefined).then(
        () => undefined,
        (err: unknown) => (err instanceof ApiException ? String(err.body) : String(err)),
      );
    // Registration takes effect after a short delay: poll with dry runs until the webhook answers.
    const rejected = await waitFor(
      async () => {
        const e = await createError(vs('invalid', '(unclosed'), true);
        return e?.includes(webhookName) ? e : undefined;
      },
      30_000,
      'the validating webhook to reject an invalid VirtualService',
    );
    expect(rejected).toMatch(/denied the request/);
    expect(rejected).toMatch(/regex/i);
    expect(await createError(vs('invalid', '(unclosed'), false)).toContain(webhookName);
    expect(await createError(vs('valid', '/reviews/[0-9]+'), false)).toBeUndefined();
  });

  it('gives a Gateway API Gateway of class istio its Deployment and Service', async () => {
    const gw = uniqueName('gw');
    await objects.create({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: gw, namespace: ns },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    } as KubernetesObject);
    // istiod names both `<gateway>-<class>` and renders them from the kube-gateway template.
    const name = `${gw}-istio`;
    const dep = await waitFor(
      async () => {
        const d = await appsApi().readNamespacedDeployment({ name, namespace: ns });
        return (d.status?.availableReplicas ?? 0) >= 1 && d;
      },
      120_000,
      `Deployment ${name} available`,
      500,
    );
    const proxy = dep.spec?.template.spec?.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.args).toEqual(expect.arrayContaining(['proxy', 'router']));
    expect(dep.spec?.template.metadata?.labels?.['gateway.networking.k8s.io/gateway-name']).toBe(gw);
    const svc = await coreApi().readNamespacedService({ name, namespace: ns });
    expect(svc.spec?.ports?.map((p) => p.port)).toEqual(expect.arrayContaining([80]));
  });

  it("its injector and Meshwright's engine, from the same ConfigMaps, give the Bookinfo pod the same containers", async () => {
    const i = running();
    const shape = bookinfoPods(root).find((s) => s.name === 'bookinfo/productpage-v1');
    if (!shape) throw new Error('no Bookinfo productpage-v1 Deployment in the sample');
    const pod: V1Pod = { ...shape.pod, metadata: { ...shape.pod.metadata, namespace: ns } };

    const { status, json } = await postJson(
      i.ports.https,
      '/inject',
      admissionReview(pod, 'istiod-compare-1'),
      i.caPem,
    );
    const resp = (json as { response?: { allowed?: boolean; patch?: string; result?: { message?: string } } })
      .response;
    expect(status).toBe(200);
    expect(resp?.result?.message).toBeUndefined();
    expect(resp?.allowed).toBe(true);
    const ops = JSON.parse(Buffer.from(resp?.patch ?? '', 'base64').toString('utf8')) as Operation[];
    const byIstiod = applyPatch(deepClone(pod) as V1Pod, ops, true, false).newDocument;

    // A new object: the engine compiles a configuration once per object, and buildFromConfigMaps has
    // already used this one (its canary check) without node versions.
    const cfg = {
      ...buildFromConfigMaps({
        revision: 'default',
        injector: cms.injector,
        mesh: cms.mesh,
        nativeSidecars: 'auto',
      }),
      nodeKubeletVersions: kubeletVersions((await coreApi().listNode()).items),
    };
    expect(cfg.nodeKubeletVersions.length).toBeGreaterThan(0);
    const out = injectPod({ pod, namespace: ns, admission: true }, cfg);
    if (out.kind !== 'injected') throw new Error(`Meshwright did not inject: ${JSON.stringify(out)}`);
    const byMeshwright = out.pod;

    const names = (p: V1Pod) => ({
      init: (p.spec?.initContainers ?? []).map((c) => c.name),
      containers: (p.spec?.containers ?? []).map((c) => c.name),
      volumes: (p.spec?.volumes ?? []).map((v) => v.name),
    });
    expect(names(byMeshwright)).toEqual(names(byIstiod));

    // Every label, annotation and spec leaf equal (PROXY_CONFIG included: both drop default-valued fields).
    expect(formatDifferences(podDifferences(byIstiod, byMeshwright))).toBe('');
  });

  it('a pod using 1.31-only behaviour (prometheus.istio.io/scrape-targets) is injected as istiod injects it', async () => {
    const i = running();
    const shape = bookinfoPods(root).find((s) => s.name === 'bookinfo/reviews-v1');
    if (!shape) throw new Error('no Bookinfo reviews-v1 Deployment in the sample');
    const pod: V1Pod = {
      ...shape.pod,
      metadata: {
        ...shape.pod.metadata,
        namespace: ns,
        annotations: {
          ...shape.pod.metadata?.annotations,
          'prometheus.istio.io/scrape-targets': '9080:/metrics,9100',
        },
      },
    };
    const { json } = await postJson(
      i.ports.https,
      '/inject',
      admissionReview(pod, 'istiod-compare-2'),
      i.caPem,
    );
    const resp = (json as { response?: { allowed?: boolean; patch?: string; result?: { message?: string } } })
      .response;
    expect(resp?.result?.message).toBeUndefined();
    const ops = JSON.parse(Buffer.from(resp?.patch ?? '', 'base64').toString('utf8')) as Operation[];
    const byIstiod = applyPatch(deepClone(pod) as V1Pod, ops, true, false).newDocument;
    // The chart in ../shared is a source tree labelled 1.0.0; a released chart carries its version, which
    // is what the webhook reads to pick the behaviour.
    const injector = {
      ...cms.injector,
      metadata: {
        ...cms.injector.metadata,
        labels: { ...cms.injector.metadata?.labels, 'app.kubernetes.io/version': ISTIOD_VERSION },
      },
    };
    const cfg = {
      ...buildFromConfigMaps({ revision: 'default', injector, mesh: cms.mesh, nativeSidecars: 'auto' }),
      nodeKubeletVersions: kubeletVersions((await coreApi().listNode()).items),
    };
    expect(cfg.version).toMatchObject({ line: '1.31', exact: true });
    const out = injectPod({ pod, namespace: ns, admission: true }, cfg);
    if (out.kind !== 'injected') throw new Error(`Meshwright did not inject: ${JSON.stringify(out)}`);
    // The 1.31 behaviour is in play (else this comparison would prove nothing about it).
    const proxy =
      out.pod.spec?.initContainers?.find((c) => c.name === 'istio-proxy') ??
      out.pod.spec?.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value).toContain('targets');
    expect(formatDifferences(podDifferences(byIstiod, out.pod))).toBe('');
  });

  // Last: what the tests above made istiod do (webhook calls, a gateway deployment, an injection).
  it('logs no unexpected error-level line while serving the tests above', () => {
    expect(unexpectedErrors(running().log())).toEqual([]);
  });
});
