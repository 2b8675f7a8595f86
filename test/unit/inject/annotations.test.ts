import { parsePort, validateAnnotations } from '../../../inject/annotations';

describe('validateAnnotations', () => {
  it('accepts valid values and ignores unknown annotations', () => {
    expect(
      validateAnnotations({
        'sidecar.istio.io/interceptionMode': 'TPROXY',
        'status.sidecar.istio.io/port': '15020',
        'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
        'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8,fd00::/8',
        'traffic.sidecar.istio.io/includeInboundPorts': '*',
        'traffic.sidecar.istio.io/excludeOutboundPorts': ' 80, 443',
        'readiness.status.sidecar.istio.io/periodSeconds': '10',
        'prometheus.istio.io/merge-metrics': 'False',
        'proxy.istio.io/config': 'concurrency: 2',
        'anything.else/x': '???',
      }),
    ).toBeUndefined();
  });

  it.each([
    [
      'sidecar.istio.io/interceptionMode',
      'IPTABLES',
      'interceptionMode invalid, use REDIRECT,TPROXY,NONE: IPTABLES',
    ],
    ['status.sidecar.istio.io/port', '70000', 'failed parsing port "70000"'],
    [
      'traffic.sidecar.istio.io/includeOutboundIPRanges',
      'bad',
      "includeIPRanges invalid: failed parsing cidr 'bad'",
    ],
    [
      'traffic.sidecar.istio.io/excludeOutboundIPRanges',
      '10.0.0.1',
      "excludeIPRanges invalid: failed parsing cidr '10.0.0.1'",
    ],
    [
      'traffic.sidecar.istio.io/includeInboundPorts',
      'bad',
      'includeInboundPorts invalid: portList "bad" invalid',
    ],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '*', 'excludeInboundPorts invalid'],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '1,-2', 'excludeOutboundPorts invalid'],
    ['traffic.sidecar.istio.io/includeOutboundPorts', 'x', 'includeOutboundPorts invalid'],
    ['readiness.status.sidecar.istio.io/failureThreshold', '-1', 'invalid syntax'],
    ['sidecar.istio.io/enableCoreDump', 'maybe', 'invalid syntax'],
    ['proxy.istio.io/config', '[1, 2]', 'proxy config must be an object'],
  ])('rejects %s=%s with a precise message', (name, value, why) => {
    const msg = validateAnnotations({ [name]: value });
    expect(msg).toContain(`invalid value '${value}' for annotation '${name}'`);
    expect(msg).toContain(why);
  });

  it('lists every invalid annotation, sorted by name', () => {
    const msg = validateAnnotations({
      'traffic.sidecar.istio.io/excludeInboundPorts': 'x',
      'sidecar.istio.io/interceptionMode': 'x',
    });
    expect(msg?.split('\n')).toEqual([
      '2 errors occurred:',
      expect.stringContaining("'sidecar.istio.io/interceptionMode'"),
      expect.stringContaining("'traffic.sidecar.istio.io/excludeInboundPorts'"),
    ]);
  });
});

describe('parsePort', () => {
  it('parses 0..65535 with surrounding spaces only', () => {
    expect(parsePort(' 8080 ')).toBe(8080);
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort('65536')).toBeUndefined();
    expect(parsePort('-1')).toBeUndefined();
    expect(parsePort('')).toBeUndefined();
  });
});
