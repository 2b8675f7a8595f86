// The canary flow with upstream istiod 1.31.0 serving the new revision (issue #14). The in-process operator
// (the reference charts, injection webhooks retargeted to the loopback Meshwright webhook, as the canary suites
// run it) installs IstioOperator r30 (1.30.3) with tag `prod` on it, and r31 (1.31.0-rc.0) beside it in the
// same namespace, whose validating webhook points at istiod by URL through the chart's own
// `values.base.validationURL`/`validationCABundle`. istiod 1.31.0 then runs as revision r31 (REVISION=r31: it
// reads `istio-r31` and `istio-sidecar-injector-r31`) with the rights the install grants `istiod-r31`, and the
// tag moves to r31. What is checked: Meshwright injects new pods of the tag's namespace as that istiod does;
// istiod's validator judges r31's objects; and istiod follows the tag itself (its tag watcher reads the tag's
// MutatingWebhookConfiguration and its Service istiod-revision-tag-<tag>, both labelled istio.io/tag and
// istio.io/rev): a Gateway API Gateway in the tag's namespace is left alone while the tag is on r30 and gets
// its Deployment from r31's istiod once it moves.
import { LABEL_OWNING_RESOURCE } from '../../operator/controller/apply/ownership';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KubernetesObject,
  KubernetesObjectApi,
  type V1ConfigMap,
  type V1Pod,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { OperatorManager } from '../../operator/controller/manager';
import { releaseOwnedCrds } from './support/chart-operator';
import { CanaryScene, IMAGE_30, IMAGE_31, type CanaryStatus } from './support/canary-cluster';
import { startInProcessOperator } from './support/canary-operators';
import {
  admissionApi,
  clusterDir,
  createTestNamespace,
  deleteNamespace,
  uniqueName,
  waitFor,
} from './support/cluster';
import { formatDifferences, podDifferences } from './support/istiod-compare';
import {
  createIstioGateway,
  expectCleanStart,
  gatewayDeploymentOf,
  virtualServiceVerdicts,
} from './support/istiod-checks';
import { serviceAccountKubeconfig } from './support/istiod-identity';
import { bookinfoPod, injectedByIstiod, injectedByMeshwright } from './support/istiod-injection';
import { applyCrds, gatewayApiCrds } from './support/istiod-install';
import {
  ISTIOD_VERSION,
  type IstiodServing,
  prepareIstiodServing,
  startIstiod,
  unexpectedErrors,
} from './support/istiod';
import { istiodSuite } from './support/istiod-suite';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(300_000);

const suffix = uniqueName('x').slice(2);
const r30 = `r30-${suffix}`;
const r31 = `r31-${suffix}`;
const prod = `prod-${suffix}`;
const STATUS = 'sidecar.istio.io/status';
const scene = new CanaryScene(prod);
const { admin, core } = scene;
const objects = KubernetesObjectApi.makeApiClient(scene.kc);
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
const istiod = istiodSuite('serving the canary revision');

