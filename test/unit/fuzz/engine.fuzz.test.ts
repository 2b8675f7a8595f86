// Property tests of the pure injection engine over generated pods (test/unit/fuzz/arbitraries.ts):
// it never throws; never writes to its input (deep-frozen, so a write throws); an invalid value of a
// validated annotation always rejects the pod, naming the annotation; the JSON Patch, sent as JSON,
// applies to the input with fast-json-patch and yields exactly the engine's pod; the outcome is
// deterministic; and re-injecting the injected pod changes nothing (docs/injection.md: the status
// annotation names what is removed before injecting anew, so inject(inject(p)) == inject(p)).
// Also seeded with every pod of upstream's conformance inputs, with generated annotations on top.
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { applyPatch, type Operation } from 'fast-json-patch';
import { injectPod } from '../../../inject';
import type { InjectionConfig, InjectionOutcome } from '../../../inject/api';
import { config, podsOf, SUITE_DIR } from '../inject/fixtures';
import { annotations, apiserverShaped, pod } from './arbitraries';
import { params, runs, timeoutFor } from './settings';

const CONFIGS: { name: string; cfg: InjectionConfig }[] = [
  { name: 'default (native sidecars)', cfg: config() },
  { name: 'native disabled', cfg: config([], { nativeSidecars: 'disabled' }) },
  { name: 'cni', cfg: config([{ components: { cni: { enabled: true } } }]) },
  { name: 'revision canary', cfg: config([{ revision: 'canary' }], { revision: 'canary' }) },
  { name: 'openshift', cfg: config([], { platform: 'openshift', nativeSidecars: 'disabled' }) },
  {
    name: 'hold + tproxy mesh',
    cfg: config([
      {
        meshConfig: { defaultConfig: { holdApplicationUntilProxyStarts: true, interceptionMode: 'TPROXY' } },
        values: { global: { proxy: { resources: { requests: { cpu: '2000m', memory: '1024Mi' } } } } },
      },
    ]),
  },
  {
    name: 'policy disabled, default templates',
    cfg: config([
      {
        values: {
          global: { proxy: { autoInject: 'disabled' } },
          sidecarInjectorWebhook: { defaultTemplates: ['sidecar'] },
        },
      },
    ]),
  },
];

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The checks shared by both properties (throws on a failed one). */
function check(input: V1Pod, invalid: string[], cfg: InjectionConfig): void {
  const pristine = structuredClone(input);
  deepFreeze(input);
  let first: InjectionOutcome;
  try {
    first = injectPod({ pod: input, namespace: 'fuzz', admission: true }, cfg);
  } catch (err) {
    throw new Error(`injectPod threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  expect(input).toEqual(pristine);

  if (invalid.length > 0 && first.kind !== 'skipped') {
    expect(first.kind).toBe('rejected');
    if (first.kind === 'rejected') for (const key of invalid) expect(first.message).toContain(`'${key}'`);
  }

  const again = injectPod({ pod: input, namespace: 'fuzz', admission: true }, cfg);
  expect(json(again)).toEqual(json(first));

  if (first.kind !== 'injected') return;
  // Over the wire: the patch and the object are JSON; apply to a copy, validating every operation.
  const patch = json(first.patch) as Operation[];
  const patched = applyPatch(json(pristine), patch, true, false).newDocument;
  expect(patched).toEqual(json(first.pod));

  const second = reinject(first.pod, cfg);
  if (!carriesInjectionState(pristine)) {
    // A fresh pod: re-injection reproduces the first injection exactly, except for the one thing
    // upstream's re-injection drops as well (see withoutPrometheusEnv).
    expect(withoutPrometheusEnv(second)).toEqual(withoutPrometheusEnv(json(first.pod)));
  }
  // Already injected on input (possibly by an older injector, into the other container list, or with a
  // status that does not match the pod): the first injection may carry the old proxy over, as istiod
  // does; from then on injection is stable.
  expect(reinject(second, cfg)).toEqual(second);
}

/**
 * Whether the input carries state that only the injector writes: the status and overrides annotations.
 * For those pods only convergence (the second injection is stable) is required; docs/reliability.md.
 */
function carriesInjectionState(p: V1Pod): boolean {
  const a = p.metadata?.annotations ?? {};
  return 'sidecar.istio.io/status' in a || 'proxy.istio.io/overrides' in a;
}

function reinject(p: V1Pod, cfg: InjectionConfig): V1Pod {
  const o = injectPod({ pod: deepFreeze(json(p)), namespace: 'fuzz', admission: true }, cfg);
  expect(o.kind).toBe('injected');
  return o.kind === 'injected' ? json(o.pod) : p;
}

/**
 * ISTIO_PROMETHEUS_ANNOTATIONS hands the app's own prometheus.io/* settings to the agent. Upstream's
 * applyPrometheusMerge returns early when prometheus.io/port already is the status port ("assume ...
 * more likely, re-injected the pod"), and the old proxy carrying the variable was removed by the
 * re-injection, so istiod's re-injection drops it too; the engine does the same (docs/reliability.md).
 */
function withoutPrometheusEnv(p: V1Pod): V1Pod {
  const copy = json(p);
  for (const c of [...(copy.spec?.containers ?? []), ...(copy.spec?.initContainers ?? [])]) {
    if (c.name !== 'istio-proxy' || !c.env) continue;
    c.env = c.env.filter((e) => e.name !== 'ISTIO_PROMETHEUS_ANNOTATIONS');
  }
  return copy;
}

describe('injection engine fuzz', () => {
  const n = runs(300);
  it.each(CONFIGS.map((c) => [c.name, c.cfg] as const))(
    'generated pods, config %s: no throw, no mutation, rejects invalid annotations, patch round trip, idempotent',
    (_name, cfg) => {
      fc.assert(
        fc.property(pod, ({ pod: p, invalid }) => check(p, invalid, cfg)),
        params(Math.ceil(n / 2)),
      );
    },
    timeoutFor(n, 20),
  );

  // Upstream's conformance inputs as seeds: realistic pods (probes, named ports, existing injections,
  // user istio-proxy overrides) with generated annotations merged on top.
  const suitePods: V1Pod[] = readdirSync(SUITE_DIR)
    .filter(
      (f) =>
        f.endsWith('.yaml') && !f.endsWith('.iop.yaml') && !f.endsWith('.mesh.yaml') && f !== 'cases.yaml',
    )
    .flatMap((f) => {
      try {
        return podsOf(f);
      } catch {
        return []; // inputs that are not pods (values files and the like)
      }
    })
    .map((p) => apiserverShaped(p));

  it('has upstream pods to start from', () => {
    expect(suitePods.length).toBeGreaterThan(50);
  });

  it(
    'upstream pods with generated annotations: same properties',
    () => {
      fc.assert(
        fc.property(fc.nat(suitePods.length - 1), annotations, fc.nat(CONFIGS.length - 1), (i, a, ci) => {
          const base = suitePods[i];
          const p: V1Pod = {
            ...base,
            metadata: { ...base.metadata, annotations: { ...base.metadata?.annotations, ...a.annotations } },
          };
          check(apiserverShaped(p), a.invalid, CONFIGS[ci].cfg);
        }),
        params(n),
      );
    },
    timeoutFor(n, 20),
  );
});
