// The ValidatingWebhookConfiguration for Istio config served by istiod at /validate. It is rendered (unlike
// the injector's MutatingWebhookConfiguration, which Meshwright's own webhook replaces) because istiod still
// validates Istio resources. Neither caBundle nor failurePolicy is rendered: istiod's webhook controller
// patches in its CA bundle and sets failurePolicy to Fail once it serves. Upstream's chart creates it with
// Ignore, but a continuously reconciling applier that owned failurePolicy would revert istiod's patch on
// every pass (and istiod would patch again); left out, the API default (Fail) applies until istiod owns it.
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';

export function validatingWebhook(ctx: RenderContext): ManifestObject & V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: `${revisioned(ctx, 'istio-validator')}-${ctx.istioNamespace}`,
      // istiod finds the configuration it patches by these labels.
      labels: { app: 'istiod', istio: 'istiod', ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') },
    },
    webhooks: [
      {
        name: 'rev.validation.istio.io',
        clientConfig: {
          service: { name: revisioned(ctx, 'istiod'), namespace: ctx.istioNamespace, path: '/validate' },
        },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: [
              'security.istio.io',
              'networking.istio.io',
              'telemetry.istio.io',
              'extensions.istio.io',
            ],
            apiVersions: ['*'],
            resources: ['*'],
          },
        ],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        objectSelector: {
          matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [ctx.revLabel] }],
        },
      },
    ],
  };
}
