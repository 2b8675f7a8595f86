// The canary suites' shared scene on the local control plane (canary-upgrade, canary-faults*,
// gateway-follows-tag): the CRDs they need, IstioOperators of the two reference releases, tag `prod`, the
// Deployments injected through it, status reads and waits, the CA stand-in and the clean-up. Each file keeps
// its own assertions; this module only sets up, reads and waits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ownerSelector } from '../../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';
import { FOLLOW_TAG_ANNOTATION } from '../../../operator/controller/tags/tag-follow';
import { MANAGED_KINDS } from '../../../operator/render/gvk';
import { LABEL_INJECTION_WEBHOOK } from '../../../operator/render/injection/injection-target';
import type { StartedWebhook } from '../../../webhook/server/start';
import {
  admissionApi,
  appsApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  waitFor,
} from './cluster';
import { installIstioOperatorCrd } from './iop-crd';
import { startLoopbackWebhook } from './loopback-webhook';
import { proxyImageOf } from './revision-webhook';

export const IOP_API = 'install.istio.io/v1alpha1';
export const TAG_API = 'meshwright.io/v1alpha1';
export const IMAGE_30 = 'docker.io/istio/proxyv2:1.30.3';
export const IMAGE_31 = 'docker.io/istio/proxyv2:1.31.0-rc.0';
export const MWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' };
export const GATEWAY = 'istio-ingressgateway';

