// The real OperatorManager in-process for one namespace, as the suites that drive it start it: no leader
// election (a restart is: stop it, start another), a debug log of its own, a 1 s poll; resolves once its
// watches have synced. What it renders and where its injection webhooks point is the caller's.
import { createWriteStream } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../../lib/log';
import { createRegistry } from '../../../lib/metrics';
import type { RenderFn } from '../../../operator/controller/reconcile/desired';
import { OperatorManager, type OperatorOptions } from '../../../operator/controller/manager';
import { MANAGED_KINDS } from '../../../operator/render/gvk';
import { waitFor } from './cluster';

export async function startOperatorManager(o: {
  kc: KubeConfig;
  namespace: string;
  identity: string;
  logFile: string;
  render: RenderFn;
  sidecarCensusTtlMs?: number;
  injection?: OperatorOptions['injection'];
}): Promise<OperatorManager> {
  const m = new OperatorManager({
    kc: o.kc,
    render: o.render,
    managedKinds: MANAGED_KINDS,
    namespace: o.namespace,
    leaderElect: false,
    leaderElectionNamespace: o.namespace,
    identity: o.identity,
    resyncPeriodMs: 600_000,
    registry: createRegistry(false),
    log: createLogger({ level: 'debug', stream: createWriteStream(o.logFile) }),
    onLostLeadership: () => undefined,
    pollMs: 1000,
    ...(o.sidecarCensusTtlMs !== undefined ? { sidecarCensusTtlMs: o.sidecarCensusTtlMs } : {}),
    ...(o.injection ? { injection: o.injection } : {}),
  });
  await m.start();
  await waitFor(async () => m.ready(), 30_000, `operator ${o.identity} synced`);
  return m;
}
