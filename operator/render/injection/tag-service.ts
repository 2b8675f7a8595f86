// The Service of a revision tag, `istiod-revision-tag-<tag>` in the revision's istiod namespace: the object
// the istiod chart's `revisionTags` value and `istioctl tag set` render beside the tag's webhook (checked
// against the chart by test/unit/operator/charts/tag-service.test.ts). istiod's tag watcher reads the tags
// of its revision from these Services (labels istio.io/tag and istio.io/rev, in its own namespace) as well as
// from the tag webhooks; without a webhook (ambient) the Service is all it has. Its selector reaches the
// revision's istiod pods, as the revision's own istiod Service does. Pure.
import type { PlainObject } from '../../../lib/istio/merge';
import { LABELS } from '../../../lib/istio/names';
import { LABEL_TAG_OWNER } from './tag-webhook';

export const tagServiceName = (tag: string): string => `istiod-revision-tag-${tag}`;

export interface TagServiceInput {
  readonly tag: string;
  /** The revision the tag points at ('' or 'default' for the default revision). */
  readonly revision: string;
  /** The namespace the revision's istiod runs in (its tag watcher reads Services there only). */
  readonly namespace: string;
}

const port = (name: string, p: number, targetPort?: number): PlainObject => ({
  name,
  port: p,
  ...(targetPort !== undefined ? { targetPort } : {}),
  protocol: 'TCP',
});

export function tagService(i: TagServiceInput): PlainObject {
  const rev = i.revision === 'default' ? '' : i.revision;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: tagServiceName(i.tag),
      namespace: i.namespace,
      // istiod keys on istio.io/rev and istio.io/tag; app and istio are the chart's, kept for selectors
      // users and tools put on istiod's Services. No IstioOperator ownership labels: its pruning would
      // delete the tag's Service.
      labels: {
        [LABELS.rev]: rev === '' ? 'default' : rev,
        [LABELS.tag]: i.tag,
        app: 'istiod',
        istio: 'pilot',
        'app.kubernetes.io/name': 'istiod',
        'app.kubernetes.io/part-of': 'istio',
        [LABEL_TAG_OWNER]: i.tag,
        'app.kubernetes.io/managed-by': 'meshwright',
      },
    },
    spec: {
      ports: [
        port('grpc-xds', 15010),
        port('https-dns', 15012),
        port('https-webhook', 443, 15017),
        port('http-monitoring', 15014),
      ],
      // The default revision's istiod is the one labelled istio=pilot (a revision's pods carry istio.io/rev
      // too, and every istiod is app=istiod): the chart's own choice, so a canary is never selected.
      selector: rev === '' ? { app: 'istiod', istio: 'pilot' } : { app: 'istiod', [LABELS.rev]: rev },
    },
  };
}
