// Tag `default` also chooses the default *validator*, as `istioctl tag set default` does: the cluster-wide
// ValidatingWebhookConfiguration `istiod-default-validator` calls the tag's revision's istiod for Istio
// config objects that name no revision. It is derived from the revision's own rendered validator
// (`istio-validator[-<rev>]-<istio namespace>`, from that release's chart), so rules, failure policy and
// client config follow the release; only its name, labels and object selector differ. Pure.
//
// Applied and deleted by tag-reconciler.ts from the live revision validator.
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { LABEL_TAG_OWNER } from '../../render/injection/tag-webhook';
import { LABELS } from '../../../lib/istio/names';

export const DEFAULT_VALIDATOR_NAME = 'istiod-default-validator';
const REV_LABEL = LABELS.rev;

/** The revision's own validator's name, as the istiod chart names it. */
export function revisionValidatorName(revision: string, istioNamespace: string): string {
  return `istio-validator${revision === '' || revision === 'default' ? '' : `-${revision}`}-${istioNamespace}`;
}

/**
 * The default validator for `revision`, from its rendered validator `revisionValidator`. Throws naming
 * the field when the input is not a revision validator (wrong kind, no webhooks, a webhook without
 * clientConfig), so a broken render never becomes a validator that rejects or skips everything.
 */
export function defaultValidator(revisionValidator: PlainObject, revision: string): PlainObject {
  const where = `ValidatingWebhookConfiguration ${JSON.stringify(
    (revisionValidator.metadata as PlainObject | undefined)?.name ?? '?',
  )}`;
  if (revisionValidator.kind !== 'ValidatingWebhookConfiguration')
    throw new Error(
      `${where}: kind is ${JSON.stringify(revisionValidator.kind)}, not ValidatingWebhookConfiguration`,
    );
  const hooks = revisionValidator.webhooks;
  if (!Array.isArray(hooks) || hooks.length === 0) throw new Error(`${where}: webhooks is empty`);
  const rev = revision === '' ? 'default' : revision;
  const webhooks = hooks.map((h: unknown, i) => {
    if (!isPlainObject(h) || !isPlainObject(h.clientConfig))
      throw new Error(`${where}: webhooks[${i}].clientConfig is missing`);
    const copy = deepClone(h);
    // The revision's own validator only sees objects labelled istio.io/rev=<rev>; the default one sees
    // every object (upstream sets no selector: objects of other revisions are validated by both).
    delete copy.objectSelector;
    // istiod manages the caBundle and failurePolicy of validators labelled with its revision.
    delete (copy.clientConfig as PlainObject).caBundle;
    copy.name = 'validation.istio.io';
    return copy;
  });
  // Fresh labels, never the input's: those carry the IstioOperator's ownership labels, and its pruning
  // would then delete the tag's validator.
  const labels = {
    app: 'istiod',
    istio: 'istiod',
    [REV_LABEL]: rev,
    [LABEL_TAG_OWNER]: 'default',
    'app.kubernetes.io/managed-by': 'meshwright',
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: DEFAULT_VALIDATOR_NAME, labels },
    webhooks,
  };
}

/** An IstioOperator setting values.defaultRevision (upstream then renders its own default webhook and validator). */
export interface DefaultRevisionSetter {
  /** namespace/name */
  owner: string;
  defaultRevision: string;
}

/**
 * The conflict between IstioRevisionTag `default` and IstioOperators setting values.defaultRevision: both
 * would own `istio-revision-tag-default` and `istiod-default-validator`, and two default webhooks would
 * inject istio-injection=enabled namespaces twice. While both exist both refuse (the tag reports Conflict,
 * the IstioOperator an InvalidSpec condition), so what runs is kept and the second never adds its webhook.
 * Undefined: no conflict.
 */
export function defaultOwnerConflict(
  defaultTag: boolean,
  setters: readonly DefaultRevisionSetter[],
): string | undefined {
  const set = setters.filter((s) => s.defaultRevision !== '');
  if (!defaultTag || set.length === 0) return undefined;
  const who = set
    .map((s) => `${s.owner} (values.defaultRevision=${s.defaultRevision})`)
    .sort()
    .join(', ');
  return `IstioRevisionTag default and IstioOperator ${who} both choose the default revision (its webhook ${DEFAULT_WEBHOOK_NAME} and ${DEFAULT_VALIDATOR_NAME}); keep one: delete the tag, or unset values.defaultRevision`;
}

/** values.defaultRevision of an IstioOperator as read from the apiserver ('' when unset or not a string). */
export function defaultRevisionOf(iop: object): string {
  const raw = (iop as { spec?: unknown }).spec;
  const spec = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const values =
    spec.values !== null && typeof spec.values === 'object' ? (spec.values as Record<string, unknown>) : {};
  return typeof values.defaultRevision === 'string' ? values.defaultRevision : '';
}

const DEFAULT_WEBHOOK_NAME = 'istio-revision-tag-default';
