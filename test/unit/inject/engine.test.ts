import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { applyPatch } from 'fast-json-patch';
import { readdirSync } from 'node:fs';
import type { InjectionOutcome } from '../../../inject/api';
import { injectPod } from '../../../inject';
import { config, pod, podsOf, SUITE_DIR } from './fixtures';

const cfg = config();
const req = (p: V1Pod, namespace = 'default') => ({ pod: p, namespace, admission: true });

function injected(o: InjectionOutcome): V1Pod {
  if (o.kind !== 'injected') throw new Error(`expected injection, got ${JSON.stringify(o)}`);
  return o.pod;
}

const names = (cs: V1Container[] | undefined) => (cs ?? []).map((c) => c.name);

// Inputs that inject cleanly with the default config (no custom templates, no invalid annotations).
const inputs = readdirSync(SUITE_DIR).filter(
  (f) =>
    f.endsWith('.yaml') &&
    !f.includes('.iop.') &&
    !f.startsWith('traffic-annotations-bad') &&
    !['cases.yaml', 'custom-template.yaml', 'sidecar-spire.yaml', 'gateway-spire.yaml'].includes(f),
);

describe('injectPod on the suite inputs', () => {
  const pods = inputs.flatMap((f) => podsOf(f).map((p, i) => [`${f}#${i}`, p] as const));

  it('finds the inputs', () => {
    expect(pods.length).toBeGreaterThan(40);
  });

  // Pods injected before (by an older layout) are upgraded on their first pass; the property is for new pods.
  const fresh = pods.filter(([, p]) => !p.metadata?.annotations?.['sidecar.istio.io/status']);

  it.each(fresh)('%s: re-injection is idempotent', (_name, p) => {
    const o1 = injectPod(req(p), cfg);
    if (o1.kind !== 'injected') return expect(o1.kind).toBe('skipped');
    const o2 = injected(injectPod(req(o1.pod), cfg));
    expect(o2).toEqual(o1.pod);
  });

  it.each(pods)('%s: the input is not mutated and the patch reproduces the pod', (_name, p) => {
    const before = structuredClone(p);
    const o = injectPod(req(p), cfg);
    expect(p).toEqual(before);
    if (o.kind !== 'injected') return;
    const patched = applyPatch(structuredClone(p), o.patch, true, false).newDocument;
    expect(patched).toEqual(o.pod);
  });
});

