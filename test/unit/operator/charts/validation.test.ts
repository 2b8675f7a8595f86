// What istioctl accepts passes, what it refuses is refused with the field named (chart pipeline).
import type { PlainObject } from '../../../../lib/istio/merge';
import { IopValidationError, validateMergedIstioOperator } from '../../../../operator/api/iop-validation';
import { mergeInputs, ProfileError } from '../../../../operator/render/charts/merge-inputs';
import { render } from '../../../../operator/render/charts/render';
import { releaseGlobalFields, releaseProfiles } from '../../../../operator/render/charts/release-profiles';
import { readInput, referenceRelease, renderer } from './parity-helpers';

jest.setTimeout(180_000);
const V = '1.30.3';
const dir = (): string => referenceRelease(V).manifestsDir;

/** Errors for a user spec merged onto its profile, as render() validates it. */
function errorsFor(spec: PlainObject): string[] {
  const merged = mergeInputs([{ spec }], releaseProfiles(dir()));
  return validateMergedIstioOperator(merged, releaseGlobalFields(dir())).errors;
}

describe('accepted, as istioctl accepts them', () => {
  it.each([
    [
      'every shipped profile',
      [
        'ambient',
        'remote',
        'preview',
        'stable',
        'openshift',
        'openshift-ambient',
        'demo',
        'empty',
        'minimal',
      ].map((profile) => ({ profile })),
    ],
    ['ztunnel', [{ components: { ztunnel: { enabled: true } } }]],
    ['a compatibility version', [{ compatibilityVersion: '1.29' }]],
    [
      'unnamed and duplicate gateways',
      [{ components: { ingressGateways: [{ enabled: true }, { name: 'a' }, { name: 'a' }] } }],
    ],
    [
      'overlays on objects that do not exist',
      [
        {
          components: {
            pilot: { k8s: { overlays: [{ kind: 'Nope', name: 'x', patches: [{ path: 'a.b' }] }] } },
          },
        },
      ],
    ],
    [
      'null chart values (bogus_cps)',
      [{ values: { global: { mountMtlsCerts: null }, pilot: { autoscaleEnabled: null } } }],
    ],
  ])('%s', (_what, specs) => {
    for (const spec of specs as PlainObject[])
      expect({ spec, errors: errorsFor(spec) }).toEqual({ spec, errors: [] });
  });

  it('every golden input of both versions but the invalid ones', () => {
    for (const version of ['1.30.3', '1.31.0-rc.0']) {
      const d = referenceRelease(version).manifestsDir;
      for (const name of [
        'all_on',
        'gateways',
        'pilot_override_kubernetes',
        'ingressgateway_k8s_settings',
        'istio-cni',
        'ztunnel',
        'sidecar_template',
        'pilot_k8s_settings',
      ]) {
        const merged = mergeInputs([readInput(version, name)], releaseProfiles(d));
        expect({ name, errors: validateMergedIstioOperator(merged, releaseGlobalFields(d)).errors }).toEqual({
          name,
          errors: [],
        });
      }
    }
  });
});

describe('refused, naming the field', () => {
  it.each([
    [{ values: { global: { badKey: 'x' } } }, 'spec.values.global: unknown field "badKey"'],
    [
      { meshConfig: { enableTracing: 'yes-please' } },
      'spec.meshConfig.enableTracing: expected true or false',
    ],
    [
      { values: { pilot: { replicaCount: 'many' } } },
      'spec.values.pilot.replicaCount: expected a non-negative integer',
    ],
    [{ components: { pilot: { k8s: { replicaCount: -1 } } } }, 'spec.components.pilot.k8s.replicaCount'],
    [{ components: { pilot: { k8s: { bogus: 1 } } } }, 'spec.components.pilot.k8s: unknown field "bogus"'],
    [
      { components: { ztunnel: { k8s: { tolerations: [{ thats: 'not-a-real-field' }] } } } },
      'spec.components.ztunnel.k8s.tolerations[0]: unknown field "thats"',
    ],
    [
      { values: { global: { defaultTolerations: [{ thats: 'x' }] } } },
      'spec.values.global.defaultTolerations[0]: unknown field "thats"',
    ],
    [{ components: { pilot: { enabled: 'yes' } } }, 'spec.components.pilot.enabled: expected true or false'],
    [{ revision: 'Not_A_Label' }, 'spec.revision: "Not_A_Label" is not a DNS-1123 label'],
    [{ bogus: true }, 'spec: unknown field "bogus"'],
    [{ hub: 'Bad Hub' }, 'spec.hub: "Bad Hub" is not an image repository'],
    [{ tag: 'a:b' }, 'spec.tag: "a:b" is not an image tag'],
    [{ components: { egressGateways: [{ name: 'Bad_Name' }] } }, 'spec.components.egressGateways[0].name'],
    [
      {
        components: {
          ingressGateways: [{ name: 'gw', k8s: { service: { ports: [{ port: 80, targetPort: 80 }] } } }],
        },
      },
      'spec.components.ingressGateways[0].k8s.service.ports[0]: targetPort 80 of port 80 requires root',
    ],
  ])('%j', (spec, message) => {
    expect(errorsFor(spec as PlainObject).join('\n')).toContain(message);
  });

  it('an unknown profile names spec.profile and the known ones', () => {
    expect(() => mergeInputs([{ spec: { profile: 'nope' } }], releaseProfiles(dir()))).toThrow(ProfileError);
    expect(() => mergeInputs([{ spec: { profile: '../x' } }], releaseProfiles(dir()))).toThrow(
      /spec\.profile.*known: ambient/,
    );
  });

  it('render() throws IopValidationError, and --force renders with warnings', async () => {
    const bad = {
      spec: { profile: 'empty', components: { pilot: { enabled: true } }, values: { global: { badKey: 1 } } },
    };
    await expect(render(bad, referenceRelease(V), renderer())).rejects.toThrow(IopValidationError);
    const forced = await render(bad, referenceRelease(V), renderer(), { force: true });
    expect(forced.warnings.join('\n')).toContain('unknown field "badKey"');
    expect(forced.objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'istiod')).toBe(true);
  });
});
