// An upgrade end to end, with the real parts together on the local control plane: the operator
// (in-process OperatorManager, the CLI's render through the 1.30.3 release's charts, its CRDs included) installs the minimal profile
// for a revision of this run; the webhook (in-process, cluster mode) serves that revision at
// /inject/rev/<rev>, registered by URL with a self-signed caBundle. The seed Istio examples are then
// accepted by the CRDs the operator installed; a Deployment's pods (made by the controller-manager, run
// by kwok) are injected with proxyv2:1.30.3; a `values.global.tag` change to 1.31.0-rc.0 (another release, rendered from its own charts) reaches the webhook through the
// injector ConfigMap the operator updates and makes them outdated; spec.sidecarRollout restarts the
// Deployment so its new pods run the new tag; deleting the IstioOperator removes everything it installed.
//
// The Istio CRDs are cluster-wide: crds.test.ts leaves them installed and this file's IstioOperator
// adopts them (owner labels), and its uninstall deletes them, which is the operator's documented
// behaviour. Test files run one at a time on the CI machine (jest's default worker count on 2 cores);
// running this file in parallel with crds.test.ts would pull the CRDs from under it.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
  ownerSelector,
} from '../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../operator/controller/manager';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { seedExamples } from '../unit/crds/examples';
import {
  appsApi,
  clusterDir,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
  waitFor,
} from './support/cluster';
import { releaseCrds } from './support/chart-render';
import { installIstioOperatorCrd } from './support/iop-crd';
import {
  type LoopbackRevisionWebhook,
  startLoopbackRevisionWebhook,
  startNamespaceOperator,
} from './support/loopback-revision-webhook';
import { proxyImageOf } from './support/revision-webhook';

jest.setTimeout(120_000);

const IOP = 'install.istio.io/v1alpha1';
const OLD_IMAGE = 'docker.io/istio/proxyv2:1.30.3';
const NEW_IMAGE = 'docker.io/istio/proxyv2:1.31.0-rc.0';

interface Sidecars {
  injected: number;
  outdated: number;
  expectedImage: string;
}
interface IopStatus {
  status?: string;
  componentStatus?: Record<string, { status: string }>;
  meshwright?: {
    sidecars?: Sidecars;
    sidecarRollout?: { phase?: string; targetImage?: string; restarted?: string[]; pending?: number };
  };
}
type Crd = KubernetesObject & {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

const kc = kubeConfig();
const admin = new RawKubeClient(kc);
const core = coreApi();
const rev = uniqueName('up');
// What the 1.30.3 release's base chart installs (the operator renders through that release's charts).
const istioCrds = releaseCrds();
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
let cpNs = '';
let appNs = '';
let operator: OperatorManager | undefined;
let webhook: LoopbackRevisionWebhook | undefined;
const mwcName = `meshwright-sidecar-injector-${rev}`;

const iopRef = () => ({ apiVersion: IOP, kind: 'IstioOperator', namespace: cpNs, name: 'upgrade' });
const status = async () => ((await admin.get(iopRef())) as { status?: IopStatus } | undefined)?.status;
const crdRef = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  name,
});

const startOperator = (run: string): Promise<OperatorManager> =>
  startNamespaceOperator({
    kubeConfig: kc,
    namespace: cpNs,
    identity: `upgrade-test-${run}`,
    logFile: join(logDir, `operator-${rev}-${run}.log`),
  });

async function waitSidecars(expected: Sidecars, description: string): Promise<void> {
  await waitFor(
    async () => {
      const got = (await status())?.meshwright?.sidecars;
      const same = got && (Object.keys(expected) as (keyof Sidecars)[]).every((k) => got[k] === expected[k]);
      // Thrown, so a timeout names what the status said last.
      if (!same) throw new Error(`status.meshwright.sidecars is ${JSON.stringify(got)}`);
      return true;
    },
    60_000,
    description,
    500,
  );
}

/** A pod as the app namespace's admission would create it now (not stored). */
const dryRunPod = (): Promise<V1Pod> =>
  core.createNamespacedPod({
    namespace: appNs,
    body: { metadata: { generateName: 'probe-' }, spec: { containers: [{ name: 'app', image: 'x' }] } },
    dryRun: 'All',
  });

/** The pods of the app Deployment, terminating ones included. */
const appPods = async (): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=web' })).items;

async function ownedObjects(): Promise<KubernetesObject[]> {
  const owner = ownerSelector({ namespace: cpNs, name: 'upgrade' });
  const lists = await Promise.all(MANAGED_KINDS.map((k) => admin.list(k.apiVersion, k.kind, owner)));
  return lists.flatMap((l) => l.items);
}

