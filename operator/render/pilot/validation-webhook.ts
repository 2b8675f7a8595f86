// The ValidatingWebhookConfiguration for Istio config served by istiod at /validate. It is rendered (unlike
// the injector's MutatingWebhookConfiguration, which Meshwright's own webhook replaces) because istiod still
// validates Istio resources. failurePolicy starts at Ignore: istiod's webhook controller patches in its
// caBundle and switches to Fail once it serves, so an applier must not revert those two fields.
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
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        objectSelector: {
          matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [ctx.revLabel] }],
        },
      },
    ],
  };
}
