// The demo runs the webhook as a local process, so the apiserver must call it by URL rather than through
// the in-cluster Service. This turns the shipped MutatingWebhookConfiguration (config/webhook/standalone, the
// same four selector cases a deployment uses) into one that points at https://<host>:<port>/inject.
// The caBundle is left empty: `meshwright webhook --self-signed` publishes its CA there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Obj } from './kube';

export const SHIPPED_MWC = 'config/webhook/standalone/mutatingwebhookconfiguration.yaml';

interface WebhookLike {
  name: string;
  clientConfig?: Record<string, unknown>;
  [k: string]: unknown;
}

export function urlRegistration(shipped: Obj, url: string): Obj {
  const webhooks = (shipped.webhooks as WebhookLike[] | undefined) ?? [];
  if (webhooks.length === 0) throw new Error(`${SHIPPED_MWC}: no webhooks`);
  return {
    apiVersion: shipped.apiVersion,
    kind: shipped.kind,
    metadata: {
      name: shipped.metadata?.name,
      // The label the webhook's self-signed CA manager looks for (config/rbac lets it list and update only
      // those), so it publishes its CA into this registration as into the operator's webhooks.
      labels: {
        ...(shipped.metadata?.labels ?? {}),
        'app.kubernetes.io/part-of': 'meshwright-demo',
        'meshwright.io/injection-webhook': 'true',
      },
    },
    webhooks: webhooks.map((w) => ({ ...w, clientConfig: { url } })),
  };
}

export function loadShippedRegistration(root: string): Obj {
  return parse(readFileSync(join(root, SHIPPED_MWC), 'utf8')) as Obj;
}
