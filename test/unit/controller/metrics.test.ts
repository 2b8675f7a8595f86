import { createRegistry } from '../../../lib/metrics';
import { createControllerMetrics } from '../../../operator/controller/metrics';

describe('controller metrics', () => {
  it('exposes controller-runtime names with controller and result labels', async () => {
    const registry = createRegistry(false);
    const m = createControllerMetrics(registry, 'istiooperator');
    // A standby reports 0 from the start, so dashboards can tell it from a missing replica.
    expect(await registry.metrics()).toContain('leader_election_master_status{name="istiooperator"} 0');
    m.setLeader(true);
    m.reconciled('success', 0.02);
    m.reconciled('error', 0.5);
    const q = m.queueObserver();
    q.added();
    q.retried();
    q.depth(3);
    q.queued(0.1);
    q.worked(0.2);
    const text = await registry.metrics();
    expect(text).toContain(
      'controller_runtime_reconcile_total{controller="istiooperator",result="success"} 1',
    );
    expect(text).toContain('controller_runtime_reconcile_total{controller="istiooperator",result="error"} 1');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="istiooperator"} 1');
    expect(text).toContain('controller_runtime_reconcile_time_seconds_count{controller="istiooperator"} 2');
    expect(text).toContain('workqueue_depth{name="istiooperator",controller="istiooperator"} 3');
    expect(text).toContain('workqueue_adds_total{name="istiooperator",controller="istiooperator"} 1');
    expect(text).toContain('workqueue_retries_total{name="istiooperator",controller="istiooperator"} 1');
    expect(text).toContain(
      'workqueue_queue_duration_seconds_count{name="istiooperator",controller="istiooperator"} 1',
    );
    expect(text).toContain(
      'workqueue_work_duration_seconds_sum{name="istiooperator",controller="istiooperator"} 0.2',
    );
  });

  it('labels a second controller on the same registry by its own name', async () => {
    const registry = createRegistry(false);
    const iop = createControllerMetrics(registry, 'istiooperator');
    const tags = createControllerMetrics(registry, 'istiorevisiontag');
    iop.reconciled('success', 0.01);
    tags.reconciled('error', 0.01);
    tags.queueObserver().added();
    const text = await registry.metrics();
    expect(text).toContain(
      'controller_runtime_reconcile_total{controller="istiooperator",result="success"} 1',
    );
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="istiooperator"} 0');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="istiorevisiontag"} 1');
    expect(text).toContain('workqueue_adds_total{name="istiorevisiontag",controller="istiorevisiontag"} 1');
  });
});
