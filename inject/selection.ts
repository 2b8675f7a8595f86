// Whether a pod gets a sidecar (istiod's injectRequired). Namespace-level selection happens in the
// MutatingWebhookConfiguration; in-process the injector honours host networking, system namespaces,
// the per-pod opt-in/out, never/always selectors and the global auto-inject policy.
import type { V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import type { LabelSelectorValue } from '../lib/istio/values';
import { A, L } from './annotations';

export const IGNORED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
];

export interface SelectionPolicy {
  /** `global.proxy.autoInject`: 'enabled' injects unless opted out, 'disabled' only when opted in. */
  policy: string;
  neverInjectSelector?: LabelSelectorValue[];
  alwaysInjectSelector?: LabelSelectorValue[];
}

export type SelectionResult = { inject: true } | { inject: false; reason: string };

const TRUE_WORDS = new Set(['y', 'yes', 'true', 'on']);

export function injectRequired(
  spec: V1PodSpec | undefined,
  meta: V1ObjectMeta | undefined,
  namespace: string,
  p: SelectionPolicy,
): SelectionResult {
  // iptables rules in a host-network pod would rewrite the node's routing.
  if (spec?.hostNetwork) return { inject: false, reason: 'host networking is enabled' };
  if (IGNORED_NAMESPACES.includes(namespace)) {
    return { inject: false, reason: `namespace ${namespace} is a Kubernetes system namespace` };
  }
  const labels = meta?.labels ?? {};
  // The label is the current API; it wins over the legacy annotation.
  const selector = labels[L.inject] ?? meta?.annotations?.[A.inject] ?? '';
  let useDefault = false;
  let inject = false;
  const word = selector.toLowerCase();
  if (TRUE_WORDS.has(word)) inject = true;
  else if (word === '') useDefault = true;

  if (useDefault && p.neverInjectSelector?.some((s) => selectorMatches(s, labels))) {
    return { inject: false, reason: 'pod labels match neverInjectSelector' };
  }
  if (useDefault && p.alwaysInjectSelector?.some((s) => selectorMatches(s, labels))) {
    return { inject: true };
  }
  if (p.policy === 'enabled') {
    if (useDefault || inject) return { inject: true };
    return { inject: false, reason: `pod has ${L.inject}=${selector}` };
  }
  if (p.policy === 'disabled') {
    if (inject) return { inject: true };
    return {
      inject: false,
      reason: useDefault ? 'auto-injection policy is disabled' : `pod has ${L.inject}=${selector}`,
    };
  }
  return { inject: false, reason: `invalid auto-injection policy ${JSON.stringify(p.policy)}` };
}

/** LabelSelector matching; an empty selector matches nothing here (istiod skips empty selectors). */
export function selectorMatches(sel: LabelSelectorValue, labels: Record<string, string>): boolean {
  const ml = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && exprs.length === 0) return false;
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
