// Gateways following a revision tag (tag-follow.ts, pure), the reconciler rendering them for the tag's
// revision and release, the deletion hold counting them, and the values.defaultRevision / tag `default`
// conflict (default-validator.ts), decided on both sides.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { FINALIZER } from '../../../operator/controller/apply/ownership';
import { KubeEventRecorder } from '../../../operator/controller/reconcile/event-recorder';
import {
  FOLLOW_RECHECK_MS,
  IstioOperatorReconciler,
} from '../../../operator/controller/reconcile/reconciler';
import { defaultOwnerConflict } from '../../../operator/controller/tags/default-validator';
import {
  FOLLOW_TAG_ANNOTATION,
  followersOf,
  resolveFollowedTag,
  withFollowedRelease,
} from '../../../operator/controller/tags/tag-follow';
import { planTag } from '../../../operator/controller/tags/tag-plan';
import { TagReconciler } from '../../../operator/controller/tags/tag-reconciler';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const NS = 'istio-system';
type Obj = KubernetesObject & { spec?: unknown; status?: unknown };

const iop = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Obj => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name, namespace: NS, uid: `uid-${name}`, ...(annotations ? { annotations } : {}) },
  spec,
});
const gw = (spec: Record<string, unknown> = { profile: 'empty' }, tag = 'prod') =>
  iop('gw', spec, { [FOLLOW_TAG_ANNOTATION]: tag });
const tag = (name: string, specRev: string, status?: Record<string, unknown>): Obj => ({
  apiVersion: 'meshwright.io/v1alpha1',
  kind: 'IstioRevisionTag',
  metadata: { name },
  spec: { revision: specRev },
  ...(status ? { status } : {}),
});
const ready = (rev: string, owner: string) => ({
  state: 'Ready',
  revision: rev,
  istioOperator: `${NS}/${owner}`,
});
const R30 = iop('r30', { profile: 'minimal', revision: '1-30', tag: '1.30.3' });
const R31 = iop('r31', { profile: 'minimal', revision: '1-31', values: { global: { tag: '1.31.0-rc.0' } } });

describe('resolveFollowedTag', () => {
  it('is undefined for an IstioOperator that follows no tag', () => {
    expect(resolveFollowedTag(R30, [], [R30])).toBeUndefined();
  });

  it("resolves to the revision the Ready tag serves and that revision's release (spec.tag or values.global.tag)", () => {
    expect(resolveFollowedTag(gw(), [tag('prod', '1-30', ready('1-30', 'r30'))], [R30, R31, gw()])).toEqual({
      ok: true,
      release: { tag: 'prod', revision: '1-30', istioOperator: `${NS}/r30`, istioTag: '1.30.3' },
    });
    expect(resolveFollowedTag(gw(), [tag('prod', '1-31', ready('1-31', 'r31'))], [R30, R31])).toEqual({
      ok: true,
      release: { tag: 'prod', revision: '1-31', istioOperator: `${NS}/r31`, istioTag: '1.31.0-rc.0' },
    });
  });

  it('keeps following the revision the webhook still serves while the tag is moving (not Ready): error, nothing new', () => {
    const r = resolveFollowedTag(
      gw(),
      [tag('prod', '1-31', { state: 'RevisionNotReady', revision: '1-31' })],
      [R30, R31],
    );
    expect(r).toEqual({
      ok: false,
      message: 'IstioRevisionTag prod is not Ready (RevisionNotReady); the gateways stay as they are',
    });
  });

  it('names a missing tag, a bad annotation and the spec fields the tag decides', () => {
    expect(resolveFollowedTag(gw(), [], [R30])).toEqual({
      ok: false,
      message: 'IstioRevisionTag prod does not exist; the gateways stay as they are',
    });
    expect(resolveFollowedTag(gw(undefined, 'Prod!'), [], [])).toMatchObject({
      ok: false,
      message: expect.stringContaining(
        `metadata.annotations[${FOLLOW_TAG_ANNOTATION}] must name a revision tag`,
      ),
    });
    expect(resolveFollowedTag(gw({ profile: 'empty', revision: '1-30' }), [], [])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^spec\.revision must be unset when .* \(prod\)/),
    });
    expect(resolveFollowedTag(gw({ profile: 'empty', tag: '1.30.3' }), [], [])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^spec\.tag must be unset/),
    });
    expect(resolveFollowedTag(gw({ profile: 'minimal' }), [], [])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^spec\.profile must be "empty"/),
    });
  });

  it('reports a Ready tag whose revision has no IstioOperator (deleted since)', () => {
    expect(resolveFollowedTag(gw(), [tag('prod', '1-29', ready('1-29', 'r29'))], [R30])).toMatchObject({
      ok: false,
      message:
        'IstioRevisionTag prod serves revision 1-29, which no IstioOperator installs; the gateways stay as they are',
    });
  });
});

