import { injectRequired, selectorMatches } from '../../../inject/selection';

const spec = { containers: [{ name: 'app' }] };
const enabled = { policy: 'enabled' };
const disabled = { policy: 'disabled' };

describe('injectRequired', () => {
  it('injects by default under the enabled policy', () => {
    expect(injectRequired(spec, {}, 'shop', enabled)).toEqual({ inject: true });
  });

  it('never injects host-network pods, even when asked', () => {
    const r = injectRequired(
      { ...spec, hostNetwork: true },
      { labels: { 'sidecar.istio.io/inject': 'true' } },
      'shop',
      enabled,
    );
    expect(r).toEqual({ inject: false, reason: 'host networking is enabled' });
  });

  it.each(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'])(
    'skips system namespace %s',
    (ns) => {
      expect(injectRequired(spec, {}, ns, enabled).inject).toBe(false);
    },
  );

  it('honours the opt-out label and prefers the label over the legacy annotation', () => {
    expect(
      injectRequired(spec, { labels: { 'sidecar.istio.io/inject': 'false' } }, 'shop', enabled).inject,
    ).toBe(false);
    const both = {
      labels: { 'sidecar.istio.io/inject': 'true' },
      annotations: { 'sidecar.istio.io/inject': 'false' },
    };
    expect(injectRequired(spec, both, 'shop', disabled).inject).toBe(true);
    expect(
      injectRequired(spec, { annotations: { 'sidecar.istio.io/inject': 'false' } }, 'shop', enabled).inject,
    ).toBe(false);
  });

  it.each(['y', 'yes', 'true', 'on', 'TRUE', 'On'])(
    'treats %s as an opt-in under the disabled policy',
    (v) => {
      expect(
        injectRequired(spec, { labels: { 'sidecar.istio.io/inject': v } }, 'shop', disabled).inject,
      ).toBe(true);
    },
  );

  it('does not inject unlabeled pods under the disabled policy', () => {
    expect(injectRequired(spec, {}, 'shop', disabled)).toEqual({
      inject: false,
      reason: 'auto-injection policy is disabled',
    });
  });

  it('applies neverInjectSelector before alwaysInjectSelector, only without an explicit choice', () => {
    const sel = { matchLabels: { tier: 'batch' } };
    const p = { ...enabled, neverInjectSelector: [sel], alwaysInjectSelector: [sel] };
    expect(injectRequired(spec, { labels: { tier: 'batch' } }, 'shop', p).inject).toBe(false);
    const explicit = { labels: { tier: 'batch', 'sidecar.istio.io/inject': 'true' } };
    expect(injectRequired(spec, explicit, 'shop', p).inject).toBe(true);
    const always = { ...disabled, alwaysInjectSelector: [sel] };
    expect(injectRequired(spec, { labels: { tier: 'batch' } }, 'shop', always).inject).toBe(true);
  });

  it('refuses an unknown policy', () => {
    expect(injectRequired(spec, {}, 'shop', { policy: 'maybe' }).inject).toBe(false);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };
  it('matches labels and expressions', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'db' } }, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, labels),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels),
    ).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels)).toBe(false);
  });
  it('never matches with an empty selector', () => {
    expect(selectorMatches({}, labels)).toBe(false);
  });
});
