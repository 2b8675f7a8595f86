// Where Meshwright's install deliberately differs from istioctl's (docs/parity.md):
//  - istiod's sidecar-injection MutatingWebhookConfigurations are retargeted to Meshwright's webhook (which
//    injects from the same ConfigMaps) when the operator is told where it runs (`injection`), selectors
//    untouched; without that they are not installed (a static MWC serves the default revision);
//  - istiod's ValidatingWebhookConfigurations are installed without `failurePolicy` and an empty
//    `caBundle`: istiod patches both once it serves, and an applier owning them would revert that.
import { isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { retargetInjectionWebhooks, type InjectionTarget } from '../injection/injection-target';

export interface InjectionOptions {
  readonly target: InjectionTarget;
  /** `cert-manager.io/inject-ca-from` value (namespace/certificate) for the MWCs, when cert-manager is used. */
  readonly caFrom?: string;
}

export interface Omitted {
  readonly kind: string;
  readonly name: string;
  readonly reason: string;
}

export function meshwrightAdjust(
  objects: PlainObject[],
  injection?: InjectionOptions,
  revision = '',
): { objects: PlainObject[]; omitted: Omitted[] } {
  const omitted: Omitted[] = [];
  const out: PlainObject[] = [];
  for (const o of objects) {
    const name = isPlainObject(o.metadata) ? String(o.metadata.name) : '';
    if (o.kind === 'MutatingWebhookConfiguration') {
      if (injection) {
        out.push(retargetInjectionWebhooks(o, injection.target, revision, injection.caFrom));
        continue;
      }
      omitted.push({ kind: o.kind, name, reason: "sidecar injection is served by Meshwright's webhook" });
      continue;
    }
    if (o.kind === 'ValidatingWebhookConfiguration' && Array.isArray(o.webhooks)) {
      out.push({
        ...o,
        webhooks: o.webhooks.map((w: unknown) => {
          if (!isPlainObject(w)) return w;
          const rest: PlainObject = { ...w };
          delete rest.failurePolicy;
          const cc = rest.clientConfig;
          if (isPlainObject(cc) && (cc.caBundle === '' || cc.caBundle === null)) {
            const ccRest: PlainObject = { ...cc };
            delete ccRest.caBundle;
            rest.clientConfig = ccRest;
          }
          return rest;
        }),
      });
      continue;
    }
    out.push(o);
  }
  return { objects: out, omitted };
}
