// An in-process operator that renders through the reference releases' own charts (1.30.3 and 1.31.0-rc.0
// under ../shared/reference), for the suites about versions, kinds and ambient; plus the small reads they
// share. The log goes to the cluster's log directory.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartControllerRender } from '../../../operator/render/charts/controller-render';
import { createLogger } from '../../../lib/log';
import { createRegistry } from '../../../lib/metrics';
import {
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
  ownerSelector,
} from '../../../operator/controller/apply/ownership';
import { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../../operator/controller/manager';
import { RenderCache } from '../../../operator/render/charts/render-cache';
import { MANAGED_KINDS } from '../../../operator/render/gvk';
import { HelmProcessRenderer } from '../../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../../release/local';
import { helm, REFERENCE } from '../../unit/operator/charts/parity-helpers';
import { clusterDir, kubeConfig, waitFor } from './cluster';

export const IOP_API = 'install.istio.io/v1alpha1';

export type Live = KubernetesObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
};

export interface IopStatus {
  status?: string;
  message?: string;
  componentStatus?: Record<string, { status: string; error?: string }>;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  observedGeneration?: number;
  meshwright?: {
    version?: string;
    crds?: { keptNewer?: number; version?: string; message?: string };
    sidecarRollout?: { phase?: string; targetImage?: string; restarted?: string[] };
  };
}

/** Where startChartOperator(name) writes its JSON log. */
export function chartOperatorLog(name: string): string {
  const dir = clusterDir();
  return join(dir ? join(dir, 'logs') : tmpdir(), `${name}.log`);
}

/** Starts a chart-rendering operator (no leader election) watching `namespace`, or every namespace. */
export async function startChartOperator(
  name: string,
  namespace?: string,
  resyncPeriodMs = 600_000,
): Promise<OperatorManager> {
  const logFile = chartOperatorLog(name);
  const manager = new OperatorManager({
    kc: kubeConfig(),
    render: chartControllerRender({
      releases: new ReleasesDirProvider(REFERENCE),
      cache: new RenderCache(new HelmProcessRenderer({ binary: helm() })),
      defaultVersion: '1.30.3',
    }),
    managedKinds: MANAGED_KINDS,
    namespace,
    leaderElect: false,
    leaderElectionNamespace: namespace ?? 'default',
    identity: name,
    resyncPeriodMs,
    registry: createRegistry(false),
    log: createLogger({ level: 'debug', stream: createWriteStream(logFile) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
  });
  await manager.start();
  await waitFor(async () => manager.ready(), 30_000, `${name} operator synced`);
  return manager;
}

export async function iopStatus(client: RawKubeClient, namespace: string, name: string): Promise<IopStatus> {
  const live = (await client.get({ apiVersion: IOP_API, kind: 'IstioOperator', namespace, name })) as
    Live | undefined;
  return (live?.status ?? {}) as IopStatus;
}

/** Waits until the IstioOperator's status satisfies `ok`; the last status is in the timeout's message. */
export async function waitStatus(
  client: RawKubeClient,
  namespace: string,
  name: string,
  ok: (s: IopStatus) => boolean,
  what: string,
  timeoutMs = 150_000,
): Promise<IopStatus> {
  let last: IopStatus = {};
  try {
    await waitFor(
      async () => {
        last = await iopStatus(client, namespace, name);
        return ok(last);
      },
      timeoutMs,
      what,
      1000,
    );
  } catch (err) {
    throw new Error(`${String(err)}; last status: ${JSON.stringify(last)}`);
  }
  return last;
}

/** Removes an IstioOperator without its uninstall (finalizer dropped), for clean-up after a test. */
export async function forceRemoveIop(client: RawKubeClient, namespace: string, name: string): Promise<void> {
  const ref = { apiVersion: IOP_API, kind: 'IstioOperator', namespace, name };
  await client.mergePatch(ref, { metadata: { finalizers: null } }).catch(() => undefined);
  await client.delete(ref).catch(() => undefined);
}

/** Deletes the cluster-scoped objects an IstioOperator owns (namespaced ones go with the test namespace). */
export async function deleteOwnedClusterObjects(
  client: RawKubeClient,
  namespace: string,
  name: string,
  keepKinds: readonly string[] = [],
): Promise<void> {
  const selector = ownerSelector({ namespace, name });
  for (const k of MANAGED_KINDS.filter((x) => !x.namespaced && !keepKinds.includes(x.kind))) {
    const owned = await client
      .list(k.apiVersion, k.kind, selector)
      .catch(() => ({ items: [] as KubernetesObject[] }));
    for (const o of owned.items)
      await client
        .delete({ apiVersion: k.apiVersion, kind: k.kind, name: o.metadata!.name! })
        .catch(() => undefined);
  }
}

/**
 * Releases the CRDs owned from `namespace` (by IstioOperator `name`, or by any there): their owner labels
 * removed, so they stay for the other suites of the run, as the operator's own uninstall leaves them while
 * other IstioOperators remain, and a clean-up deleting what the namespace owns no longer finds them.
 */
export async function releaseOwnedCrds(
  client: RawKubeClient,
  namespace: string,
  name?: string,
): Promise<void> {
  const selector = name ? ownerSelector({ namespace, name }) : `${LABEL_OWNING_NAMESPACE}=${namespace}`;
  const owned = await client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition', selector);
  for (const crd of owned.items)
    await client
      .mergePatch(
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          name: crd.metadata!.name!,
        },
        { metadata: { labels: { [LABEL_OWNING_RESOURCE]: null, [LABEL_OWNING_NAMESPACE]: null } } },
      )
      .catch(() => undefined);
}
