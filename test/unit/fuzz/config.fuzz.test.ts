// The cluster-mode configuration under fuzzing: the `istio-sidecar-injector` ConfigMap's `values` (JSON)
// and `config` (YAML) and the `istio` ConfigMap's `mesh` (YAML), each a valid document broken at random
// places (values of other types, deleted keys, extra keys) or replaced by arbitrary text. The store keeps
// the last good configuration when building throws; a configuration that builds is served, so injecting
// with it must not throw either: an exception there denies every pod of the mesh (failurePolicy Fail)
// until someone fixes the ConfigMap.
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { stringify } from 'yaml';
import { buildFromConfigMaps } from '../../../webhook/config/configmaps';
import { injectPod } from '../../../inject';
import { defaultMeshConfig } from '../../../lib/istio/mesh';
import { defaultValues } from '../../../lib/istio/values';
import { brokenAt, type Json, nastyString, pod } from './arbitraries';
import { params, runs, timeoutFor } from './settings';

const values = defaultValues() as unknown as Json;
const mesh = defaultMeshConfig() as unknown as Json;
const injectorConfig: Json = {
  policy: 'enabled',
  alwaysInjectSelector: [],
  neverInjectSelector: [{ matchLabels: { skip: 'yes' } }],
  injectedAnnotations: { 'example.com/injected': 'true' },
  defaultTemplates: ['sidecar'],
};

const text = (doc: fc.Arbitrary<Json>, format: (v: Json) => string) =>
  fc.oneof({ weight: 5, arbitrary: doc.map(format) }, { weight: 1, arbitrary: nastyString });

describe('cluster configuration fuzz', () => {
  const n = runs(200, 0.25);
  it(
    'broken ConfigMaps either fail to build (last good kept) or inject without throwing',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          text(brokenAt(values, 2), (v) => JSON.stringify(v)),
          text(brokenAt(mesh, 2), (v) => stringify(v)),
          fc.option(
            text(brokenAt(injectorConfig, 2), (v) => stringify(v)),
            { nil: undefined },
          ),
          fc.array(pod, { minLength: 1, maxLength: 3 }),
          (valuesJson, meshYaml, injectorConfigYaml, pods) => {
            let cfg;
            try {
              cfg = buildFromConfigMaps({
                revision: 'default',
                injector: {
                  metadata: { name: 'istio-sidecar-injector' },
                  data: {
                    values: valuesJson,
                    ...(injectorConfigYaml !== undefined ? { config: injectorConfigYaml } : {}),
                  },
                },
                mesh: { metadata: { name: 'istio' }, data: { mesh: meshYaml } },
                nativeSidecars: 'auto',
              });
            } catch (err) {
              expect(err).toBeInstanceOf(Error); // the store logs it and keeps the last good configuration
              return;
            }
            accepted++;
            for (const { pod: p } of pods) {
              for (const admission of [true, false]) {
                let o;
                try {
                  o = injectPod({ pod: p, namespace: 'fuzz', admission }, cfg);
                } catch (err) {
                  throw new Error(`configuration accepted, but injecting threw: ${String(err)}`);
                }
                if (o.kind === 'injected')
                  expect(applyPatch(structuredClone(p), o.patch, true, false).newDocument).toEqual(o.pod);
              }
            }
          },
        ),
        params(n),
      );
      // Not vacuous: most broken documents still build (a wrong type deep inside parses fine).
      expect(accepted).toBeGreaterThan(n / 10);
    },
    timeoutFor(n, 30),
  );
});
