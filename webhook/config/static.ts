// Static mode: one InjectionConfig built from files/flags at start (`--values`, `--mesh-config`, `--set`),
// for running the webhook without reading the Istio ConfigMaps.
import type { InjectionConfig } from '../../inject/api';
import type { ConfigSource } from '../server/review';

export function staticConfigSource(config: InjectionConfig): ConfigSource {
  return {
    lookup: (revision) =>
      revision === config.revision
        ? { config }
        : { error: `no injection configuration for revision "${revision}" (this webhook serves "${config.revision}" only)` },
    namespace: () => undefined,
    ready: () => true,
  };
}
