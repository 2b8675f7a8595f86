// The demo's stand-in for istiod's validation-webhook controller. The operator installs istiod's
// ValidatingWebhookConfigurations without `failurePolicy` (istiod owns it: Ignore until it serves, then Fail;
// docs/parity.md), so the apiserver defaults them to Fail. On kwok nodes no istiod process ever runs, so
// nothing would answer them and every Istio object (Bookinfo's Gateway, DestinationRules) would be refused.
// The demo sets what istiod sets while it does not serve: Ignore, on the webhooks that call an istiod.
import type { Kube, Obj } from './kube';

interface WebhookLike {
  name: string;
  failurePolicy?: string;
  clientConfig?: { service?: { name?: string } };
}

/** The webhooks of a configuration that call an istiod Service and would fail closed. */
export function istiodWebhooksFailingClosed(vwc: Obj): string[] {
  return ((vwc.webhooks as WebhookLike[] | undefined) ?? [])
    .filter((w) => (w.clientConfig?.service?.name ?? '').startsWith('istiod') && w.failurePolicy !== 'Ignore')
    .map((w) => w.name);
}

/** Sets failurePolicy Ignore on those webhooks; returns `configuration/webhook` for each one changed. */
export async function ignoreUnservedValidation(kube: Kube): Promise<string[]> {
  const api = 'admissionregistration.k8s.io/v1';
  const changed: string[] = [];
  for (const vwc of await kube.list(api, 'ValidatingWebhookConfiguration')) {
    const names = istiodWebhooksFailingClosed(vwc);
    if (names.length === 0) continue;
    await kube.strategicPatch(vwc, { webhooks: names.map((name) => ({ name, failurePolicy: 'Ignore' })) });
    changed.push(...names.map((n) => `${vwc.metadata?.name ?? '?'}/${n}`));
  }
  return changed;
}