istiod.describe(
  `canary 1.30.3 -> 1.31.0-rc.0 with upstream istiod ${ISTIOD_VERSION} serving the new revision`,
  () => {
    let operator: OperatorManager | undefined;
    let serving: IstiodServing;
    let workDir = '';
    /** A namespace of no revision: pods there are injected only when they ask for one by label. */
    let plainNs = '';
    /** Never injected (istio-injection=disabled): where pods are dry-run to see how the apiserver stores them. */
    let storeNs = '';
    let gateway = '';

    beforeAll(async () => {
      istiod.binary(); // fails the suite now when the binary is missing
      await scene.setUp({
        name: 'meshwright-istiod-canary',
        cpPrefix: 'mw-icanary',
        appPrefix: 'mw-icanary-prod',
        logStream: createWriteStream(join(logDir, `istiod-canary-${suffix}-webhook.log`)),
      });
      // The user's part: the Gateway API CRDs (Istio does not ship them).
      await applyCrds(scene.kc, gatewayApiCrds());
      plainNs = await createTestNamespace('mw-icanary-plain');
      storeNs = await createTestNamespace('mw-icanary-store', { 'istio-injection': 'disabled' });
      workDir = mkdtempSync(join(tmpdir(), 'mw-istiod-canary-'));
      serving = await prepareIstiodServing();
      operator = await startInProcessOperator({
        kc: scene.kc,
        namespace: scene.cpNs,
        url: scene.url,
        identity: `istiod-canary-${suffix}`,
        logFile: join(logDir, `istiod-canary-${suffix}-operator.log`),
      });
    }, 300_000);

    afterAll(async () => {
      await istiod.stop();
      await operator?.stop().catch(() => undefined);
      // The Istio CRDs stay for the rest of the run: released before the scene deletes what cpNs owns.
      if (scene.cpNs) await releaseOwnedCrds(admin, scene.cpNs).catch(() => undefined);
      await scene.tearDown(['r30', 'r31']);
      for (const ns of [plainNs, storeNs]) if (ns) await deleteNamespace(ns);
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    const configMap = (name: string): Promise<V1ConfigMap> =>
      core.readNamespacedConfigMap({ name, namespace: scene.cpNs });
    const validatorUrl = () => `https://127.0.0.1:${serving.ports.https}/validate`;

    it('installs r30 (1.30.3) and tag prod on it: new pods of the prod namespace get 1.30.3', async () => {
      const started = Date.now();
      await admin.create(scene.iop('r30', r30, '1.30.3'));
      await scene.waitHealthy('r30', 'r30 HEALTHY', 200_000);
      console.log(`IstioOperator r30 (minimal, 1.30.3) HEALTHY after ${Date.now() - started} ms`);
      expect(await scene.createTag(r30)).toMatchObject({ revision: r30, istioVersion: '1.30.3' });
      await waitFor(
        async () => (await scene.dryRunImage()) === IMAGE_30,
        30_000,
        'tag webhook in effect (1.30.3)',
      );
    });

    it("installs r31 (1.31.0-rc.0) beside it: its ConfigMaps, istiod's account, and its validator at istiod's URL", async () => {
      const started = Date.now();
      await admin.create(
        scene.iop('r31', r31, '1.31.0-rc.0', {
          extra: {
            values: {
              global: { istioNamespace: scene.cpNs },
              // The chart's switch for an istiod reached by URL (as for an external istiod).
              base: {
                validationURL: validatorUrl(),
                validationCABundle: Buffer.from(serving.caPem).toString('base64'),
              },
            },
          },
        }),
      );
      const healthy: CanaryStatus = await scene.waitHealthy('r31', 'r31 HEALTHY', 200_000);
      console.log(
        `IstioOperator r31 (minimal, 1.31.0-rc.0, beside r30) HEALTHY after ${Date.now() - started} ms`,
      );
      expect(healthy.meshwright?.version).toBe('1.31.0-rc.0');
      // What istiod of revision r31 reads: the revision's own names, owned by r31 and stamped with its release.
      for (const name of [`istio-${r31}`, `istio-sidecar-injector-${r31}`]) {
        const cm = await configMap(name);
        expect({ name, owner: cm.metadata?.labels?.[LABEL_OWNING_RESOURCE] }).toEqual({ name, owner: 'r31' });
        expect(cm.metadata?.labels?.['operator.istio.io/version']).toBe('1.31.0-rc.0');
      }
      const injector = parse((await configMap(`istio-sidecar-injector-${r31}`)).data?.config ?? '') as {
        templates?: Record<string, string>;
      };
      expect(Object.keys(injector.templates ?? {})).toEqual(
        expect.arrayContaining(['sidecar', 'gateway', 'kube-gateway', 'waypoint']),
      );
      const values = JSON.parse((await configMap(`istio-sidecar-injector-${r31}`)).data?.values ?? '{}') as {
        revision?: string;
      };
      expect(values.revision).toBe(r31);
      await core.readNamespacedServiceAccount({ name: `istiod-${r31}`, namespace: scene.cpNs });
      const validator = await admissionApi().readValidatingWebhookConfiguration({
        name: `istio-validator-${r31}-${scene.cpNs}`,
      });
      expect(validator.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe('r31');
      expect(validator.webhooks?.map((w) => w.clientConfig.url)).toEqual([validatorUrl()]);
      expect(validator.webhooks?.[0]?.objectSelector?.matchExpressions).toEqual([
        { key: 'istio.io/rev', operator: 'In', values: [r31] },
      ]);
      // The tag still points at r30.
      expect(await scene.dryRunImage()).toBe(IMAGE_30);
    });

    it(`istiod ${ISTIOD_VERSION} starts as revision r31 against r31's install, with istiod-r31's rights, cleanly`, async () => {
      const kubeconfig = join(workDir, 'istiod.kubeconfig');
      await serviceAccountKubeconfig(scene.kc, scene.cpNs, `istiod-${r31}`, kubeconfig);
      const started = Date.now();
      istiod.started(
        await startIstiod({
          binary: istiod.binary(),
          kubeconfig,
          namespace: scene.cpNs,
          serving,
          revision: r31,
          // Its tag watcher and Gateway deployment controller say at debug level what they decide.
          logLevels: 'default:info,tag-watcher:debug,gatewaycommon:debug',
          logFile: join(logDir, `istiod-canary-${suffix}.log`),
        }),
      );
      console.log(`istiod ${ISTIOD_VERSION} (revision r31) ready after ${Date.now() - started} ms`);
      const log = istiod.running().log();
      expectCleanStart(log);
      // It read the revision's own mesh config and injector (the latter: the injections compared below).
      expect(log).toContain(`ConfigMap_istio-${r31}_mesh synced`);
      expect(log).not.toContain('Skipping sidecar injector');
      expect(log).not.toContain('template defined');
      expect(log).not.toMatch(/forbidden/i);
    });

    /** istiod's tag watcher's latest view: the `Current tags: ...` debug line, once it logged one. */
    const currentTags = (): string | undefined =>
      istiod
        .running()
        .log()
        .split('\n')
        .filter((l) => /\tdebug\ttag-watcher\tCurrent tags: /.test(l))
        .at(-1);

    it("before the move, istiod r31 leaves a Gateway of the tag's namespace alone: the tag is not its", async () => {
      // The namespace's istio.io/rev is the tag, which r30 has: not r31's (tagWatcher.IsMine).
      gateway = await createIstioGateway(scene.appNs);
      const key = `gateway=${scene.appNs}/${gateway}`;
      await waitFor(
        async () =>
          istiod
            .running()
            .log()
            .split('\n')
            .some((l) => l.includes('gateway is not for this revision, skipping') && l.includes(key)),
        60_000,
        `istiod r31 to skip ${key}`,
        500,
      );
      expect(currentTags()).toContain(r31);
      expect(currentTags()).not.toContain(prod);
      await expect(
        scene.apps.readNamespacedDeployment({ name: `${gateway}-istio`, namespace: scene.appNs }),
      ).rejects.toMatchObject({ code: 404 });
    });

    it("moves tag prod to r31: new pods get 1.31.0-rc.0; istiod's tag watcher sees the tag and deploys the Gateway", async () => {
      const moved = Date.now();
      await admin.mergePatch(scene.tagRef, { spec: { revision: r31 } });
      await scene.waitTagReady(r31, 30_000);
      await waitFor(async () => (await scene.dryRunImage()) === IMAGE_31, 30_000, 'new pods get 1.31.0-rc.0');
      const injecting = Date.now() - moved;
      const tags = await waitFor(
        async () => currentTags()?.includes(prod) && currentTags(),
        30_000,
        'istiod sees tag prod',
      );
      expect(tags).toContain(r31);
      // It counts the tag from the tag's Service as well (what an install without webhooks has): its watcher
      // says so at debug level when the Service and the webhook both name r31.
      await waitFor(
        async () => istiod.running().log().includes(`Tag name ${prod} is already defined by a service`),
        30_000,
        "istiod reads tag prod from the tag's Service",
        250,
      );
      const { deployment, proxy } = await gatewayDeploymentOf(scene.appNs, gateway);
      console.log(
        `tag move -> new pods injected for r31: ${injecting} ms; -> Gateway deployed by istiod r31: ${Date.now() - moved} ms`,
      );
      expect(deployment.spec?.template.metadata?.annotations?.['istio.io/rev']).toBe(r31);
      expect(proxy?.image).toBe(IMAGE_31);
      expect(proxy?.env?.find((e) => e.name === 'CA_ADDR')?.value).toBe(
        `istiod-${r31}.${scene.cpNs}.svc:15012`,
      );
    });

    /** The pod as the apiserver would store it, dry-run where nothing injects. */
    async function stored(pod: V1Pod): Promise<V1Pod> {
      await serviceAccount(storeNs, pod);
      return (await objects.create(
        {
          ...pod,
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...pod.metadata, name: uniqueName('stored'), namespace: storeNs },
        } as KubernetesObject,
        undefined,
        'All',
      )) as V1Pod;
    }

    /** Admission looks the pod's ServiceAccount up. */
    async function serviceAccount(namespace: string, pod: V1Pod): Promise<void> {
      const name = pod.spec?.serviceAccountName;
      if (name)
        await core
          .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
          .catch((err: unknown) => {
            if ((err as { code?: number }).code !== 409) throw err;
          });
    }

    /**
     * Creates `pod` through the apiserver (Meshwright's webhook injects it for r31), and checks that istiod r31's
     * /inject answer for it equals Meshwright's engine on r31's ConfigMaps, and, as the apiserver stores it, the
     * pod the webhook made. Returns the created pod.
     */
    async function injectedAlike(pod: V1Pod, uid: string): Promise<V1Pod> {
      const namespace = pod.metadata!.namespace!;
      await serviceAccount(namespace, pod);
      const created = await core.createNamespacedPod({ namespace, body: pod });
      expect(proxyImageOf(created)).toBe(IMAGE_31);
      expect(JSON.parse(created.metadata?.annotations?.[STATUS] ?? '{}')).toMatchObject({ revision: r31 });
      const byIstiod = await injectedByIstiod(istiod.running(), pod, uid);
      expect({ status: byIstiod.status, allowed: byIstiod.allowed, message: byIstiod.message }).toEqual({
        status: 200,
        allowed: true,
        message: undefined,
      });
      expect(byIstiod.patch).toBeTruthy();
      const byMeshwright = await injectedByMeshwright({
        injector: await configMap(`istio-sidecar-injector-${r31}`),
        mesh: await configMap(`istio-${r31}`),
        pod,
        namespace,
        revision: r31,
      });
      expect(byMeshwright.config.version).toMatchObject({ line: '1.31' });
      expect(formatDifferences(podDifferences(byIstiod.pod, byMeshwright.pod))).toBe('');
      expect(formatDifferences(podDifferences(await stored(byIstiod.pod), created))).toBe('');
      return created;
    }

    it("a new Bookinfo pod of the prod namespace: Meshwright's webhook injects it for r31, as istiod r31 does", async () => {
      const created = await injectedAlike(bookinfoPod('productpage-v1', scene.appNs), 'icanary-1');
      expect(created.metadata?.labels?.['service.istio.io/canonical-revision']).toBe('v1');
    });

    it('a pod with the 1.31-only prometheus.istio.io/scrape-targets is injected alike', async () => {
      const pod = bookinfoPod('reviews-v1', scene.appNs, {
        'prometheus.istio.io/scrape-targets': '9080:/metrics,9100',
      });
      const created = await injectedAlike(pod, 'icanary-2');
      const proxy = [...(created.spec?.initContainers ?? []), ...(created.spec?.containers ?? [])].find(
        (c) => c.name === 'istio-proxy',
      );
      expect(proxy?.env?.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value).toContain('targets');
    });

    it("a pod labelled istio.io/rev=<prod> in a namespace of no revision (the tag's object webhook) alike; it keeps the tag label", async () => {
      const base = bookinfoPod('details-v1', plainNs);
      const pod: V1Pod = {
        ...base,
        metadata: { ...base.metadata, labels: { ...base.metadata?.labels, 'istio.io/rev': prod } },
      };
      const created = await injectedAlike(pod, 'icanary-3');
      expect(created.metadata?.labels?.['istio.io/rev']).toBe(prod);
    });

    it("r31's validating webhook reaches istiod: an invalid VirtualService of r31 is rejected, a valid one accepted", async () => {
      const verdicts = await virtualServiceVerdicts({
        namespace: plainNs,
        labels: { 'istio.io/rev': r31 },
        webhookName: 'rev.validation.istio.io',
      });
      expect(verdicts.rejected).toMatch(/denied the request/);
      expect(verdicts.rejected).toMatch(/regex/i);
      expect(verdicts.invalid).toContain('rev.validation.istio.io');
      expect(verdicts.valid).toBeUndefined();
      const live = await admissionApi().readValidatingWebhookConfiguration({
        name: `istio-validator-${r31}-${scene.cpNs}`,
      });
      // The chart sets Fail itself when it is given a caBundle (istiod patches nothing here).
      expect(live.webhooks?.[0]?.failurePolicy).toBe('Fail');
    });

    it('validation follows revisions, not tags (as upstream): an invalid VirtualService labelled with the tag is admitted', async () => {
      // Upstream's tags render only injection webhooks (a validator only for `default`); so do Meshwright's.
      const created = await objects.create({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'tag-labelled', namespace: plainNs, labels: { 'istio.io/rev': prod } },
        spec: {
          hosts: ['reviews'],
          http: [{ match: [{ uri: { regex: '(unclosed' } }], route: [{ destination: { host: 'reviews' } }] }],
        },
      } as KubernetesObject);
      expect(created.metadata?.uid).toBeTruthy();
    });

    // Last: what the tests above made istiod do (a Gateway deployed, injections, validations).
    it('istiod logs no unexpected error-level line, nor a forbidden call, after all of it', () => {
      const log = istiod.running().log();
      expect(log).not.toMatch(/forbidden/i);
      expect(unexpectedErrors(log)).toEqual([]);
    });
  },
);
