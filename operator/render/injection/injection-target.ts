// Where the sidecar-injection MutatingWebhookConfigurations the operator installs send their requests:
// Meshwright's webhook, which serves every revision from one process (`/inject` for the default revision,
// `/inject/rev/<revision>` for the others; webhook/server/paths.ts). istiod's own injector endpoint is
// never called, so the chart's MWCs are retargeted instead of dropped: upstream's selectors stay exactly as
// the release renders them.
import { isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { LABELS } from '../../../lib/istio/names';

export type InjectionTarget =
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port: number } }
  /** A base URL (`https://host:port`), for tests and a webhook outside the cluster. */
  | { readonly url: string };

/** Label on every injection MWC the operator applies: what the webhook's CA manager keeps in sync. */
export const LABEL_INJECTION_WEBHOOK = 'meshwright.io/injection-webhook';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The webhook path serving `revision` ('' or 'default' is the default revision). */
export function injectionPath(revision: string): string {
  return revision === '' || revision === 'default'
    ? '/inject'
    : `/inject/rev/${encodeURIComponent(revision)}`;
}

/** The clientConfig of a webhook calling `target` for `revision` (no caBundle: another manager owns it). */
export function injectionClientConfig(target: InjectionTarget, revision: string): PlainObject {
  const path = injectionPath(revision);
  if ('url' in target) return { url: `${target.url.replace(/\/+$/, '')}${path}` };
  return { service: { ...target.service, path } };
}

/**
 * `--injection-service namespace/name[:port]` or `--injection-url https://host:port` to a target. Throws an
 * Error naming the flag when the value is malformed.
 */
export function parseInjectionTarget(o: { service?: string; url?: string }): InjectionTarget | undefined {
  if (o.service !== undefined && o.url !== undefined)
    throw new Error('--injection-service and --injection-url are exclusive: give one');
  if (o.url !== undefined) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new Error(`--injection-url: ${JSON.stringify(o.url)} is not a URL`);
    }
    if (u.protocol !== 'https:')
      throw new Error(
        `--injection-url: ${JSON.stringify(o.url)} must be https (admission webhooks need TLS)`,
      );
    if (u.pathname !== '/' || u.search || u.hash)
      throw new Error(`--injection-url: ${JSON.stringify(o.url)} must be a base URL without a path`);
    return { url: `${u.protocol}//${u.host}` };
  }
  if (o.service !== undefined) {
    const m = /^([^/]+)\/([^/:]+)(?::(\d+))?$/.exec(o.service);
    if (!m || !DNS_LABEL.test(m[1]) || !DNS_LABEL.test(m[2]))
      throw new Error(`--injection-service: ${JSON.stringify(o.service)} must be namespace/name[:port]`);
    const port = m[3] === undefined ? 443 : Number(m[3]);
    if (port < 1 || port > 65535) throw new Error(`--injection-service: port ${m[3]} is not in 1-65535`);
    return { service: { namespace: m[1], name: m[2], port } };
  }
  return undefined;
}

/**
 * A chart-rendered injection MWC with every webhook's clientConfig pointing at `target` for the revision
 * the MWC serves (its `istio.io/rev` label, as the chart renders it; else `revision`), labelled for the CA
 * manager, and `cert-manager.io/inject-ca-from` added when `caFrom` is given. Selectors, rules, failure
 * policy and names are untouched. Pure: returns a new object.
 */
export function retargetInjectionWebhooks(
  mwc: PlainObject,
  target: InjectionTarget,
  revision: string,
  caFrom?: string,
): PlainObject {
  const meta = isPlainObject(mwc.metadata) ? mwc.metadata : {};
  const labels = isPlainObject(meta.labels) ? meta.labels : {};
  const rev = labels[LABELS.rev];
  const served = typeof rev === 'string' ? rev : revision;
  const annotations = isPlainObject(meta.annotations) ? meta.annotations : undefined;
  return {
    ...mwc,
    metadata: {
      ...meta,
      labels: { ...labels, [LABEL_INJECTION_WEBHOOK]: 'true' },
      ...(caFrom !== undefined
        ? { annotations: { ...(annotations ?? {}), 'cert-manager.io/inject-ca-from': caFrom } }
        : {}),
    },
    webhooks: (Array.isArray(mwc.webhooks) ? mwc.webhooks : []).map((w: unknown) =>
      isPlainObject(w) ? { ...w, clientConfig: injectionClientConfig(target, served) } : w,
    ),
  };
}
