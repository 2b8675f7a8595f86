// The revision tag plan: when a tag's webhook is (re)pointed, when it is left alone, and what status says.
import type { PlainObject } from '../../../lib/istio/merge';
import {
  planTag,
  tagsPointingAt,
  tagsServing,
  type RevisionInstall,
} from '../../../operator/controller/tags/tag-plan';
import { revisionInstall } from '../../../operator/controller/tags/tag-reconciler';

const TARGET = { url: 'https://127.0.0.1:9443' };
const iop = (
  owner: string,
  revision: string,
  status = 'HEALTHY',
  extra: Partial<RevisionInstall> = {},
): RevisionInstall => ({
  owner,
  revision,
  status,
  version: revision === '1-31' ? '1.31.0-rc.0' : '1.30.3',
  deleting: false,
  ...extra,
});
const INSTALLS = [iop('istio-system/1-30', '1-30'), iop('istio-system/1-31', '1-31')];
const paths = (w: PlainObject | undefined): string[] =>
  ((w?.webhooks as PlainObject[] | undefined) ?? []).map((h) => (h.clientConfig as { url: string }).url);

describe('planTag', () => {
  it('points a tag at a HEALTHY revision: webhook for that path, Ready status with the IstioOperator and version', () => {
    const p = planTag({ name: 'prod', generation: 3, spec: { revision: '1-31' } }, INSTALLS, TARGET);
    expect(paths(p.webhook)).toEqual([
      'https://127.0.0.1:9443/inject/rev/1-31',
      'https://127.0.0.1:9443/inject/rev/1-31',
    ]);
    expect((p.webhook?.metadata as PlainObject).name).toBe('istio-revision-tag-prod');
    expect(p.status).toMatchObject({
      observedGeneration: 3,
      revision: '1-31',
      istioOperator: 'istio-system/1-31',
      istioVersion: '1.31.0-rc.0',
      state: 'Ready',
      webhook: 'istio-revision-tag-prod',
      service: 'istio-system/istiod-revision-tag-prod',
    });
    expect(p.status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True' })]);
    // The Service beside it, selecting the revision's istiod, labelled as istiod's tag watcher reads it.
    expect(p.service).toMatchObject({
      kind: 'Service',
      metadata: {
        name: 'istiod-revision-tag-prod',
        namespace: 'istio-system',
        labels: { 'istio.io/rev': '1-31', 'istio.io/tag': 'prod', 'meshwright.io/revision-tag': 'prod' },
      },
      spec: { selector: { app: 'istiod', 'istio.io/rev': '1-31' } },
    });
  });

  it("puts the Service in the revision's istiod namespace and selects the default revision's istiod by istio=pilot", () => {
    const p = planTag(
      { name: 'prod', spec: { revision: 'default' } },
      [iop('mesh/main', '', 'HEALTHY', { istiodNamespace: 'mesh' })],
      TARGET,
    );
    expect(p.status.service).toBe('mesh/istiod-revision-tag-prod');
    expect(p.service).toMatchObject({
      metadata: { namespace: 'mesh', labels: { 'istio.io/rev': 'default' } },
      spec: { selector: { app: 'istiod', istio: 'pilot' } },
    });
  });

  it('gives the default tag the istio-injection=enabled webhooks too', () => {
    const p = planTag({ name: 'default', spec: { revision: '1-30' } }, INSTALLS, TARGET);
    expect(((p.webhook?.webhooks as PlainObject[]) ?? []).map((h) => h.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io',
      'object.sidecar-injector.istio.io',
    ]);
  });

  it.each([
    [{ revision: '1-32' }, INSTALLS, 'RevisionNotFound', /no IstioOperator installs revision 1-32/],
    [
      { revision: '1-31' },
      [iop('istio-system/1-31', '1-31', 'RECONCILING')],
      'RevisionNotReady',
      /is RECONCILING; the tag moves once it is HEALTHY/,
    ],
    [
      { revision: '1-31' },
      [iop('istio-system/1-31', '1-31', 'HEALTHY', { deleting: true })],
      'RevisionNotReady',
      /is being deleted/,
    ],
    [
      { revision: '1-31' },
      [iop('a/x', '1-31'), iop('b/y', '1-31')],
      'Conflict',
      /installed by several IstioOperators: a\/x, b\/y/,
    ],
    [{ revision: 'Bad_Rev' }, INSTALLS, 'InvalidSpec', /spec.revision must be a revision name/],
    [{}, INSTALLS, 'InvalidSpec', /spec.revision must be a revision name \(a DNS label\), got undefined/],
  ])('leaves the webhook and the Service alone for %j and says why', (spec, installs, state, message) => {
    const p = planTag({ name: 'prod', spec }, installs, TARGET);
    expect(p.webhook).toBeUndefined();
    expect(p.service).toBeUndefined();
    expect(p.status.state).toBe(state);
    expect(p.status.conditions[0]).toMatchObject({ status: 'False', reason: state });
    expect(p.status.conditions[0].message).toMatch(message);
  });

  it('refuses a tag named like an installed revision, and a default tag beside a default revision', () => {
    expect(
      planTag({ name: '1-30', spec: { revision: '1-31' } }, INSTALLS, TARGET).status.conditions[0].message,
    ).toMatch(/a revision named 1-30 is installed by istio-system\/1-30/);
    const p = planTag(
      { name: 'default', spec: { revision: '1-31' } },
      [...INSTALLS, iop('istio-system/main', '')],
      TARGET,
    );
    expect(p.webhook).toBeUndefined();
    expect(p.service).toBeUndefined();
    expect(p.status.conditions[0].message).toMatch(
      /already serves istio-injection=enabled; a default tag would inject twice/,
    );
  });

  it('ignores a gateways-only IstioOperator of the revision (no Pilot): no conflict, the control plane is the target', () => {
    const installs = [
      iop('istio-system/1-31', '1-31'),
      iop('istio-system/gw', '1-31', 'HEALTHY', { controlPlane: false }),
    ];
    expect(planTag({ name: 'prod', spec: { revision: '1-31' } }, installs, TARGET).status).toMatchObject({
      state: 'Ready',
      istioOperator: 'istio-system/1-31',
    });
  });

  it('points a tag at the default revision through /inject', () => {
    const p = planTag(
      { name: 'prod', spec: { revision: 'default' } },
      [iop('istio-system/main', '')],
      TARGET,
    );
    expect(paths(p.webhook)).toEqual(['https://127.0.0.1:9443/inject', 'https://127.0.0.1:9443/inject']);
  });
});

describe('tag helpers', () => {
  it('lists the tags pointing at a revision, sorted', () => {
    const tags = [
      { name: 'prod', spec: { revision: '1-30' } },
      { name: 'default', spec: { revision: '1-30' } },
      { name: 'canary', spec: { revision: '1-31' } },
    ];
    expect(tagsPointingAt(tags, '1-30')).toEqual(['default', 'prod']);
    expect(tagsPointingAt(tags, '')).toEqual([]);
  });

  it('lists the tags whose webhook serves a revision now (Ready, by status), not those only asked to', () => {
    const tags = [
      { metadata: { name: 'prod' }, status: { state: 'Ready', revision: '1-31' } },
      { metadata: { name: 'stable' }, status: { state: 'RevisionNotReady', revision: '1-31' } },
      { metadata: { name: 'default' }, status: { state: 'Ready', revision: '1-30' } },
      { metadata: { name: 'none' } },
    ];
    expect(tagsServing(tags, '1-31')).toEqual(['prod']);
    expect(tagsServing(tags, '1-30')).toEqual(['default']);
  });

  it('reads an IstioOperator as a revision install', () => {
    expect(
      revisionInstall({
        metadata: { name: '1-31', namespace: 'istio-system', deletionTimestamp: new Date() },
        spec: { revision: '1-31' },
        status: { status: 'HEALTHY', meshwright: { version: '1.31.0-rc.0' } },
      }),
    ).toEqual({
      owner: 'istio-system/1-31',
      revision: '1-31',
      status: 'HEALTHY',
      version: '1.31.0-rc.0',
      deleting: true,
      istiodNamespace: 'istio-system',
    });
    expect(
      revisionInstall({ metadata: { name: 'x', namespace: 'n' }, spec: { revision: 'default' } }),
    ).toMatchObject({
      revision: '',
      deleting: false,
    });
    expect(
      revisionInstall({
        metadata: { name: 'x', namespace: 'n' },
        spec: { namespace: 'mesh', components: { pilot: { namespace: 'cp' } } },
      }).istiodNamespace,
    ).toBe('cp');
  });
});