describe('injectPod outcomes', () => {
  it('injects the classic sidecar shape', () => {
    const out = injected(injectPod(req(pod()), config([], { nativeSidecars: 'disabled' })));
    expect(names(out.spec?.initContainers)).toEqual(['istio-init']);
    expect(names(out.spec?.containers)).toEqual(['app', 'istio-proxy']);
    expect(out.metadata?.annotations?.['sidecar.istio.io/status']).toContain('"containers":["istio-proxy"]');
    expect(out.metadata?.labels?.['security.istio.io/tlsMode']).toBe('istio');
  });

  it('injects a native sidecar after istio-init and before the app init containers', () => {
    const p = pod({ initContainers: [{ name: 'setup', image: 'busybox' }] });
    const out = injected(injectPod(req(p), cfg));
    expect(names(out.spec?.initContainers)).toEqual(['istio-init', 'istio-proxy', 'setup']);
    expect(out.spec?.initContainers?.[1].restartPolicy).toBe('Always');
    expect(names(out.spec?.containers)).toEqual(['app']);
  });

  it('puts istio-init last among init containers without native sidecars', () => {
    const p = pod({ initContainers: [{ name: 'setup', image: 'busybox' }] });
    const out = injected(injectPod(req(p), config([], { nativeSidecars: 'disabled' })));
    expect(names(out.spec?.initContainers)).toEqual(['setup', 'istio-init']);
  });

  it('starts the proxy first with holdApplicationUntilProxyStarts', () => {
    const c = config([{ values: { global: { proxy: { holdApplicationUntilProxyStarts: true } } } }], {
      nativeSidecars: 'disabled',
    });
    const out = injected(injectPod(req(pod()), c));
    expect(names(out.spec?.containers)).toEqual(['istio-proxy', 'app']);
    expect(out.spec?.containers[0].lifecycle?.postStart?.exec?.command).toEqual(['pilot-agent', 'wait']);
  });

  it('uses istio-validation with CNI', () => {
    const out = injected(injectPod(req(pod()), config([{ components: { cni: { enabled: true } } }])));
    const v = out.spec?.initContainers?.[0];
    expect(v?.name).toBe('istio-validation');
    expect(v?.securityContext?.capabilities?.add).toBeUndefined();
    expect(v?.args).toContain('--run-validation');
  });

  it('skips host-network pods and explicit opt-outs, injecting nothing', () => {
    const host = injectPod(req(pod({ hostNetwork: true })), cfg);
    expect(host).toMatchObject({ kind: 'skipped' });
    const optOut = injectPod(
      req(pod({}, { name: 'a', labels: { 'sidecar.istio.io/inject': 'false' } })),
      cfg,
    );
    expect(optOut.kind).toBe('skipped');
  });

  it('names the workload in the kube-inject host-network warning', () => {
    const o = injectPod(
      {
        pod: pod({ hostNetwork: true }),
        namespace: 'sample',
        admission: false,
        owner: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      },
      cfg,
    );
    expect(o).toEqual({
      kind: 'skipped',
      reason: 'Skipping injection because Deployment "sample/web" has host networking enabled',
      pod: expect.anything(),
    });
  });

  it('rejects invalid annotations with the annotation named', () => {
    const p = pod({}, { name: 'a', annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '1,x' } });
    const o = injectPod(req(p), cfg);
    expect(o.kind).toBe('rejected');
    if (o.kind === 'rejected') expect(o.message).toContain('traffic.sidecar.istio.io/excludeInboundPorts');
  });

  it('rejects a request for an unknown template', () => {
    const p = pod({}, { name: 'a', annotations: { 'inject.istio.io/templates': 'nope' } });
    expect(injectPod(req(p), cfg).kind).toBe('rejected');
  });

  it('rewrites app probes and records the originals', () => {
    const p = pod({
      containers: [
        {
          name: 'app',
          image: 'app:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
          livenessProbe: { tcpSocket: { port: 8080 } },
        },
      ],
    });
    const out = injected(injectPod(req(p), cfg));
    const app = out.spec?.containers[0];
    expect(app?.readinessProbe?.httpGet).toEqual({ path: '/app-health/app/readyz', port: 15020 });
    expect(app?.livenessProbe).toEqual({ httpGet: { path: '/app-health/app/livez', port: 15020 } });
    const proxy = out.spec?.initContainers?.find((c) => c.name === 'istio-proxy');
    const env = proxy?.env?.find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS');
    expect(JSON.parse(env?.value ?? '{}')).toEqual({
      '/app-health/app/livez': { tcpSocket: { port: 8080 } },
      '/app-health/app/readyz': { httpGet: { path: '/ready', port: 8080 } },
    });
  });

  it('keeps user overrides of istio-proxy, image auto meaning the injected image', () => {
    const p = pod({
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: '3000m' } } },
      ],
    });
    const out = injected(injectPod(req(p), cfg));
    const proxy = out.spec?.initContainers?.find((c) => c.name === 'istio-proxy');
    expect(proxy?.image).toBe('registry.istio.io/testing/proxyv2:latest');
    expect(proxy?.resources?.limits).toEqual({ cpu: '3', memory: '1Gi' });
    expect(out.metadata?.annotations?.['proxy.istio.io/overrides']).toBe(
      '{"initContainers":[{"name":"istio-proxy","resources":{"limits":{"cpu":"3"}}}]}',
    );
    // The override survives a re-injection.
    expect(injected(injectPod(req(out), cfg))).toEqual(out);
  });

  it("leaves the app's own quantities as written (no patch noise) and canonicalizes the proxy's", () => {
    const p = pod({ containers: [{ name: 'app', image: 'app:1', resources: { limits: { cpu: '1000m' } } }] });
    const o = injectPod(req(p), cfg);
    const out = injected(o);
    expect(out.spec?.containers[0].resources?.limits?.cpu).toBe('1000m');
    expect(o.kind === 'injected' && o.patch.some((op) => op.path.startsWith('/spec/containers/0'))).toBe(
      false,
    );
    const proxy = out.spec?.initContainers?.find((c) => c.name === 'istio-proxy');
    expect(proxy?.resources?.limits).toEqual({ cpu: '2', memory: '1Gi' });
  });

  it('injects a pod with 1,000 env vars without touching them (its time is in the env-1000 benchmark)', () => {
    const env = Array.from({ length: 1000 }, (_, i) => ({ name: `VAR_${i}`, value: String(i) }));
    const p = pod({ containers: [{ name: 'app', image: 'app:1', env }] });
    const o = injectPod(req(p), cfg);
    const out = injected(o);
    expect(out.spec?.containers[0].env).toEqual(env);
    // The app's env list is matched by name, not rewritten: no operation reaches into it.
    expect(o.kind === 'injected' && o.patch.filter((op) => op.path.includes('/env'))).toEqual([]);
  });
});