describe('withFollowedRelease and followersOf', () => {
  it('renders a copy with the revision and release set, leaving the input as it was', () => {
    const input = gw({ profile: 'empty', components: { ingressGateways: [{ name: 'gw', enabled: true }] } });
    const out = withFollowedRelease(input, {
      tag: 'prod',
      revision: '1-31',
      istioOperator: `${NS}/r31`,
      istioTag: '1.31.0-rc.0',
      hub: 'example.com/istio',
    });
    expect(out.spec).toEqual({
      profile: 'empty',
      revision: '1-31',
      tag: '1.31.0-rc.0',
      hub: 'example.com/istio',
      components: { ingressGateways: [{ name: 'gw', enabled: true }] },
    });
    expect(input.spec).not.toHaveProperty('revision');
  });

  it('counts a follower for the revision its tag serves and the one it moves to, not others', () => {
    const moving = [tag('prod', '1-31', { state: 'RevisionNotReady', revision: '1-30' })];
    expect(followersOf([gw(), R30], moving, '1-30')).toEqual([`${NS}/gw`]);
    expect(followersOf([gw(), R30], moving, '1-31')).toEqual([`${NS}/gw`]);
    expect(followersOf([gw(), R30], moving, '1-29')).toEqual([]);
    expect(followersOf([gw(undefined, 'stable')], moving, '1-30')).toEqual([]);
  });
});

describe('defaultOwnerConflict', () => {
  it('names both owners when tag default and values.defaultRevision coexist; nothing otherwise', () => {
    const setters = [{ owner: `${NS}/r30`, defaultRevision: '1-30' }];
    expect(defaultOwnerConflict(true, setters)).toBe(
      'IstioRevisionTag default and IstioOperator istio-system/r30 (values.defaultRevision=1-30) both choose the default revision (its webhook istio-revision-tag-default and istiod-default-validator); keep one: delete the tag, or unset values.defaultRevision',
    );
    expect(defaultOwnerConflict(false, setters)).toBeUndefined();
    expect(defaultOwnerConflict(true, [{ owner: `${NS}/r30`, defaultRevision: '' }])).toBeUndefined();
  });

  it('makes tag default report Conflict (no webhook) beside an IstioOperator setting values.defaultRevision', () => {
    const installs = [
      { owner: `${NS}/r30`, revision: '1-30', status: 'HEALTHY', deleting: false, defaultRevision: '1-30' },
      { owner: `${NS}/r31`, revision: '1-31', status: 'HEALTHY', deleting: false },
    ];
    const p = planTag({ name: 'default', spec: { revision: '1-31' } }, installs, { url: 'https://x' });
    expect(p.webhook).toBeUndefined();
    expect(p.status.state).toBe('Conflict');
    expect(p.status.conditions[0].message).toMatch(
      /IstioRevisionTag default and IstioOperator istio-system\/r30/,
    );
    // Other tags are not concerned.
    expect(
      planTag({ name: 'prod', spec: { revision: '1-31' } }, installs, { url: 'https://x' }).webhook,
    ).toBeDefined();
  });
});

