// Regression cases for the engine bugs the fuzz suites found (docs/reliability.md), each reduced to the
// shrunk counterexample fast-check printed.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { injectPod } from '../../../inject';
import { config, pod } from '../inject/fixtures';

const cfg = config();

function inject(p: V1Pod) {
  return injectPod({ pod: p, namespace: 'fuzz', admission: true }, cfg);
}

const allContainers = (p: V1Pod): V1Container[] => [
  ...(p.spec?.initContainers ?? []),
  ...(p.spec?.containers ?? []),
];

describe('engine regressions found by fuzzing', () => {
  it.each(['valueOf', 'constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'an annotation named %s is an ordinary annotation (was: TypeError from a prototype validator)',
    (key) => {
      const p = pod(
        {},
        { annotations: JSON.parse(`{${JSON.stringify(key)}: ""}`) as Record<string, string> },
      );
      const o = inject(p);
      expect(o.kind).toBe('injected');
    },
  );

  it.each(['__proto__', 'constructor', 'toString', 'sidecar,valueOf'])(
    'inject.istio.io/templates: %s is an unknown template (was: "template is not a function" or Object() as a template)',
    (names) => {
      const o = inject(pod({}, { annotations: { 'inject.istio.io/templates': names } }));
      expect(o).toEqual({
        kind: 'rejected',
        message: expect.stringMatching(/^requested template ".+" not found; have /),
      });
    },
  );

  it('a user istio-proxy naming ISTIO_KUBE_APP_PROBERS without a value gets it filled, once, also on re-injection (was: a second entry, probers lost on re-injection)', () => {
    const p = pod({
      containers: [
        { name: 'istio-proxy', env: [{ name: 'ISTIO_KUBE_APP_PROBERS' }] },
        { name: 'a', image: 'a', lifecycle: { postStart: { tcpSocket: { port: 1 } } } },
      ],
    });
    const first = inject(p);
    expect(first.kind).toBe('injected');
    if (first.kind !== 'injected') return;
    const probers = (q: V1Pod) =>
      allContainers(q)
        .find((c) => c.name === 'istio-proxy')
        ?.env?.filter((e) => e.name === 'ISTIO_KUBE_APP_PROBERS');
    expect(probers(first.pod)).toEqual([
      { name: 'ISTIO_KUBE_APP_PROBERS', value: '{"/app-lifecycle/a/poststartz":{"tcpSocket":{"port":1}}}' },
    ]);
    const again = inject(first.pod);
    expect(again.kind === 'injected' && again.pod).toEqual(first.pod);
  });

  describe('a proxy.istio.io/overrides record that is not a container list is ignored', () => {
    const injected = (() => {
      const o = inject(pod());
      if (o.kind !== 'injected') throw new Error('fixture pod was not injected');
      return o.pod;
    })();
    const withOverrides = (raw: string): V1Pod => ({
      ...injected,
      metadata: {
        ...injected.metadata,
        annotations: { ...injected.metadata?.annotations, 'proxy.istio.io/overrides': raw },
      },
    });

    it.each([
      // was: the string "istio-proxy" put back into spec.containers
      '{"initContainers":null,"containers":["istio-proxy"],"volumes":["x"],"imagePullSecrets":null,"revision":"default"}',
      // was: a container without a name put back
      '{"containers":[{},{"name":""}]}',
      // was: env "x" merged into the proxy, and the next injection threw (env.find is not a function)
      '{"containers":[{"name":"istio-proxy","env":"x","ports":{},"resources":[]}],"initContainers":[{"name":"istio-init","args":7}]}',
      '{"containers":[null,1],"initContainers":{"name":"istio-init"}}',
    ])('%s', (raw) => {
      const o = inject(withOverrides(raw));
      expect(o.kind).toBe('injected');
      if (o.kind !== 'injected') return;
      for (const c of allContainers(o.pod)) {
        expect(typeof c).toBe('object');
        expect(typeof c.name).toBe('string');
        expect(c.name).not.toBe('');
        if (c.env !== undefined) expect(Array.isArray(c.env)).toBe(true);
        if (c.args !== undefined) expect(c.args.every((a) => typeof a === 'string')).toBe(true);
      }
      // Same as re-injecting without the bogus record.
      const clean = inject(injected);
      expect(clean.kind).toBe('injected');
      if (clean.kind === 'injected') expect(o.pod.spec).toEqual(clean.pod.spec);
      // And stable from there.
      const again = inject(o.pod);
      expect(again.kind === 'injected' && again.pod).toEqual(o.pod);
    });

    it('a well-formed record still applies on re-injection', () => {
      const o = inject(
        withOverrides(
          '{"containers":[{"name":"istio-proxy","image":"auto","env":[{"name":"X","value":"y"}]}]}',
        ),
      );
      expect(o.kind).toBe('injected');
      if (o.kind !== 'injected') return;
      const proxy = allContainers(o.pod).find((c) => c.name === 'istio-proxy');
      expect(proxy?.env).toEqual(expect.arrayContaining([{ name: 'X', value: 'y' }]));
    });
  });
});
