// The operators of the canary suites: an in-process OperatorManager rendering the reference charts (no
// leader election), or real `meshwright operator` processes (the built CLI) competing for the leader Lease,
// whose leader a fault test SIGKILLs (no Lease release) for the standby to take over.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { chartControllerRender } from '../../../operator/render/charts/controller-render';
import { freePorts } from '../../../hack/cluster/ports';
import type { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';
import { OperatorManager } from '../../../operator/controller/manager';
import { RenderCache } from '../../../operator/render/charts/render-cache';
import { HelmProcessRenderer } from '../../../operator/render/helm/helm-process';
import { ReleasesDirProvider } from '../../../release/local';
import { helm, REFERENCE } from '../../unit/operator/charts/parity-helpers';
import { startCli, stopCli, type CliProcess } from './audit';
import { operatorReleaseEnv } from './chart-render';
import { kubeconfigPath, waitFor } from './cluster';
import { startOperatorManager } from './operator-manager';

/** One helm render cache per test file, shared by its in-process operators (a restart keeps it warm). */
const cache = new RenderCache(new HelmProcessRenderer({ binary: helm() }));

/**
 * Starts the operator in-process on namespace `namespace` (debug log to `logFile`), rendering the reference
 * releases with its injection webhooks at `url`, and waits for its watches to sync.
 */
export function startInProcessOperator(o: {
  kc: KubeConfig;
  namespace: string;
  url: string;
  identity: string;
  logFile: string;
  sidecarCensusTtlMs?: number;
}): Promise<OperatorManager> {
  const injection = { target: { url: o.url } };
  return startOperatorManager({
    ...o,
    render: chartControllerRender({
      releases: new ReleasesDirProvider(REFERENCE),
      cache,
      defaultVersion: '1.30.3',
      injection,
    }),
    injection,
  });
}

/**
 * `meshwright operator` processes with leader election in `namespace` (the Lease
 * meshwright-operator-leader there), rendering the releases of `releasesDir` with the injection webhooks at
 * `url()`, the census every second. Each new candidate is named `<prefix>-<n>`.
 */
export class OperatorCandidates {
  readonly procs: CliProcess[] = [];
  private serial = 0;

  constructor(
    private readonly o: {
      admin: RawKubeClient;
      prefix: string;
      namespace: () => string;
      url: () => string;
      releasesDir?: () => string;
    },
  ) {}

  async start(): Promise<CliProcess> {
    const name = `${this.o.prefix}-${++this.serial}`;
    const [metrics, health] = await freePorts(2);
    const ns = this.o.namespace();
    const p = startCli(
      name,
      [
        'operator',
        `--kubeconfig=${kubeconfigPath()}`,
        `--namespace-to-watch=${ns}`,
        `--leader-election-namespace=${ns}`,
        `--metrics-port=${metrics}`,
        `--health-port=${health}`,
        `--injection-url=${this.o.url()}`,
        '--sidecar-census-interval=1s',
        '--default-istio-version=1.30.3',
      ],
      { ...operatorReleaseEnv(this.o.releasesDir?.()), POD_NAME: name, LOG_LEVEL: 'info' },
    );
    this.procs.push(p);
    return p;
  }

  /** The identity holding the leader Lease, if any. */
  async holder(): Promise<string | undefined> {
    const lease = (await this.o.admin.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: this.o.namespace(),
      name: 'meshwright-operator-leader',
    })) as (KubernetesObject & { spec?: { holderIdentity?: string } }) | undefined;
    return lease?.spec?.holderIdentity;
  }

  /** The two running candidates, leader first. */
  leaderAndStandby(): Promise<[CliProcess, CliProcess]> {
    const running = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    return waitFor(
      async () => {
        const h = await this.holder();
        const leader = running.find((p) => h?.startsWith(`${p.name}_`));
        const standby = running.find((p) => p !== leader);
        return leader && standby && ([leader, standby] as [CliProcess, CliProcess]);
      },
      60_000,
      'a leader among the running candidates',
      200,
    );
  }

  /**
   * SIGKILLs the leader (no Lease release), waits for the standby to hold the Lease (the next leader), then
   * starts a fresh candidate as the next standby. Returns how long the takeover took and the kill's exit status.
   */
  async killLeader(
    leader: CliProcess,
    standby: CliProcess,
  ): Promise<{ ms: number; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
    const exit = await stopCli(leader, 'SIGKILL');
    const killed = Date.now();
    await waitFor(
      async () => (await this.holder())?.startsWith(`${standby.name}_`),
      60_000,
      `${standby.name} holding the Lease`,
      250,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; ${standby.name}'s last log lines:\n${standby.log.slice(-25).join('\n')}`,
      );
    });
    const ms = Date.now() - killed;
    // The next standby starts only now: started at the kill, it raced the standby for the expired Lease
    // (a lean operator starts in well under the Lease's 15 s) and sometimes won.
    await this.start();
    return { ms, exit };
  }

  async stopAll(): Promise<void> {
    for (const p of this.procs) await stopCli(p);
  }
}
