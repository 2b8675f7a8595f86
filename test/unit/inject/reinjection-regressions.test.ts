// Regressions for three findings of the engine fuzz suite (docs/reliability.md): user containers named like
// an injected one, declared in the other container list (duplicate names; env order on re-injection), and
// conflicting spellings of prometheus.io/scrape (re-injection differed). Each case injects, then re-injects
// the result, and requires exactly the same pod (inject(inject(p)) == inject(p)).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { injectPod } from '../../../inject';
import type { InjectionConfig, InjectionOutcome } from '../../../inject/api';
import { config, pod } from './fixtures';

const NATIVE = config();
const CLASSIC = config([], { nativeSidecars: 'disabled' });
const CNI = config([{ components: { cni: { enabled: true } } }], { nativeSidecars: 'disabled' });

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function inject(p: V1Pod, cfg: InjectionConfig): InjectionOutcome {
  return injectPod({ pod: json(p), namespace: 'ns', admission: true }, cfg);
}

function injected(p: V1Pod, cfg: InjectionConfig): V1Pod {
  const o = inject(p, cfg);
  if (o.kind !== 'injected') throw new Error(`expected an injection, got ${o.kind}: ${JSON.stringify(o)}`);
  return json(o.pod);
}

function allNames(p: V1Pod): string[] {
  return [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.name);
}

function named(list: V1Container[] | undefined, name: string): V1Container | undefined {
  return list?.find((c) => c.name === name);
}

/** First injection, checks, and the re-injection of its result, which must not change anything. */
function idempotent(p: V1Pod, cfg: InjectionConfig): V1Pod {
  const first = injected(p, cfg);
  const names = allNames(first);
  expect(new Set(names).size).toBe(names.length);
  expect(withoutPrometheusEnv(injected(first, cfg))).toEqual(withoutPrometheusEnv(first));
  return first;
}

/**
 * The one documented difference (docs/reliability.md): the app's own scrape settings handed to the first
 * proxy in ISTIO_PROMETHEUS_ANNOTATIONS are not handed on by a re-injection, as with istiod.
 */
function withoutPrometheusEnv(p: V1Pod): V1Pod {
  const copy = json(p);
  for (const c of [...(copy.spec?.containers ?? []), ...(copy.spec?.initContainers ?? [])]) {
    if (c.env) c.env = c.env.filter((e) => e.name !== 'ISTIO_PROMETHEUS_ANNOTATIONS');
  }
  return copy;
}

const app: V1Container = { name: 'app', image: 'app:1', ports: [{ name: 'http', containerPort: 8080 }] };

