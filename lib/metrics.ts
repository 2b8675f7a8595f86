// A prom-client registry per process, with Node's default metrics. Metric names follow
// controller-runtime conventions (controller_runtime_*, workqueue_*, rest_client_*) where one exists.
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(defaults = true): Registry {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  return registry;
}
