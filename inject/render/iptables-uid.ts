// istiod's injected pods exclude the UID a user's own istio-proxy container runs as from traffic
// capture even under TPROXY, where the stock template itself writes 1337 (upstream case
// proxy-override-runas.yaml.tproxy). Applied after the templates, so interpreted and built-in
// templates agree; a template without an istio-init `-u` argument is left alone.
import type { V1Pod } from '@kubernetes/client-node';

export function pinIptablesUid(spec: NonNullable<V1Pod['spec']>, uid: number | undefined): void {
  if (uid === undefined) return;
  const init = spec.initContainers?.find((c) => c.name === 'istio-init');
  const args = init?.args;
  if (!args || args[0] !== 'istio-iptables') return;
  const i = args.indexOf('-u');
  if (i >= 0 && i + 1 < args.length) args[i + 1] = String(uid);
}
