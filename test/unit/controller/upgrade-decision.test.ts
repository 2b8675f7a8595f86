// Which in-place version changes of one IstioOperator are allowed, as a table of from/to, and the CRD rule's
// decision (newer kept, older upgraded, another owner's of the same release left alone).
import type { KubernetesObject } from '@kubernetes/client-node';
import { crdNote, decideCrdApply } from '../../../operator/controller/apply/crd-versions';
import { upgradeDecision } from '../../../operator/controller/reconcile/upgrade-decision';

describe('upgradeDecision', () => {
  it.each([
    // [from, to, allowed]
    [undefined, '1.31.0', true], // first install
    ['1.30.3', '1.30.3', true],
    ['1.30.3', '1.30.4', true], // patch up
    ['1.30.4', '1.30.2', true], // patch down within a minor
    ['1.30.3', '1.31.0-rc.0', true], // one minor up, pre-release included
    ['1.31.0-rc.0', '1.31.0', true],
    ['1.29.9', '1.30.0', true],
    ['1.30.3', 'my-build', true], // a custom tag names no version: nothing to judge
    ['1.29.2', '1.31.0', false], // skips 1.30
    ['1.28.0', '1.31.1', false], // skips 1.29 and 1.30
    ['1.31.0-rc.0', '1.30.3', false], // downgrade across minors
    ['1.31.0', '2.0.0', false], // major
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(upgradeDecision(from, to).allowed).toBe(allowed);
  });

  it('says what to do instead', () => {
    expect(upgradeDecision('1.28.0', '1.31.1')).toEqual({
      allowed: false,
      message:
        'in-place upgrade from Istio 1.28.0 to 1.31.1 skips 1.29, 1.30: Istio upgrades one minor version at a ' +
        'time, so upgrade 1.28 -> 1.29 first (spec.tag: a 1.29 release), or install 1.31.1 as a new revision ' +
        '(another IstioOperator with spec.revision) and move workloads to it; or set spec.tag back to 1.28.0',
    });
    expect(upgradeDecision('1.31.0-rc.0', '1.30.3')).toEqual({
      allowed: false,
      message:
        'in-place downgrade from Istio 1.31.0-rc.0 to 1.30.3 (1.31 -> 1.30) is not supported: install 1.30.3 ' +
        'as a new revision (another IstioOperator with spec.revision) and move workloads to it, or set ' +
        'spec.tag back to 1.31.0-rc.0',
    });
  });
});

describe('decideCrdApply', () => {
  const crd = (version?: string): KubernetesObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'x.istio.io', labels: version ? { 'operator.istio.io/version': version } : {} },
  });

  it.each([
    // [rendered, live, live owned by another existing IstioOperator, action]
    ['1.30.3', 'absent', false, 'apply'],
    ['1.30.3', '1.30.3', false, 'apply'],
    ['1.31.0-rc.0', '1.30.3', true, 'apply'], // upgrades another's older CRD
    ['1.30.3', '1.30.3', true, 'leave'],
    ['1.30.3', 'unlabelled', true, 'leave'], // no version label: ownership decides
    ['1.30.3', 'unlabelled', false, 'apply'],
    ['1.30.3', '1.31.0-rc.0', true, 'keep-newer'],
    ['1.30.3', '1.31.0-rc.0', false, 'keep-newer'],
    ['1.31.0', '1.31.0-rc.0', false, 'apply'], // the release is newer than its candidate
    ['1.30.3', '1.30.4', false, 'keep-newer'], // no patch downgrade either
  ] as const)('rendered %s, live %s, other owner %s: %s', (rendered, live, other, action) => {
    const liveObj = live === 'absent' ? undefined : crd(live === 'unlabelled' ? undefined : live);
    expect(decideCrdApply(crd(rendered), liveObj, other).action).toBe(action);
  });

  it('adopts a newer CRD nobody owns, never one another IstioOperator owns', () => {
    expect(decideCrdApply(crd('1.30.3'), crd('1.31.0'), false)).toEqual({
      action: 'keep-newer',
      liveVersion: '1.31.0',
      adopt: true,
    });
    expect(decideCrdApply(crd('1.30.3'), crd('1.31.0'), true)).toMatchObject({ adopt: false });
  });

  it('notes the kept CRDs with the newest release among them', () => {
    expect(crdNote([], '1.30.3')).toBeUndefined();
    expect(
      crdNote(
        [
          { name: 'a', liveVersion: '1.31.0-rc.0' },
          { name: 'b', liveVersion: '1.31.1' },
        ],
        '1.30.3',
      ),
    ).toEqual({
      keptNewer: 2,
      version: '1.31.1',
      message:
        "2 CRD(s) kept at Istio 1.31.0-rc.0, 1.31.1, newer than this IstioOperator's 1.30.3: CRDs are never downgraded",
    });
  });
});
