// Inputs istiod rejects are rejected here too, with a message naming the annotation; valid neighbours of
// each bad value still inject. Classes are covered field by field (every resource annotation, every
// duration of proxy.istio.io/config), not by a single example.
import type { V1Pod } from '@kubernetes/client-node';
import { injectPod } from '../../../inject';
import { A } from '../../../inject/annotations';
import { PROXY_CONFIG_DURATION_FIELDS } from '../../../inject/proxy-config-validation';
import { config } from './fixtures';

const cfg = config();

function pod(annotations: Record<string, string>): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', annotations },
    spec: { containers: [{ name: 'app', image: 'app' }] },
  };
}

function outcome(annotations: Record<string, string>, admission = true) {
  return injectPod({ pod: pod(annotations), namespace: 'default', admission }, cfg);
}

function expectRejected(annotations: Record<string, string>, name: string): void {
  for (const admission of [true, false]) {
    const out = outcome(annotations, admission);
    expect({ annotations, admission, kind: out.kind }).toEqual({ annotations, admission, kind: 'rejected' });
    if (out.kind === 'rejected') expect(out.message).toContain(`annotation '${name}'`);
  }
}

function expectInjected(annotations: Record<string, string>): void {
  const out = outcome(annotations);
  expect({ annotations, kind: out.kind, msg: out.kind === 'rejected' ? out.message : '' }).toEqual({
    annotations,
    kind: 'injected',
    msg: '',
  });
}

const RESOURCE_ANNOTATIONS = [A.proxyCPU, A.proxyMemory, A.proxyCPULimit, A.proxyMemoryLimit];

describe('resource annotations', () => {
  const bad = ['lots', '12x', '', ' ', '1.2.3', '10 Mi', 'Mi', '0x10', '1e', '--1', '100mm'];
  const good = ['100m', '2', '128Mi', '1Gi', '0.5', '1e3', ' 64Mi ', '+1', '.5'];
  it.each(RESOURCE_ANNOTATIONS)('%s rejects what is no quantity', (name) => {
    for (const v of bad) expectRejected({ [name]: v }, name);
  });
  it.each(RESOURCE_ANNOTATIONS)('%s accepts quantities, written canonically', (name) => {
    for (const v of good) expectInjected({ [name]: v });
    const out = outcome({ [name]: '2000m' });
    const proxy =
      out.kind === 'injected'
        ? [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
            (c) => c.name === 'istio-proxy',
          )
        : undefined;
    const all = { ...proxy?.resources?.requests, ...proxy?.resources?.limits };
    expect(Object.values(all)).toContain('2');
  });
  it('lists every bad resource annotation at once', () => {
    const out = outcome(Object.fromEntries(RESOURCE_ANNOTATIONS.map((n) => [n, 'bad'])));
    expect(out.kind).toBe('rejected');
    if (out.kind === 'rejected') for (const n of RESOURCE_ANNOTATIONS) expect(out.message).toContain(n);
  });
});

describe('proxy.istio.io/config', () => {
  const nest = (path: string, v: unknown): Record<string, unknown> =>
    path
      .split('.')
      .reverse()
      .reduce<unknown>((acc, k) => ({ [k]: acc }), v) as Record<string, unknown>;
  // Keep the other checks satisfied: a private key provider needs its pollDelay.
  const withSiblings = (path: string, v: unknown): Record<string, unknown> => nest(path, v);

  it.each(PROXY_CONFIG_DURATION_FIELDS)('duration %s rejects what is no protobuf duration', (path) => {
    for (const v of ['notaduration', '5', '1m', '1h', '5 s', 's', '1.0000000001s', 5, true]) {
      expectRejected({ [A.proxyConfig]: JSON.stringify(withSiblings(path, v)) }, A.proxyConfig);
    }
  });

  it.each(PROXY_CONFIG_DURATION_FIELDS)('duration %s accepts whole seconds', (path) => {
    expectInjected({ [A.proxyConfig]: JSON.stringify(withSiblings(path, '7s')) });
  });

  it('drainDuration must be whole seconds and at least 1ms', () => {
    for (const v of ['1.5s', '0s', '0.0000001s', '-3s']) {
      expectRejected({ [A.proxyConfig]: `drainDuration: ${v}` }, A.proxyConfig);
    }
    expectInjected({ [A.proxyConfig]: 'drainDuration: 10s' });
  });

  it('a private key provider needs a provider and a non-zero pollDelay', () => {
    for (const v of ['{}', '{cryptomb: {}}', '{qat: {pollDelay: 0s}}', 'null_provider']) {
      expectRejected({ [A.proxyConfig]: `privateKeyProvider: ${v}` }, A.proxyConfig);
    }
    expectInjected({ [A.proxyConfig]: 'privateKeyProvider: {cryptomb: {pollDelay: 0.01s}}' });
  });

  it('paths, discovery address, ports and auth policy are checked', () => {
    for (const y of [
      'configPath: ""',
      'binaryPath: ""',
      'discoveryAddress: ""',
      'discoveryAddress: nohostport',
      'discoveryAddress: "bad host!:15012"',
      'discoveryAddress: istiod:99999',
      'proxyAdminPort: 0',
      'statusPort: 70000',
      'statusPort: "port"',
      'statusPort: 1.5',
      'controlPlaneAuthPolicy: SOMETIMES',
      '[1, 2]',
      'a: [',
    ]) {
      expectRejected({ [A.proxyConfig]: y }, A.proxyConfig);
    }
    for (const y of [
      'discoveryAddress: istiod-canary.istio-system.svc:15012',
      'statusPort: 15021',
      'statusPort: "15021"',
      '{}',
      '',
    ]) {
      expectInjected({ [A.proxyConfig]: y });
    }
  });
});

describe('other annotations', () => {
  it('excludeInterfaces takes a list of interface names', () => {
    for (const v of ['bad iface!', 'eth0,', 'a/b', 'x'.repeat(16), 'eth0,..', 'lo:1']) {
      expectRejected({ [A.excludeInterfaces]: v }, A.excludeInterfaces);
    }
    for (const v of ['eth0', 'eth0,eth1', ' eth0 , veth_1.2 ', ''])
      expectInjected({ [A.excludeInterfaces]: v });
  });

  it.each([A.readinessInitialDelay, A.readinessPeriod, A.readinessFailureThreshold])(
    '%s must be an integer that fits the probe',
    (name) => {
      for (const v of ['1.5', '-1', 'abc', '', '2147483648', '4294967295', '1e3', ' 5']) {
        expectRejected({ [name]: v }, name);
      }
      for (const v of ['0', '5', '2147483647']) expectInjected({ [name]: v });
    },
  );

  it('a template that does not exist is rejected, in both modes', () => {
    for (const admission of [true, false]) {
      for (const v of ['nope', 'sidecar,nope', 'sidecar,', 'Sidecar']) {
        const out = outcome({ [A.templates]: v }, admission);
        expect([v, out.kind]).toEqual([v, 'rejected']);
        if (out.kind === 'rejected') expect(out.message).toMatch(/requested template ".*" not found/);
      }
    }
  });
});