/** `Kind/namespace/name` of an object (namespace empty when cluster-scoped). */
export const objectKey = (o: KubernetesObject): string =>
  `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

export type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** What the canary suites read of an IstioOperator's status. */
export interface CanaryStatus {
  status?: string;
  message?: string;
  observedGeneration?: number;
  conditions?: { type: string; status: string; message?: string; lastTransitionTime?: string }[];
  meshwright?: {
    version?: string;
    followedTag?: { tag?: string; revision?: string; istioOperator?: string };
    sidecars?: { injected?: number; outdated?: number; outdatedWorkloads?: string[] };
    sidecarRollout?: { phase?: string; restarted?: string[]; pending?: number; batches?: number };
  };
}

/** Installs the IstioOperator and IstioRevisionTag CRDs (shared by all suites) and waits for the tag API. */
export async function installCanaryCrds(admin: RawKubeClient, fieldManager: string): Promise<void> {
  await installIstioOperatorCrd(admin, fieldManager);
  const tagCrd = parse(
    readFileSync(join(__dirname, '..', '..', '..', 'crds', 'istiorevisiontag.yaml'), 'utf8'),
  );
  await admin.apply(tagCrd as KubernetesObject, fieldManager, true);
  await waitFor(
    async () => (await admin.list(TAG_API, 'IstioRevisionTag').then(() => true)) as boolean,
    30_000,
    'IstioRevisionTag CRD served',
  );
}

/**
 * One suite's canary scene: the control-plane namespace `cpNs`, the application namespace `appNs` (labelled
 * istio.io/rev=<prod>) and tag `prod`. The namespaces are set in beforeAll, hence fields, not constructor
 * arguments.
 */
export class CanaryScene {
  readonly kc = kubeConfig();
  readonly admin = new RawKubeClient(this.kc);
  readonly core = coreApi();
  readonly apps = appsApi();
  cpNs = '';
  appNs = '';
  webhook?: StartedWebhook;
  private caSync?: NodeJS.Timeout;

  constructor(readonly prod: string) {}

  /** The loopback webhook's base URL (after setUp). */
  get url(): string {
    return `https://127.0.0.1:${this.webhook!.server.port}`;
  }

  /**
   * For beforeAll: the CRDs (field manager and certificate name `name`), cpNs, the loopback webhook serving
   * from cpNs's ConfigMaps; with `appPrefix`, also appNs labelled istio.io/rev=<prod> and the CA stand-in,
   * so pods there are injected through the operator's webhooks.
   */
  async setUp(o: {
    name: string;
    cpPrefix: string;
    appPrefix?: string;
    logStream?: Writable;
  }): Promise<void> {
    await installCanaryCrds(this.admin, o.name);
    this.cpNs = await createTestNamespace(o.cpPrefix);
    if (o.appPrefix) this.appNs = await createTestNamespace(o.appPrefix, { 'istio.io/rev': this.prod });
    const started = await startLoopbackWebhook({
      commonName: o.name,
      istioNamespace: this.cpNs,
      nativeSidecars: 'auto',
      kubeConfig: this.kc,
      ...(o.logStream ? { logStream: o.logStream } : {}),
    });
    this.webhook = started.webhook;
    if (o.appPrefix) this.caSync = this.syncCaBundle(started.ca.certPem, this.url);
  }

  /** For afterAll, once the operators are stopped: the CA stand-in, cleanUp(iops), the webhook. */
  async tearDown(iops: readonly string[]): Promise<void> {
    if (this.caSync) clearInterval(this.caSync);
    await this.cleanUp(iops);
    await this.webhook?.stop(0);
  }

  iopRef(name: string) {
    return { apiVersion: IOP_API, kind: 'IstioOperator', namespace: this.cpNs, name };
  }

  async statusOf(name: string): Promise<CanaryStatus | undefined> {
    return ((await this.admin.get(this.iopRef(name))) as Obj | undefined)?.status as CanaryStatus | undefined;
  }

  get tagRef() {
    return { apiVersion: TAG_API, kind: 'IstioRevisionTag', name: this.prod };
  }

  get tagWebhookRef() {
    return { ...MWC, name: `istio-revision-tag-${this.prod}` };
  }

  async tagStatus(): Promise<Record<string, unknown> | undefined> {
    return ((await this.admin.get(this.tagRef)) as Obj | undefined)?.status;
  }

  /** Every object the IstioOperator owns (its owner labels), `Kind/namespace/name` -> uid. */
  async owned(name: string): Promise<Map<string, string>> {
    const lists = await Promise.all(
      MANAGED_KINDS.map((k) =>
        this.admin
          .list(k.apiVersion, k.kind, ownerSelector({ namespace: this.cpNs, name }))
          .catch(() => ({ items: [] as KubernetesObject[] })),
      ),
    );
    return new Map(
      lists.flatMap((l, i) =>
        l.items.map((o) => [objectKey({ ...o, kind: MANAGED_KINDS[i].kind }), o.metadata!.uid!] as const),
      ),
    );
  }

  /** A control-plane IstioOperator (minimal profile) of `revision` at Istio `tag`; `base: false` drops Base. */
  iop(
    name: string,
    revision: string,
    tag: string,
    o: { base?: boolean; extra?: Record<string, unknown> } = {},
  ): KubernetesObject {
    return {
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name, namespace: this.cpNs },
      spec: {
        profile: 'minimal',
        revision,
        tag,
        ...(o.base === false ? { components: { base: { enabled: false } } } : {}),
        values: { global: { istioNamespace: this.cpNs } },
        ...o.extra,
      },
    } as KubernetesObject;
  }

  /** A gateways-only IstioOperator with the ingress gateway: of `revision`, or following tag `follow`. */
  gatewayIop(name: string, o: { revision: string; tag: string } | { follow: string }): KubernetesObject {
    const follow = 'follow' in o;
    return {
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: {
        name,
        namespace: this.cpNs,
        ...(follow ? { annotations: { [FOLLOW_TAG_ANNOTATION]: o.follow } } : {}),
      },
      spec: {
        profile: 'empty',
        ...(follow ? {} : { revision: o.revision, tag: o.tag }),
        components: { ingressGateways: [{ name: GATEWAY, enabled: true }] },
        values: { global: { istioNamespace: this.cpNs } },
      },
    } as KubernetesObject;
  }

  /** Creates tag `prod` on `revision` and waits for it to be Ready; returns its status. */
  async createTag(revision: string): Promise<Record<string, unknown>> {
    await this.admin.create({
      apiVersion: TAG_API,
      kind: 'IstioRevisionTag',
      metadata: { name: this.prod },
      spec: { revision },
    } as KubernetesObject);
    return this.waitTagReady(revision, 60_000);
  }

  /** Waits for tag `prod` to be Ready on `revision`. */
  waitTagReady(revision: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return waitFor(
      async () => {
        const s = await this.tagStatus();
        return s?.revision === revision && s?.state === 'Ready' && s;
      },
      timeoutMs,
      `tag ${this.prod} Ready on ${revision}`,
    );
  }

  /** Waits for the IstioOperator to be HEALTHY at its current generation; the last status in the error. */
  async waitHealthy(
    name: string,
    what: string,
    timeoutMs = 300_000,
    intervalMs = 500,
  ): Promise<CanaryStatus> {
    let last: CanaryStatus | undefined;
    try {
      return await waitFor(
        async () => {
          const live = (await this.admin.get(this.iopRef(name))) as Obj | undefined;
          last = live?.status as CanaryStatus | undefined;
          return last?.status === 'HEALTHY' && last.observedGeneration === live?.metadata?.generation && last;
        },
        timeoutMs,
        what,
        intervalMs,
      );
    } catch (err) {
      throw new Error(`${String(err)}; last status: ${JSON.stringify(last)}`);
    }
  }

  /** Waits for the IstioOperator's sidecar rollout to be Complete with no outdated sidecar left. */
  rolloutComplete(name: string, timeoutMs = 180_000): Promise<CanaryStatus> {
    return waitFor(
      async () => {
        const s = await this.statusOf(name);
        return (
          s?.meshwright?.sidecarRollout?.phase === 'Complete' && s.meshwright.sidecars?.outdated === 0 && s
        );
      },
      timeoutMs,
      `${name} rollout Complete, nothing outdated`,
      500,
    );
  }

  /** The proxy image a new pod in appNs would get now (a dry-run create, so nothing is left behind). */
  async dryRunImage(): Promise<string | undefined> {
    return proxyImageOf(
      await this.core.createNamespacedPod({
        namespace: this.appNs,
        body: { metadata: { generateName: 'probe-' }, spec: { containers: [{ name: 'app', image: 'x' }] } },
        dryRun: 'All',
      }),
    );
  }

  /** A Deployment `name` (pods labelled app=<name>) in appNs. */
  async deployment(name: string, replicas: number): Promise<void> {
    await this.apps.createNamespacedDeployment({
      namespace: this.appNs,
      body: {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        },
      },
    });
  }

  /** The live (not terminating) pods of app `app` in appNs. */
  async pods(app: string): Promise<V1Pod[]> {
    const { items } = await this.core.listNamespacedPod({
      namespace: this.appNs,
      labelSelector: `app=${app}`,
    });
    return items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** Waits for `n` running pods of `app`, every one with `image` as its proxy when given. */
  runningPods(app: string, n: number, image?: string, timeoutMs = 120_000): Promise<V1Pod[]> {
    return waitFor(
      async () => {
        const items = await this.pods(app);
        return (
          items.length === n &&
          items.every((p) => p.status?.phase === 'Running' && (!image || proxyImageOf(p) === image)) &&
          items
        );
      },
      timeoutMs,
      `${app}: ${n} pod(s) running${image ? ` ${image}` : ''}`,
      500,
    );
  }

  gateway(): Promise<V1Deployment> {
    return this.apps.readNamespacedDeployment({ namespace: this.cpNs, name: GATEWAY });
  }

  /** The gateway's CA_ADDR: which istiod it talks to. */
  async gatewayCaAddr(): Promise<string | undefined> {
    return (await this.gateway()).spec?.template?.spec?.containers?.[0]?.env?.find(
      (e) => e.name === 'CA_ADDR',
    )?.value;
  }

  /** Waits for the gateway Deployment to be rolled: one replica, updated and available. */
  gatewayRolled(timeoutMs = 60_000): Promise<V1Deployment> {
    return waitFor(
      async () => {
        const d = await this.gateway();
        return (
          d.status?.updatedReplicas === 1 &&
          d.status?.replicas === 1 &&
          d.status?.availableReplicas === 1 &&
          d
        );
      },
      timeoutMs,
      'gateway rolled',
    );
  }

  /**
   * Stands in for cert-manager's cainjector (or the webhook's self-signed CA manager): the operator leaves
   * caBundle to another manager, so the test CA is patched every 300 ms into each injection webhook the
   * operator made (label meshwright.io/injection-webhook) that calls `url` and lacks it.
   */
  syncCaBundle(caPem: string, url: string): NodeJS.Timeout {
    const caBundle = Buffer.from(caPem).toString('base64');
    return setInterval(() => {
      void (async () => {
        const { items } = await admissionApi().listMutatingWebhookConfiguration({
          labelSelector: `${LABEL_INJECTION_WEBHOOK}=true`,
        });
        for (const m of items) {
          const mine = (m.webhooks ?? []).some((w) => w.clientConfig.url?.startsWith(url));
          if (!mine || (m.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) continue;
          await this.admin.mergePatch(
            { ...MWC, name: m.metadata!.name! },
            {
              webhooks: (m.webhooks ?? []).map((w) => ({
                ...w,
                clientConfig: { ...w.clientConfig, caBundle },
              })),
            },
          );
        }
      })().catch(() => undefined);
    }, 300);
  }

  /**
   * After a run, failed or not: the tag, the IstioOperators `names` with their finalizers dropped, the
   * cluster-scoped objects labelled as owned from cpNs, the tag's webhook, and both namespaces.
   */
  async cleanUp(names: readonly string[]): Promise<void> {
    await this.admin.delete(this.tagRef).catch(() => undefined);
    for (const name of names) {
      if (this.cpNs && (await this.admin.get(this.iopRef(name)).catch(() => undefined))) {
        await this.admin
          .mergePatch(this.iopRef(name), { metadata: { finalizers: null } })
          .catch(() => undefined);
        await this.admin.delete(this.iopRef(name)).catch(() => undefined);
      }
    }
    if (this.cpNs)
      for (const k of MANAGED_KINDS.filter((x) => !x.namespaced)) {
        const owned = await this.admin
          .list(k.apiVersion, k.kind, `install.operator.istio.io/owning-resource-namespace=${this.cpNs}`)
          .catch(() => ({ items: [] as KubernetesObject[] }));
        for (const o of owned.items)
          await this.admin
            .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
            .catch(() => undefined);
      }
    await this.admin.delete(this.tagWebhookRef).catch(() => undefined);
    for (const ns of [this.appNs, this.cpNs]) if (ns) await deleteNamespace(ns);
  }
}

export interface Availability {
  lowest: number;
  samples: number;
}

/**
 * Polls a Deployment every 100 ms from now until stop(): the lowest available replica count seen (a 404
 * counts as 0) and how many samples were taken; now() reads them while it goes on.
 */
export function watchAvailability(read: () => Promise<V1Deployment>): {
  now(): Availability;
  stop(): Promise<Availability>;
} {
  let lowest = Number.MAX_SAFE_INTEGER;
  let samples = 0;
  let watching = true;
  const loop = (async () => {
    while (watching) {
      // Another failed read is not a sample (an apiserver hiccup says nothing about the Deployment).
      const available = await read().then(
        (d) => d.status?.availableReplicas ?? 0,
        (err: { code?: number }) => (err.code === 404 ? 0 : undefined),
      );
      if (available !== undefined) {
        lowest = Math.min(lowest, available);
        samples++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    now: () => ({ lowest, samples }),
    async stop() {
      watching = false;
      await loop;
      return { lowest, samples };
    },
  };
}
