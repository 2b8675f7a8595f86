// The MutatingWebhookConfiguration of a revision tag, `istio-revision-tag-<tag>`: upstream's tag selectors
// (what `istioctl tag set` and the istiod chart's `revisionTags` value produce, checked against the chart
// by test/unit/operator/charts/injection-webhooks.test.ts) calling Meshwright's webhook for the tag's
// revision. Moving a tag changes only the clientConfig paths and a label, so it is one update of one object:
// no moment with no webhook, and never two webhooks for one namespace.
import type { PlainObject } from '../../../lib/istio/merge';
import { injectionClientConfig, LABEL_INJECTION_WEBHOOK, type InjectionTarget } from './injection-target';
import { LABELS } from '../../../lib/istio/names';

export const LABEL_TAG = LABELS.tag;
export const LABEL_REV = LABELS.rev;
/** Marks the tag MWCs the tag controller owns (it prunes only these). */
export const LABEL_TAG_OWNER = 'meshwright.io/revision-tag';

export const tagWebhookName = (tag: string): string => `istio-revision-tag-${tag}`;

type Expr = { key: string; operator: 'In' | 'NotIn' | 'DoesNotExist'; values?: string[] };
const exists = (key: string): Expr => ({ key, operator: 'DoesNotExist' });
const isIn = (key: string, v: string): Expr => ({ key, operator: 'In', values: [v] });
const notIn = (key: string, v: string): Expr => ({ key, operator: 'NotIn', values: [v] });

export interface TagWebhookInput {
  readonly tag: string;
  /** The revision the tag points at ('' or 'default' for the default revision). */
  readonly revision: string;
  readonly target: InjectionTarget;
  readonly caFrom?: string;
}

export function tagWebhookConfiguration(i: TagWebhookInput): PlainObject {
  const clientConfig = injectionClientConfig(i.target, i.revision);
  const hook = (name: string, namespaceSelector: Expr[], objectSelector: Expr[]): PlainObject => ({
    name,
    clientConfig,
    sideEffects: 'None',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: 'Fail',
    reinvocationPolicy: 'Never',
    admissionReviewVersions: ['v1'],
    namespaceSelector: { matchExpressions: namespaceSelector },
    objectSelector: { matchExpressions: objectSelector },
  });
  const webhooks = [
    // Namespaces labelled istio.io/rev=<tag> (and not istio-injection, which wins upstream).
    hook(
      'rev.namespace.sidecar-injector.istio.io',
      [isIn(LABEL_REV, i.tag), exists(LABELS.injection)],
      [notIn(LABELS.inject, 'false')],
    ),
    // Pods labelled istio.io/rev=<tag> in unlabelled namespaces.
    hook(
      'rev.object.sidecar-injector.istio.io',
      [exists(LABEL_REV), exists(LABELS.injection)],
      [notIn(LABELS.inject, 'false'), isIn(LABEL_REV, i.tag)],
    ),
  ];
  if (i.tag === 'default') {
    // The default tag also serves istio-injection=enabled and pods asking with sidecar.istio.io/inject=true.
    webhooks.push(
      hook(
        'namespace.sidecar-injector.istio.io',
        [isIn(LABELS.injection, 'enabled')],
        [notIn(LABELS.inject, 'false')],
      ),
      hook(
        'object.sidecar-injector.istio.io',
        [exists(LABELS.injection), exists(LABEL_REV)],
        [isIn(LABELS.inject, 'true'), exists(LABEL_REV)],
      ),
    );
  }
  const annotations = i.caFrom !== undefined ? { 'cert-manager.io/inject-ca-from': i.caFrom } : undefined;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: tagWebhookName(i.tag),
      labels: {
        [LABEL_TAG]: i.tag,
        [LABEL_REV]: i.revision === '' ? 'default' : i.revision,
        [LABEL_TAG_OWNER]: i.tag,
        [LABEL_INJECTION_WEBHOOK]: 'true',
        'app.kubernetes.io/managed-by': 'meshwright',
      },
      ...(annotations ? { annotations } : {}),
    },
    webhooks,
  };
}
