// Controller and work-queue metrics under controller-runtime's names, so dashboards and alerts
// written for Go operators work unchanged. Registered once per registry (prom-client rejects
// duplicate names) and shared by every controller of it, labelled by controller / queue name.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueObserver } from './queue/work-queue';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ControllerMetrics {
  reconciled(result: ReconcileResult, seconds: number): void;
  queueObserver(): QueueObserver;
  setLeader(isLeader: boolean): void;
  /** One sidecar census of a revision ('default' for ''): its duration, pods re-injected or cached. */
  censused(revision: string, seconds: number, reinjected: number, cached: number): void;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Families = ReturnType<typeof registerFamilies>;
const families = new WeakMap<Registry, Families>();

function registerFamilies(registry: Registry) {
  const registers = [registry];
  const total = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller and result',
    labelNames: ['controller', 'result'],
    registers,
  });
  const errors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'],
    registers,
  });
  const time = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
    buckets: latencyBuckets,
    registers,
  });
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name', 'controller'],
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'],
    registers,
  });
  const queued = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'],
    buckets: latencyBuckets,
    registers,
  });
  const worked = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name', 'controller'],
    buckets: latencyBuckets,
    registers,
  });
  const leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process currently holds the leader lease (1) or not (0)',
    labelNames: ['name'],
    registers,
  });
  const census = new Histogram({
    name: 'meshwright_operator_sidecar_census_duration_seconds',
    help: 'Time of one sidecar census: the paged pod list, namespace reads and re-injection checks',
    labelNames: ['revision'],
    buckets: latencyBuckets,
    registers,
  });
  const censusPods = new Counter({
    name: 'meshwright_operator_sidecar_census_pods_total',
    help: 'Pods judged by the sidecar census re-injection check, by source: reinjected or cached',
    labelNames: ['revision', 'source'],
    registers,
  });
  return { total, errors, time, depth, adds, retries, queued, worked, leader, census, censusPods };
}

/** The metrics of one controller; a second controller on the same registry shares the families. */
export function createControllerMetrics(registry: Registry, controller: string): ControllerMetrics {
  let f = families.get(registry);
  if (!f) {
    f = registerFamilies(registry);
    families.set(registry, f);
  }
  const { total, errors, time, depth, adds, retries, queued, worked, leader, census, censusPods } = f;
  const q = { name: controller, controller };
  for (const c of [adds, retries]) c.inc(q, 0);
  depth.set(q, 0);
  leader.set({ name: controller }, 0);
  total.inc({ controller, result: 'success' }, 0);
  total.inc({ controller, result: 'error' }, 0);
  errors.inc({ controller }, 0);
  return {
    reconciled(result, seconds) {
      total.inc({ controller, result });
      if (result === 'error') errors.inc({ controller });
      time.observe({ controller }, seconds);
    },
    queueObserver() {
      return {
        added: () => adds.inc(q),
        depth: (n) => depth.set(q, n),
        retried: () => retries.inc(q),
        queued: (s) => queued.observe(q, s),
        worked: (s) => worked.observe(q, s),
      };
    },
    setLeader(isLeader) {
      leader.set({ name: controller }, isLeader ? 1 : 0);
    },
    censused(revision, seconds, reinjected, cached) {
      census.observe({ revision }, seconds);
      censusPods.inc({ revision, source: 'reinjected' }, reinjected);
      censusPods.inc({ revision, source: 'cached' }, cached);
    },
  };
}
