// A MutatingWebhookConfiguration for one revision, served by a webhook on loopback: the shipped rev.*
// webhooks (config/webhook/standalone) with `istio.io/rev In [<rev>]` and the url `<base>/inject/rev/<rev>`,
// as docs/webhook.md describes adding a revision. A unique revision selects only the caller's namespaces
// and pods, so test files sharing the cluster do not disturb each other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  V1LabelSelectorRequirement,
  V1MutatingWebhookConfiguration,
  V1Pod,
} from '@kubernetes/client-node';
import { parse } from 'yaml';

const SHIPPED = join(
  __dirname,
  '..',
  '..',
  '..',
  'config/webhook/standalone/mutatingwebhookconfiguration.yaml',
);

export function revisionWebhookConfiguration(
  name: string,
  base: string,
  caPem: string,
  rev: string,
): V1MutatingWebhookConfiguration {
  const shipped = parse(readFileSync(SHIPPED, 'utf8')) as V1MutatingWebhookConfiguration;
  const swap = (exprs: V1LabelSelectorRequirement[] | undefined) =>
    exprs?.map((e) => (e.key === 'istio.io/rev' && e.operator === 'In' ? { ...e, values: [rev] } : e));
  const webhooks = (shipped.webhooks ?? [])
    .filter((w) => w.name.startsWith('rev.'))
    .map((w) => ({
      ...w,
      name: w.name.replace('meshwright.io', `${rev}.meshwright.test`),
      clientConfig: { url: `${base}/inject/rev/${rev}`, caBundle: Buffer.from(caPem).toString('base64') },
      namespaceSelector: { matchExpressions: swap(w.namespaceSelector?.matchExpressions) },
      objectSelector: { matchExpressions: swap(w.objectSelector?.matchExpressions) },
    }));
  if (webhooks.length !== 2)
    throw new Error(`expected the rev.namespace and rev.object webhooks in ${SHIPPED}`);
  return { metadata: { name, labels: { 'istio.io/rev': rev } }, webhooks };
}

/** The image of a pod's istio-proxy container (classic or native sidecar); undefined if not injected. */
export function proxyImageOf(pod: V1Pod): string | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  )?.image;
}
