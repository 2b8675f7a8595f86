// Composes the operator process: leader election gates the controller (only the leader watches and
// writes), probe and metrics servers run on every replica. Start-up makes sure the Lease namespace
// exists (creating it if missing) and fails with a clear error when it cannot, instead of idling. Used by `meshwright operator` and by the
// integration tests, which run several managers in one process.
import type { KubeSource } from '../../lib/kube/connection';
import { KubeHttp } from '../../lib/kube/http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log';
import { systemClock, type Clock } from './clock';
import { RawKubeClient } from './kube/raw-object-api';
import type { KubeClient } from './kube/kube-client';
import { LeaderElector } from './leader/elector';
import { DEFAULT_ELECTION } from './leader/lease-record';
import { ensureLeaseNamespace, KubeNamespaceClient, type NamespaceClient } from './leader/lease-namespace';
import { KubeLeaseStore } from './leader/lease-store';
import { createControllerMetrics, type ControllerMetrics } from './metrics';
import type { ManagedKind, RenderFn } from './reconcile/desired';
import { KubeEventRecorder } from './reconcile/event-recorder';
import { IstioOperatorReconciler } from './reconcile/reconciler';
import { CONTROLLER_NAME, IstioOperatorController } from './iop-controller';
import { FencedClient } from './runtime/fenced-client';
import { startProbeServer, type Readiness, type RunningServer } from './runtime/probe-server';
import { RevisionTagController, TAG_CONTROLLER_NAME } from './tags/tag-controller';
import { TagReconciler } from './tags/tag-reconciler';
import type { InjectionOptions } from '../render/charts/meshwright-adjustments';

export const LEASE_NAME = 'meshwright-operator-leader';

export interface OperatorOptions {
  /** The apiserver: a lean connection (lib/kube), or a client-node KubeConfig (tests). */
  kc: KubeSource;
  /** Defaults to a RawKubeClient; tests pass a wrapper that counts writes. */
  client?: KubeClient;
  render: RenderFn;
  managedKinds: readonly ManagedKind[];
  namespace?: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaseName?: string;
  /** Reads and creates the Lease namespace; defaults to the lean client of kc. */
  namespaces?: NamespaceClient;
  identity: string;
  resyncPeriodMs: number;
  /** Port for /metrics (and the probes when healthPort equals it); undefined: no server. */
  metricsPort?: number;
  healthPort?: number;
  registry: Registry;
  log: Logger;
  clock?: Clock;
  /** Called when a leader can no longer renew; the process should exit and be restarted. */
  onLostLeadership: () => void;
  pollMs?: number;
  /** How old status.meshwright.sidecars may get (the census TTL and re-queue period); default 60 s. */
  sidecarCensusTtlMs?: number;
  /** The Istio version shown for IstioOperators whose tags name none (default lib/version.ts ISTIO_VERSION). */
  defaultIstioVersion?: string;
  /** Where injection webhooks point; enables the IstioRevisionTag controller when set. */
  injection?: InjectionOptions;
}

export class OperatorManager {
  private readonly controller: IstioOperatorController;
  private readonly tags: RevisionTagController | undefined;
  private readonly elector: LeaderElector | undefined;
  private readonly metrics: ControllerMetrics;
  private readonly tagMetrics: ControllerMetrics | undefined;
  /** The current leadership term; reconcilers' API calls fail once it is aborted. */
  private term: AbortSignal = new AbortController().signal;
  private servers: RunningServer[] = [];
  private lost = false;
  private controllerStart: Promise<void> | undefined;
  private readonly http: KubeHttp;

