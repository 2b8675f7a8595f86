// Webhook metrics. The generic request metrics use controller-runtime's names (dashboards written for
// Go webhooks work unchanged); the injection-specific ones are meshwright_webhook_*.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Decision } from './review';

export interface WebhookMetrics {
  /** controller_runtime_webhook_requests_total{webhook, code}: HTTP requests by status code. */
  requests: Counter<'webhook' | 'code'>;
  /** controller_runtime_webhook_requests_in_flight{webhook}. */
  inFlight: Gauge<'webhook'>;
  /** controller_runtime_webhook_latency_seconds{webhook}: whole request handling time. */
  latency: Histogram<'webhook'>;
  /** meshwright_webhook_requests_total{result}: admission decisions. */
  decisions: Counter<'result'>;
  /** meshwright_webhook_injection_duration_seconds{result}: time spent deciding and building the patch. */
  injectionDuration: Histogram<'result'>;
  /** meshwright_webhook_config_generation: bumped whenever the live configuration changes. */
  configGeneration: Gauge;
  /** meshwright_webhook_template_errors{revision}: templates of the revision that cannot be executed. */
  templateErrors: Gauge<'revision'>;
  /**
   * meshwright_webhook_revision_version_inexact{revision,declared,line}: 1 when a revision declares no
   * Istio version or one this build does not know, so it is injected as the nearest known line.
   */
  revisionVersion: Gauge<'revision' | 'declared' | 'line'>;
  /** istiod's sidecar_injection_* counters, so existing Istio dashboards and alerts keep working. */
  istio: {
    requests: Counter;
    success: Counter;
    skip: Counter;
    failure: Counter;
  };
}

/** Counts one admission decision in both the meshwright and the istiod-compatible counters. */
export function countDecision(metrics: WebhookMetrics, decision: Decision): void {
  metrics.decisions.inc({ result: decision });
  metrics.istio.requests.inc();
  if (decision === 'injected') metrics.istio.success.inc();
  else if (decision === 'skipped' || decision === 'allowed') metrics.istio.skip.inc();
  else metrics.istio.failure.inc();
}

const DECISIONS: Decision[] = ['injected', 'skipped', 'rejected', 'error', 'allowed'];

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  const decisions = new Counter({
    name: 'meshwright_webhook_requests_total',
    help: 'Admission requests by decision (injected, skipped, rejected, error, allowed)',
    labelNames: ['result'] as const,
    registers,
  });
  // Zero-initialised so rate() queries work before the first event of each kind.
  for (const d of DECISIONS) decisions.inc({ result: d }, 0);
  return {
    requests: new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code',
      labelNames: ['webhook', 'code'] as const,
      registers,
    }),
    inFlight: new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served',
      labelNames: ['webhook'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    decisions,
    injectionDuration: new Histogram({
      name: 'meshwright_webhook_injection_duration_seconds',
      help: 'Time spent deciding on and building the injection patch of one pod',
      labelNames: ['result'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    templateErrors: new Gauge({
      name: 'meshwright_webhook_template_errors',
      help: "Injection templates in a revision's ConfigMap that cannot be executed (parse error, unknown function)",
      labelNames: ['revision'] as const,
      registers,
    }),
    revisionVersion: new Gauge({
      name: 'meshwright_webhook_revision_version_inexact',
      help: 'Whether a revision is injected as the nearest known Istio version (1) or as its own (0)',
      labelNames: ['revision', 'declared', 'line'] as const,
      registers,
    }),
    configGeneration: new Gauge({
      name: 'meshwright_webhook_config_generation',
      help: 'Generation of the injection configuration; increases on every applied change',
      registers,
    }),
    istio: {
      requests: new Counter({
        name: 'sidecar_injection_requests_total',
        help: 'Total number of sidecar injection requests',
        registers,
      }),
      success: new Counter({
        name: 'sidecar_injection_success_total',
        help: 'Total number of successful sidecar injection requests',
        registers,
      }),
      skip: new Counter({
        name: 'sidecar_injection_skip_total',
        help: 'Total number of skipped sidecar injection requests',
        registers,
      }),
      failure: new Counter({
        name: 'sidecar_injection_failure_total',
        help: 'Total number of failed sidecar injection requests',
        registers,
      }),
    },
  };
}
