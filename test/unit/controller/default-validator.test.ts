import {
  DEFAULT_VALIDATOR_NAME,
  defaultValidator,
  revisionValidatorName,
} from '../../../operator/controller/tags/default-validator';

/** A revision validator shaped like the istiod chart's (istio-validator-<rev>-<ns>). */
function revisionValidator(rev: string, failurePolicy: string) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: revisionValidatorName(rev, 'istio-system'),
      labels: { app: 'istiod', 'istio.io/rev': rev, 'meshwright.io/owning-resource': 'iop' },
    },
    webhooks: [
      {
        name: 'rev.validation.istio.io',
        clientConfig: {
          service: { name: `istiod-${rev}`, namespace: 'istio-system', path: '/validate' },
          caBundle: 'b2xk',
        },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: ['networking.istio.io'],
            apiVersions: ['*'],
            resources: ['*'],
          },
        ],
        failurePolicy,
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        objectSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [rev] }] },
      },
    ],
  };
}

describe('default validator of tag default', () => {
  it('names the revision validators as the istiod chart does', () => {
    expect(revisionValidatorName('', 'istio-system')).toBe('istio-validator-istio-system');
    expect(revisionValidatorName('default', 'istio-system')).toBe('istio-validator-istio-system');
    expect(revisionValidatorName('1-31', 'mesh')).toBe('istio-validator-1-31-mesh');
  });

  it.each([
    ['1-30', 'Ignore'],
    ['1-31', 'Fail'],
  ])("calls revision %s's istiod for every object, keeping the release's rules and policy", (rev, policy) => {
    const input = revisionValidator(rev, policy);
    const before = JSON.stringify(input);
    const out = defaultValidator(input, rev);
    expect(JSON.stringify(input)).toBe(before); // input untouched
    expect(out.metadata).toMatchObject({
      name: DEFAULT_VALIDATOR_NAME,
      labels: { 'istio.io/rev': rev, app: 'istiod', 'meshwright.io/revision-tag': 'default' },
    });
    // The IstioOperator's ownership labels stay behind (its pruning must not take the tag's validator).
    expect(Object.keys((out.metadata as { labels: object }).labels)).not.toContain(
      'meshwright.io/owning-resource',
    );
    const [hook] = out.webhooks as Record<string, unknown>[];
    expect(hook.name).toBe('validation.istio.io');
    expect(hook.clientConfig).toEqual({
      service: { name: `istiod-${rev}`, namespace: 'istio-system', path: '/validate' },
    });
    expect(hook.objectSelector).toBeUndefined();
    expect(hook.failurePolicy).toBe(policy);
    expect(hook.rules).toEqual(input.webhooks[0].rules);
  });

  it('refuses a render that is not a revision validator, naming the field', () => {
    const v = revisionValidator('r', 'Fail');
    expect(() => defaultValidator({ ...v, kind: 'MutatingWebhookConfiguration' }, 'r')).toThrow(/kind is/);
    expect(() => defaultValidator({ ...v, webhooks: [] }, 'r')).toThrow(/webhooks is empty/);
    expect(() => defaultValidator({ ...v, webhooks: [{ name: 'x' }] }, 'r')).toThrow(
      /webhooks\[0\]\.clientConfig is missing/,
    );
  });
});