  constructor(private readonly o: OperatorOptions) {
    const clock = o.clock ?? systemClock;
    // One transport (keep-alive Agent) for watches, the Lease and, by default, the reconcilers.
    const raw = o.client ? undefined : new RawKubeClient(o.kc);
    const http = raw?.http ?? new KubeHttp(o.kc);
    this.http = http;
    const unfenced = o.client ?? (raw as RawKubeClient);
    // Reconcilers write through the fence; watches and the Lease do not need it.
    const client = new FencedClient(unfenced, () => this.term);
    const log = o.log.child({ controller: CONTROLLER_NAME });
    this.metrics = createControllerMetrics(o.registry, CONTROLLER_NAME);
    const reconciler = new IstioOperatorReconciler({
      client,
      render: o.render,
      managedKinds: o.managedKinds,
      clock,
      log,
      events: new KubeEventRecorder(client, clock, log, o.identity),
      pollMs: o.pollMs,
      sidecarCensusTtlMs: o.sidecarCensusTtlMs,
      defaultIstioVersion: o.defaultIstioVersion,
      metrics: this.metrics,
      holdDeletion: o.injection !== undefined,
    });
    this.controller = new IstioOperatorController({
      http,
      client: unfenced,
      reconciler,
      managedKinds: o.managedKinds,
      namespace: o.namespace,
      resyncPeriodMs: o.resyncPeriodMs,
      clock,
      log,
      metrics: this.metrics,
      onChange: (key) => reconciler.invalidate(key),
    });
    if (o.injection) {
      const tagLog = o.log.child({ controller: TAG_CONTROLLER_NAME });
      this.tagMetrics = createControllerMetrics(o.registry, TAG_CONTROLLER_NAME);
      this.tags = new RevisionTagController({
        http,
        client: unfenced,
        reconciler: new TagReconciler({
          client,
          target: o.injection.target,
          caFrom: o.injection.caFrom,
          log: tagLog,
        }),
        resyncPeriodMs: o.resyncPeriodMs,
        clock,
        log: tagLog,
        metrics: this.tagMetrics,
      });
    }
    if (o.leaderElect) {
      const store = new KubeLeaseStore(http, o.leaderElectionNamespace, o.leaseName ?? LEASE_NAME);
      this.elector = new LeaderElector({ identity: o.identity, ...DEFAULT_ELECTION }, store, clock, log, {
        onStartedLeading: (term) => {
          this.term = term;
          this.setLeader(true);
          this.startController();
        },
        onStoppedLeading: () => {
          // The term is already aborted: in-flight reconciles fail at their next API call.
          this.lost = true;
          this.setLeader(false);
          void this.controller.stop({ cancel: true });
          void this.tags?.stop({ cancel: true });
          o.onLostLeadership();
        },
      });
    }
  }

  /** Whether this replica currently runs the controller. */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Ready: a standby is ready to take over; a leader once its watches synced. */
  ready(): boolean {
    return this.readiness().ready;
  }

  /**
   * Readiness with its reason (the /readyz body). A standby waiting on another holder is ready (it can
   * take over); one that cannot reach or write the Lease is not, and says why.
   */
  readiness(): Readiness {
    if (this.lost) return { ready: false, reason: 'lost leadership; exiting' };
    if (!this.elector) {
      return this.synced()
        ? { ready: true, reason: 'reconciling (leader election off)' }
        : { ready: false, reason: 'watches not synced yet (leader election off)' };
    }
    const why = this.elector.describe();
    const state = this.elector.state();
    if (state.kind === 'leader') {
      return this.synced()
        ? { ready: true, reason: `${why}, reconciling` }
        : { ready: false, reason: `${why}, watches not synced yet` };
    }
    return { ready: state.kind !== 'failing', reason: why };
  }

  private synced(): boolean {
    return this.controller.synced() && (this.tags?.synced() ?? true);
  }

  ports(): number[] {
    return this.servers.map((s) => s.port);
  }

  async start(): Promise<void> {
    const handlers = { healthy: () => !this.lost, ready: () => this.readiness() };
    if (this.o.metricsPort !== undefined) {
      const shared = this.o.healthPort === this.o.metricsPort;
      this.servers.push(
        await startProbeServer(this.o.metricsPort, {
          registry: this.o.registry,
          ...(shared ? handlers : {}),
        }),
      );
    }
    if (this.o.healthPort !== undefined && this.o.healthPort !== this.o.metricsPort) {
      this.servers.push(await startProbeServer(this.o.healthPort, handlers));
    }
    if (this.elector) {
      const ns = this.o.leaderElectionNamespace;
      const outcome = await ensureLeaseNamespace(this.o.namespaces ?? new KubeNamespaceClient(this.http), ns);
      if (outcome === 'created') this.o.log.info('created the leader Lease namespace', { namespace: ns });
      this.elector.start();
    } else {
      this.setLeader(true);
      this.startController();
    }
  }

  private setLeader(leader: boolean): void {
    this.metrics.setLeader(leader);
    this.tagMetrics?.setLeader(leader);
  }

  /** Stops the controller (finishing in-flight reconciles), then releases the lease, then the servers. */
  async stop(): Promise<void> {
    await Promise.all([this.controller.stop(), this.tags?.stop()]);
    await this.controllerStart;
    await this.elector?.stop();
    await Promise.all(this.servers.map((s) => s.close()));
    this.servers = [];
  }

  private startController(): void {
    this.controllerStart = Promise.all([this.controller.start(this.term), this.tags?.start(this.term)])
      .then(() => undefined)
      .catch((err: unknown) => {
        this.o.log.error('controller failed to start', { controller: CONTROLLER_NAME, error: String(err) });
        this.lost = true;
        this.o.onLostLeadership();
      });
  }
}
