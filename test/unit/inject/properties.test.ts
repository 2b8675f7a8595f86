import type { V1Container, V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { injectPod } from '../../../inject';
import { config } from './fixtures';

const cfgs = [
  config(),
  config([], { nativeSidecars: 'disabled' }),
  config([{ components: { cni: { enabled: true } } }]),
];

// Overrides where users put them: istio-proxy among the containers, istio-init among the init containers.
const appName = fc.constantFrom('app', 'web', 'istio-proxy', 'sidecar');
const initName = fc.constantFrom('istio-init', 'setup', 'db');
const port = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('http', 'grpc', 'nope'));
// Optional fields come from `requiredKeys` below: absent, never undefined (pods arrive as JSON).
const probe = fc.oneof(
  fc.record({ httpGet: fc.record({ port, path: fc.constantFrom('/', '/ready') }) }),
  fc.record({ tcpSocket: fc.record({ port }) }),
  fc.record({ exec: fc.record({ command: fc.constant<string[]>(['true']) }) }),
);
const container = (name: fc.Arbitrary<string>): fc.Arbitrary<V1Container> =>
  fc.record(
    {
      name,
      image: fc.constantFrom('auto', 'app:1', 'reg/x:2'),
      ports: fc.array(
        fc.record({
          name: fc.constantFrom('http', 'grpc'),
          containerPort: fc.integer({ min: 1, max: 9000 }),
        }),
        {
          maxLength: 2,
        },
      ),
      env: fc.array(
        fc.record({ name: fc.constantFrom('A', 'B', 'PROXY_CONFIG'), value: fc.string({ maxLength: 3 }) }),
        {
          maxLength: 3,
        },
      ),
      readinessProbe: probe,
      livenessProbe: probe,
      securityContext: fc.option(fc.record({ runAsUser: fc.integer({ min: 0, max: 5000 }) }), {
        nil: undefined,
      }),
    },
    { requiredKeys: ['name'] },
  );
const annotation = fc.constantFrom<[string, string]>(
  ['sidecar.istio.io/interceptionMode', 'TPROXY'],
  ['sidecar.istio.io/interceptionMode', 'NONE'],
  ['sidecar.istio.io/nativeSidecar', 'false'],
  ['sidecar.istio.io/nativeSidecar', 'true'],
  ['status.sidecar.istio.io/port', '0'],
  ['traffic.sidecar.istio.io/excludeInboundPorts', '1,2'],
  ['sidecar.istio.io/proxyCPU', '500m'],
  ['prometheus.io/scrape', 'false'],
  ['inject.istio.io/templates', 'gateway'],
  ['inject.istio.io/templates', 'grpc-agent'],
  ['proxy.istio.io/config', 'holdApplicationUntilProxyStarts: true'],
  ['sidecar.istio.io/rewriteAppHTTPProbers', 'false'],
  ['traffic.sidecar.istio.io/includeOutboundIPRanges', 'bad'],
);
const podArb: fc.Arbitrary<V1Pod> = fc
  .record({
    containers: fc.uniqueArray(container(appName), { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
    initContainers: fc.uniqueArray(container(initName), { selector: (c) => c.name, maxLength: 2 }),
    annotations: fc.array(annotation, { maxLength: 3 }),
  })
  // Known limit: ports declared on a user's istio-proxy may move within ISTIO_META_POD_PORTS on re-injection.
  .map(({ containers, initContainers, annotations }) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', annotations: Object.fromEntries(annotations) },
    spec: {
      containers: containers
        .map((c) => (c.name === 'istio-proxy' ? { ...c, ports: undefined } : c))
        .map(defined),
      ...(initContainers.length ? { initContainers: initContainers.map(defined) } : {}),
    },
  }));

// Pods arrive as JSON: no undefined-valued keys.
const defined = (c: V1Container): V1Container => JSON.parse(JSON.stringify(c)) as V1Container;

describe('injectPod properties', () => {
  it('never throws, never mutates, patches reproduce the pod, re-injection is stable', () => {
    fc.assert(
      fc.property(podArb, fc.nat(cfgs.length - 1), (p, i) => {
        const before = structuredClone(p);
        const o = injectPod({ pod: p, namespace: 'ns', admission: true }, cfgs[i]);
        expect(p).toEqual(before);
        if (o.kind !== 'injected') return;
        expect(applyPatch(structuredClone(p), o.patch, true, false).newDocument).toEqual(o.pod);
        const again = injectPod({ pod: o.pod, namespace: 'ns', admission: true }, cfgs[i]);
        expect(again.kind).toBe('injected');
        if (again.kind === 'injected') expect(again.pod).toEqual(o.pod);
      }),
      { numRuns: 150 },
    );
  });
});