describe('IstioOperatorReconciler with a tag-following IstioOperator', () => {
  const SERVICE_ACCOUNTS = [
    { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  ];
  function setup(gateway: Obj = gw(), managedKinds: typeof SERVICE_ACCOUNTS = []) {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    for (const o of [R30, R31, gateway]) kube.seed(o);
    const rendered: Obj[] = [];
    const r = new IstioOperatorReconciler({
      client: kube,
      render: (o) => {
        rendered.push(o as Obj);
        return { ok: true, desired: { namespaces: [NS], components: [] } };
      },
      managedKinds,
      clock,
      log: quiet,
      events: new KubeEventRecorder(kube, clock, quiet, 'test'),
      holdDeletion: true,
    });
    const live = (name: string) =>
      kube.find('install.istio.io/v1alpha1', 'IstioOperator', name, NS) as
        | (Obj & { status?: { status?: string; message?: string; meshwright?: Record<string, unknown> } })
        | undefined;
    return { kube, r, rendered, live };
  }

  it('renders for the tag revision, re-renders when the tag moves, and shows the resolved revision', async () => {
    const t = setup();
    t.kube.seed(tag('prod', '1-30', ready('1-30', 'r30')));
    expect(await t.r.reconcile(`${NS}/gw`)).toEqual({ requeueAfterMs: FOLLOW_RECHECK_MS });
    expect(t.rendered.at(-1)?.spec).toMatchObject({ revision: '1-30', tag: '1.30.3' });
    expect(t.live('gw')?.status?.meshwright?.followedTag).toEqual({
      tag: 'prod',
      revision: '1-30',
      istioOperator: `${NS}/r30`,
    });
    expect(t.live('gw')?.status?.meshwright?.version).toBe('1.30.3');

    t.kube.seed(tag('prod', '1-31', ready('1-31', 'r31')));
    await t.r.reconcile(`${NS}/gw`);
    expect(t.rendered.at(-1)?.spec).toMatchObject({ revision: '1-31', tag: '1.31.0-rc.0' });
    expect(t.live('gw')?.status?.meshwright?.followedTag).toMatchObject({ revision: '1-31' });
    expect(t.live('gw')?.status?.meshwright?.version).toBe('1.31.0-rc.0');
    expect(t.kube.eventLog.filter((e) => e.startsWith('Normal TagFollowed'))).toHaveLength(2);
  });

  it('a missing tag: an error condition naming it, nothing rendered or applied, looked at again', async () => {
    const t = setup();
    expect(await t.r.reconcile(`${NS}/gw`)).toEqual({ requeueAfterMs: FOLLOW_RECHECK_MS });
    expect(t.rendered).toHaveLength(0);
    expect(t.live('gw')?.status?.status).toBe('ERROR');
    expect(t.live('gw')?.status?.message).toBe(
      'IstioRevisionTag prod does not exist; the gateways stay as they are',
    );
  });

  it('holds the deletion of the revision the tag resolves to, naming the follower', async () => {
    const t = setup(gw(), SERVICE_ACCOUNTS);
    t.kube.seed(tag('prod', '1-31', ready('1-31', 'r31')));
    // r31 installs the revision's control plane (only that is ever held).
    t.kube.seed({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'istiod-1-31',
        namespace: NS,
        labels: {
          'install.operator.istio.io/owning-resource': 'r31',
          'install.operator.istio.io/owning-resource-namespace': NS,
          'operator.istio.io/component': 'Pilot',
        },
      },
    });
    t.kube.seed({ ...R31, metadata: { ...R31.metadata, finalizers: [FINALIZER] } });
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: 'r31',
      namespace: NS,
    });
    await t.r.reconcile(`${NS}/r31`);
    expect(t.live('r31')?.status?.message).toBe(
      'deletion held: revision 1-31 is still in use: revision tag(s) prod point at it (move them first); ' +
        'IstioOperator(s) istio-system/gw of the same revision use its istiod (move their gateways first)',
    );
  });

  it('refuses values.defaultRevision while tag default exists, naming both, applying nothing', async () => {
    const t = setup();
    const r30 = { ...R30, spec: { ...(R30.spec as object), values: { defaultRevision: '1-30' } } };
    t.kube.seed(r30);
    t.kube.seed(tag('default', '1-31', ready('1-31', 'r31')));
    expect(await t.r.reconcile(`${NS}/r30`)).toEqual({});
    expect(t.rendered).toHaveLength(0);
    expect(t.live('r30')?.status?.message).toMatch(
      /^IstioRevisionTag default and IstioOperator istio-system\/r30 \(values.defaultRevision=1-30\)/,
    );
  });
});

describe('TagReconciler beside a tag-following IstioOperator', () => {
  it('does not take the follower (no spec.revision) for an install of the default revision', async () => {
    const kube = new FakeKube();
    const healthy = { status: 'HEALTHY', componentStatus: { Pilot: { status: 'HEALTHY' } } };
    kube.seed({ ...R31, status: healthy } as KubernetesObject);
    kube.seed(gw());
    kube.seed(tag('default', '1-31'));
    await new TagReconciler({ client: kube, target: { url: 'https://wh:9443' }, log: quiet }).reconcile(
      'default',
    );
    const st = (kube.find('meshwright.io/v1alpha1', 'IstioRevisionTag', 'default') as { status?: unknown })
      .status;
    expect(st).toMatchObject({ state: 'Ready', revision: '1-31', istioOperator: `${NS}/r31` });
    expect(
      kube.find(
        'admissionregistration.k8s.io/v1',
        'MutatingWebhookConfiguration',
        'istio-revision-tag-default',
      ),
    ).toBeDefined();
  });
});
