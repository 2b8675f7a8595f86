// Every kind any profile of either reference release renders through its charts is one the operator
// manages (lists, watches, prunes and holds RBAC for): a release or profile that starts rendering a new kind
// fails here instead of as "kind not managed" (RenderFailed) in a user's cluster.
import { managedKindOf } from '../../../../operator/render/gvk';
import { render } from '../../../../operator/render/charts/render';
import { releaseProfileNames } from '../../../../operator/render/charts/release-profiles';
import { referenceRelease, renderer, VERSIONS } from './parity-helpers';

jest.setTimeout(300_000);

describe.each(VERSIONS)('Istio %s', (version) => {
  const release = referenceRelease(version);
  const profiles = releaseProfileNames(release.manifestsDir);

  it('ships the ten profiles this check covers', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(10);
  });

  it.each(profiles)('profile %s renders only managed kinds', async (profile) => {
    // As the operator renders (injector webhooks left out), and as istioctl renders (everything).
    for (const istioctlOnly of [false, true]) {
      const m = await render({ spec: { profile } }, release, renderer(), { istioctlOnly });
      if (profile !== 'empty') expect(m.objects.length).toBeGreaterThan(0);
      const unmanaged = [
        ...new Set(m.objects.filter((o) => !managedKindOf(o)).map((o) => `${o.apiVersion} ${o.kind}`)),
      ];
      // istioctl's injector MutatingWebhookConfigurations are the one deliberate omission (parity.md).
      const allowed = istioctlOnly ? ['admissionregistration.k8s.io/v1 MutatingWebhookConfiguration'] : [];
      expect({ profile, istioctlOnly, unmanaged: unmanaged.filter((k) => !allowed.includes(k)) }).toEqual({
        profile,
        istioctlOnly,
        unmanaged: [],
      });
    }
  });
});

it('the stable and openshift profiles bring the kinds the operator used to refuse', async () => {
  const kinds = async (version: string, profile: string) =>
    new Set(
      (await render({ spec: { profile } }, referenceRelease(version), renderer(), {})).objects.map(
        (o) => o.kind,
      ),
    );
  for (const version of VERSIONS) {
    const stable = await kinds(version, 'stable');
    expect(stable.has('ValidatingAdmissionPolicy') && stable.has('ValidatingAdmissionPolicyBinding')).toBe(
      true,
    );
    expect((await kinds(version, 'openshift')).has('NetworkAttachmentDefinition')).toBe(true);
  }
});