beforeAll(async () => {
  await installIstioOperatorCrd(admin, 'meshwright-upgrade-test');
  cpNs = await createTestNamespace('mw-up');
  appNs = await createTestNamespace('mw-up-app', {
    'istio.io/rev': rev,
    'meshwright.test/upgrade': rev,
  });

  webhook = await startLoopbackRevisionWebhook({
    kubeConfig: kc,
    istioNamespace: cpNs,
    revision: rev,
    configurationName: mwcName,
    logDir,
  });
  operator = await startOperator('a');
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  await webhook?.stop();
  // After a failure: uninstall by hand what the operator could not.
  if (cpNs && (await admin.get(iopRef()).catch(() => undefined))) {
    await admin.mergePatch(iopRef(), { metadata: { finalizers: null } }).catch(() => undefined);
    await admin.delete(iopRef()).catch(() => undefined);
    for (const o of await ownedObjects().catch(() => []))
      if (!o.metadata?.namespace)
        await admin
          .delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name! })
          .catch(() => undefined);
  }
  if (appNs) await deleteNamespace(appNs);
  if (cpNs) await deleteNamespace(cpNs);
});

describe('upgrade of a revision: install, seed examples, injection, tag change, sidecar rollout', () => {
  it('installs the minimal profile to HEALTHY, the Istio CRDs included', async () => {
    await admin.create({
      apiVersion: IOP,
      kind: 'IstioOperator',
      metadata: { name: 'upgrade', namespace: cpNs },
      spec: { profile: 'minimal', namespace: cpNs, revision: rev },
    } as KubernetesObject);
    await waitFor(async () => (await status())?.status === 'HEALTHY', 90_000, 'IstioOperator HEALTHY', 500);
    const s = (await status())!;
    expect(s.componentStatus).toEqual({ Base: { status: 'HEALTHY' }, Pilot: { status: 'HEALTHY' } });
    expect(s.meshwright?.sidecars).toEqual({ injected: 0, outdated: 0, expectedImage: OLD_IMAGE });
    // Every Base CRD is this IstioOperator's (its owner labels, applied by the operator's field
    // manager), Established, whether it was created now or adopted from an earlier test file.
    expect(istioCrds.map((c) => c.metadata?.name)).toEqual(
      expect.arrayContaining([
        'virtualservices.networking.istio.io',
        'peerauthentications.security.istio.io',
      ]),
    );
    for (const crd of istioCrds) {
      const live = (await admin.get(crdRef(crd.metadata!.name!))) as Crd;
      expect({ crd: crd.metadata?.name, labels: live.metadata?.labels }).toMatchObject({
        labels: { [LABEL_OWNING_RESOURCE]: 'upgrade', [LABEL_OWNING_NAMESPACE]: cpNs },
      });
      expect(live.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER)).toBe(true);
      expect(live.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
  });

  it('accepts the Istio examples of the seeds', async () => {
    const examples = seedExamples();
    expect(new Set(examples.map((e) => e.object.kind))).toEqual(
      new Set(['Gateway', 'VirtualService', 'DestinationRule', 'PeerAuthentication']),
    );
    for (const { source, object } of examples) {
      const body = { ...object, metadata: { ...object.metadata, namespace: appNs } };
      await admin.apply(body, 'meshwright-upgrade-test', true);
      const live = (await admin.get({
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: appNs,
        name: object.metadata.name,
      })) as KubernetesObject & { spec?: unknown };
      expect({ source, spec: live.spec }).toEqual({ source, spec: object.spec });
    }
  });

  it('injects proxyv2:1.30.3 into the pods of a Deployment in the revision-labelled namespace', async () => {
    // A registration takes effect after a short delay: dry runs until a pod comes back injected.
    await waitFor(async () => proxyImageOf(await dryRunPod()) === OLD_IMAGE, 30_000, 'the webhook in effect');
    await appsApi().createNamespacedDeployment({
      namespace: appNs,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        },
      },
    });
    const pods = await waitFor(
      async () => {
        const items = await appPods();
        return items.length === 2 && items.every((p) => p.status?.phase === 'Running') && items;
      },
      60_000,
      'two running app pods',
    );
    for (const pod of pods) {
      expect(proxyImageOf(pod)).toBe(OLD_IMAGE);
      expect(pod.metadata?.annotations?.['istio.io/rev']).toBe(rev);
      expect(pod.spec?.initContainers?.some((c) => c.name === 'istio-init')).toBe(true);
    }
    // The running operator re-counts when the census (2 s here) expires, without any owned-object event.
    await waitSidecars({ injected: 2, outdated: 0, expectedImage: OLD_IMAGE }, 'two injected, none outdated');
  });

  it('counts the running pods outdated after a values.global.tag change, which reaches the webhook', async () => {
    await admin.mergePatch(iopRef(), { spec: { values: { global: { tag: '1.31.0-rc.0' } } } });
    await waitFor(
      async () => {
        const cm = (await admin.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: cpNs,
          name: `istio-sidecar-injector-${rev}`,
        })) as { data?: { values?: string } } | undefined;
        return (
          (JSON.parse(cm?.data?.values ?? '{}') as { global?: { tag?: string } }).global?.tag ===
          '1.31.0-rc.0'
        );
      },
      30_000,
      'the injector ConfigMap with tag 1.31.0-rc.0',
    );
    // The webhook follows the ConfigMap live: a new pod (dry run) gets the new image.
    await waitFor(
      async () => proxyImageOf(await dryRunPod()) === NEW_IMAGE,
      30_000,
      'the webhook to inject the new tag',
    );
    await waitSidecars({ injected: 2, outdated: 2, expectedImage: NEW_IMAGE }, 'two outdated sidecars');
    expect((await appPods()).map(proxyImageOf)).toEqual([OLD_IMAGE, OLD_IMAGE]);
  });

  it('rolls the Deployment to the new tag with spec.sidecarRollout, back to zero outdated', async () => {
    await admin.mergePatch(iopRef(), {
      spec: {
        sidecarRollout: {
          enabled: true,
          batchSize: 1,
          pauseSeconds: 0,
          namespaceSelector: { matchLabels: { 'meshwright.test/upgrade': rev } },
        },
      },
    });
    const rollout = await waitFor(
      async () => {
        const s = await status();
        const r = s?.meshwright?.sidecarRollout;
        return r?.phase === 'Complete' && s?.meshwright?.sidecars?.outdated === 0 && s;
      },
      90_000,
      'rollout Complete with no outdated sidecar',
      500,
    );
    expect(rollout.meshwright).toEqual({
      version: '1.31.0-rc.0',
      sidecars: { injected: 2, outdated: 0, expectedImage: NEW_IMAGE },
      sidecarRollout: expect.objectContaining({
        targetImage: NEW_IMAGE,
        pending: 0,
        restarted: [`${appNs}/Deployment/web`],
      }),
    });
    // The old ReplicaSet's pods are gone; the two left were injected with the new tag.
    const pods = await waitFor(
      async () => {
        const items = await appPods();
        return items.length === 2 && items.every((p) => !p.metadata?.deletionTimestamp) && items;
      },
      60_000,
      'the old pods terminated',
    );
    expect(pods.map(proxyImageOf)).toEqual([NEW_IMAGE, NEW_IMAGE]);
    const web = await appsApi().readNamespacedDeployment({ name: 'web', namespace: appNs });
    expect(web.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  });

  it('uninstalls everything it installed, the CRDs included, when the IstioOperator is deleted', async () => {
    expect((await ownedObjects()).length).toBeGreaterThan(istioCrds.length);
    await admin.delete(iopRef());
    // Under load kube-apiserver's CRD finalizer can drop a CRD's cleanup (its list fails with 'storage is
    // (re)initializing', the retry's status update gets 409 and is not retried) and the CRD stays
    // Terminating; the operator re-issues the DELETE after 10 s (Warning DeletionStalled).
    await waitFor(
      async () => {
        if ((await admin.get(iopRef())) === undefined) return true;
        // Thrown, so a timeout names what is left, and why a CRD is still terminating.
        const left = (await ownedObjects()).map((o) => {
          const t = (o as Crd).status?.conditions?.find((c) => c.type === 'Terminating');
          const since = o.metadata?.deletionTimestamp;
          const why = t ? `: ${t.reason} ${t.message}` : '';
          return `${o.kind}/${o.metadata?.name}${since ? ` (deleted at ${String(since)}${why})` : ''}`;
        });
        throw new Error(`still installed: ${left.join(', ') || 'nothing owned'}`);
      },
      60_000,
      'IstioOperator finalized',
      500,
    );
    expect(await ownedObjects()).toEqual([]);
    for (const crd of istioCrds) expect(await admin.get(crdRef(crd.metadata!.name!))).toBeUndefined();
  });
});