describe('a user container named like the injected init container, among the containers', () => {
  const userInit = (name: string): V1Container => ({
    name,
    image: 'auto',
    env: [{ name: 'USER_SETTING', value: 'x' }],
    resources: { limits: { cpu: '200m' } },
  });

  it.each([
    ['istio-init', 'classic', CLASSIC],
    ['istio-init', 'native', NATIVE],
    ['istio-validation', 'cni', CNI],
  ] as const)('%s (%s): overrides the injected one, one container of the name, stable', (name, _m, cfg) => {
    const out = idempotent(pod({ containers: [app, userInit(name)] }), cfg);
    expect(named(out.spec?.containers, name)).toBeUndefined();
    const init = named(out.spec?.initContainers, name);
    expect(init?.env).toContainEqual({ name: 'USER_SETTING', value: 'x' });
    expect(init?.resources?.limits?.cpu).toBe('200m');
    // `image: auto` keeps the injected image; the injected command line is still there.
    expect(init?.image).toMatch(/proxyv2/);
    expect(init?.args?.length).toBeGreaterThan(0);
    // The moved container is no app container.
    const proxy =
      named(out.spec?.containers, 'istio-proxy') ?? named(out.spec?.initContainers, 'istio-proxy');
    expect(proxy?.env?.find((e) => e.name === 'ISTIO_META_APP_CONTAINERS')?.value).toBe('app');
  });

  it('is recorded under the init containers, where a re-injection puts it back', () => {
    const out = idempotent(pod({ containers: [app, userInit('istio-init')] }), CLASSIC);
    const record = JSON.parse(out.metadata?.annotations?.['proxy.istio.io/overrides'] ?? '{}') as {
      containers?: V1Container[];
      initContainers?: V1Container[];
    };
    expect(record.containers).toBeUndefined();
    expect(record.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
  });

  it('a pod as the engine injected it before (the user container left among the containers) re-injects cleanly', () => {
    const user = userInit('istio-init');
    const first = idempotent(pod({ containers: [app, user] }), CLASSIC);
    // The old result: the injected istio-init (with the override) and the user's own, still a container.
    const old = json(first);
    old.spec?.containers.splice(1, 0, json(user));
    expect(injected(old, CLASSIC)).toEqual(first);
  });

  it('an app container of that name is left alone when no such container is injected', () => {
    // Without CNI nothing named istio-validation is injected: no override, nothing moves.
    const out = idempotent(pod({ containers: [app, { name: 'istio-validation', image: 'v:1' }] }), CLASSIC);
    expect(named(out.spec?.containers, 'istio-validation')?.image).toBe('v:1');
    expect(named(out.spec?.initContainers, 'istio-validation')).toBeUndefined();
  });

  it.each([
    [
      'in both lists',
      {
        containers: [app, { name: 'istio-init', image: 'a:1' }],
        initContainers: [{ name: 'istio-init', image: 'b:1' }],
      },
    ],
    ['twice among the containers', { containers: [app, { name: 'istio-init' }, { name: 'istio-init' }] }],
  ])('declared %s: rejected, naming the container', (_w, spec) => {
    const o = inject(pod(spec), CLASSIC);
    expect(o.kind).toBe('rejected');
    if (o.kind === 'rejected')
      expect(o.message).toContain('container name "istio-init" is declared more than once');
  });

  it('istio-proxy declared in both lists is rejected as well', () => {
    const proxy: V1Container = { name: 'istio-proxy', image: 'auto' };
    const o = inject(pod({ containers: [app, proxy], initContainers: [proxy] }), NATIVE);
    expect(o.kind).toBe('rejected');
  });
});

describe('an istio-proxy override declared among the init containers of a non-native pod', () => {
  const userProxy: V1Container = {
    name: 'istio-proxy',
    image: 'auto',
    env: [
      { name: 'USER_FIRST', value: '1' },
      { name: 'PILOT_CERT_PROVIDER', value: 'custom' },
      { name: 'USER_LAST', value: '2' },
    ],
    ports: [{ name: 'extra', containerPort: 9000 }],
  };

  it('moves to the containers, overrides the proxy, and the env order survives re-injection', () => {
    const out = idempotent(pod({ containers: [app], initContainers: [userProxy] }), CLASSIC);
    expect(named(out.spec?.initContainers, 'istio-proxy')).toBeUndefined();
    const env = named(out.spec?.containers, 'istio-proxy')?.env ?? [];
    expect(env).toContainEqual({ name: 'PILOT_CERT_PROVIDER', value: 'custom' });
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(['USER_FIRST', 'USER_LAST']));
  });

  it('with app init containers around it, in either mode', () => {
    const initApp: V1Container = { name: 'setup', image: 'setup:1' };
    for (const cfg of [CLASSIC, NATIVE]) {
      idempotent(
        pod({ containers: [app], initContainers: [initApp, userProxy, { ...initApp, name: 'late' }] }),
        cfg,
      );
    }
  });
});

describe('prometheus.io/scrape in more than one spelling', () => {
  const scrapeAnnotations = (p: V1Pod) =>
    Object.fromEntries(
      Object.entries(p.metadata?.annotations ?? {}).filter(([k]) => /^prometheus[._]io[./_]/.test(k)),
    );

  it('a value that is no bool next to a legacy false: no merge, first time and again', () => {
    const a = { 'prometheus.io/scrape': '', 'prometheus.io.scrape': 'false' };
    const out = idempotent(pod({}, { name: 'app', annotations: a }), CLASSIC);
    expect(scrapeAnnotations(out)).toEqual(a);
  });

  it('a false in any spelling opts out, whatever the key order', () => {
    const cases: Record<string, string>[] = [
      { 'prometheus.io/scrape': 'true', 'prometheus.io.scrape': 'false' },
      { 'prometheus.io.scrape': 'false', 'prometheus.io/scrape': 'true' },
      { 'prometheus.io/scrape': 'true', prometheus_io_scrape: '0' },
    ];
    for (const a of cases) {
      const out = idempotent(pod({}, { name: 'app', annotations: a }), CLASSIC);
      expect(scrapeAnnotations(out)).toEqual(a);
    }
  });

  it('a legacy true (or no bool) does not stop the merge, and the merge is stable', () => {
    const out = idempotent(
      pod(
        {},
        { name: 'app', annotations: { 'prometheus.io.scrape': 'yes', 'prometheus.io/scrape': 'true' } },
      ),
      CLASSIC,
    );
    expect(out.metadata?.annotations?.['prometheus.io/port']).toBe('15020');
    expect(out.metadata?.annotations?.['prometheus.io/path']).toBe('/stats/prometheus');
  });

  it('annotations the user already points at the status port are kept as written, also on re-injection', () => {
    const a = {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/mine',
    };
    const out = idempotent(pod({}, { name: 'app', annotations: a }), CLASSIC);
    expect(scrapeAnnotations(out)).toEqual(a);
  });
});
