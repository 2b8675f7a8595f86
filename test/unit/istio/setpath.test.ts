import {
  applySetFlag,
  coerceSetValue,
  parseSetFlag,
  parseSetPath,
  SetPathError,
  setFlagsToOverlay,
} from '../../../lib/istio/setpath';

describe('setFlagsToOverlay', () => {
  it('builds nested objects from dotted paths with typed values', () => {
    expect(setFlagsToOverlay(['values.global.proxy.statusPort=123'])).toEqual({
      values: { global: { proxy: { statusPort: 123 } } },
    });
    expect(setFlagsToOverlay(['components.cni.enabled=true'])).toEqual({
      components: { cni: { enabled: true } },
    });
    expect(setFlagsToOverlay(['meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true'])).toEqual({
      meshConfig: { defaultConfig: { holdApplicationUntilProxyStarts: true } },
    });
  });

  it('accepts the spec. prefix and the bare path alike', () => {
    expect(setFlagsToOverlay(['spec.values.global.hub=docker.io/istio'])).toEqual(
      setFlagsToOverlay(['values.global.hub=docker.io/istio']),
    );
  });

  it('combines several flags, later wins', () => {
    expect(
      setFlagsToOverlay([
        'values.global.tag=1',
        'values.global.hub=h',
        'values.global.tag=2',
        'revision=canary',
      ]),
    ).toEqual({ values: { global: { tag: 2, hub: 'h' } }, revision: 'canary' });
  });

  it('keeps commas (escaped or not) inside one string value', () => {
    expect(setFlagsToOverlay(['values.global.proxy.excludeIPRanges=1.1.0.0/16\\,2.2.0.0/16'])).toEqual({
      values: { global: { proxy: { excludeIPRanges: '1.1.0.0/16,2.2.0.0/16' } } },
    });
    expect(setFlagsToOverlay(['values.global.proxy.excludeInboundPorts=4,5,6'])).toEqual({
      values: { global: { proxy: { excludeInboundPorts: '4,5,6' } } },
    });
  });

  it('builds lists for index and selector paths', () => {
    expect(setFlagsToOverlay(['components.ingressGateways[0].enabled=false'])).toEqual({
      components: { ingressGateways: [{ enabled: false }] },
    });
    expect(setFlagsToOverlay(['values.a.b[0].c=x', 'values.a.b[1].c=y'])).toEqual({
      values: { a: { b: [{ c: 'x' }, { c: 'y' }] } },
    });
    expect(setFlagsToOverlay(['components.ingressGateways[name:istio-ingressgateway].enabled=true'])).toEqual(
      {
        components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
      },
    );
  });

  it('supports escaped dots inside a key', () => {
    expect(setFlagsToOverlay(['values.pilot.podAnnotations.sidecar\\.istio\\.io/inject=false'])).toEqual({
      values: { pilot: { podAnnotations: { 'sidecar.istio.io/inject': false } } },
    });
  });
});

describe('applySetFlag', () => {
  it('edits an existing list element in place without dropping its siblings', () => {
    const tree = { components: { ingressGateways: [{ name: 'a', enabled: true }, { name: 'b' }] } };
    const got = applySetFlag(tree, parseSetFlag('components.ingressGateways[name:b].enabled=false'));
    expect(got).toEqual({
      components: {
        ingressGateways: [
          { name: 'a', enabled: true },
          { name: 'b', enabled: false },
        ],
      },
    });
    expect(tree.components.ingressGateways[1]).toEqual({ name: 'b' });
    const byIndex = applySetFlag(tree, parseSetFlag('components.ingressGateways[0].k8s.replicaCount=3'));
    expect(byIndex).toEqual({
      components: {
        ingressGateways: [{ name: 'a', enabled: true, k8s: { replicaCount: 3 } }, { name: 'b' }],
      },
    });
  });

  it('rejects an index past the end of a list', () => {
    expect(() => applySetFlag({ values: { l: [] } }, parseSetFlag('values.l[2]=x'))).toThrow(/past the end/);
  });
});

describe('coerceSetValue', () => {
  it.each([
    ['123', 123],
    ['-7', -7],
    ['0', 0],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['true', true],
    ['False', false],
    ['T', true],
    ['yes', 'yes'],
    ['', ''],
    ['1.2.3', '1.2.3'],
    ['10.96.0.1/24', '10.96.0.1/24'],
    ['"true"', 'true'],
    ["'123'", '123'],
    ['"a\\,b"', 'a,b'],
    ['99999999999999999999', '99999999999999999999'],
  ])('%j -> %j', (raw, want) => {
    expect(coerceSetValue(raw)).toEqual(want);
  });
});

describe('malformed flags', () => {
  it.each([
    ['values.global.hub', /expected path=value/],
    ['=x', /empty path/],
    ['.values.a=1', /empty path element/],
    ['values..a=1', /empty path element/],
    ['values.a.=1', /ends with "."/],
    ['values.a[0=1', /unclosed/],
    ['values.a[x]=1', /bad list index/],
    ['values.a]=1', /unexpected "]"/],
    ['values.a[0]b=1', /after "]"/],
    ['[0].a=1', /without a field/],
    ['valuez.global.hub=x', /unknown IstioOperator field "valuez"/],
    ['values.a\\=1', /backslash/],
  ])('%j is rejected', (flag, message) => {
    expect(() => parseSetFlag(flag)).toThrow(SetPathError);
    expect(() => parseSetFlag(flag)).toThrow(message);
  });

  it('parses paths to typed segments', () => {
    expect(parseSetPath('spec.values.a[3].b[name:x]')).toEqual([
      { kind: 'key', key: 'values' },
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 3 },
      { kind: 'key', key: 'b' },
      { kind: 'select', key: 'name', value: 'x' },
    ]);
  });
});
