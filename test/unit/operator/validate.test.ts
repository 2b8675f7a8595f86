// Validation messages: each names the field and what is wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveSpec } from '../../../operator/api/resolve';
import type { IstioOperator } from '../../../operator/api/types';
import { parseIstioOperator, validateSpec } from '../../../operator/api/validate';
import { operatorRender } from './charts/operator-render';
import { REFERENCE } from './charts/parity-helpers';

jest.setTimeout(120_000);

/** One of istioctl's manifest-generate inputs, read at run time from the 1.30.3 reference. */
const readInput = (name: string): IstioOperator =>
  parse(
    readFileSync(join(REFERENCE, 'istio-1.30.3', 'manifest-generate', 'input', `${name}.yaml`), 'utf8'),
  ) as IstioOperator;

const errorsOf = (spec: unknown) => validateSpec(spec);

describe('validateSpec', () => {
  it('accepts the upstream manifest-generate inputs Meshwright supports', () => {
    for (const name of [
      'default',
      'minimal',
      'gateways',
      'pilot_k8s_settings',
      'pilot_override_kubernetes',
      'istio-cni',
    ]) {
      expect({ name, errors: errorsOf(readInput(name).spec) }).toEqual({ name, errors: [] });
    }
  });

  it('accepts the sidecarRollout extension, which rendering ignores', async () => {
    const sidecarRollout = { enabled: true, batchSize: 2, pauseSeconds: 10 };
    expect(errorsOf({ profile: 'minimal', sidecarRollout })).toEqual([]);
    const withRollout = await operatorRender({ profile: 'minimal', sidecarRollout });
    const without = await operatorRender({ profile: 'minimal' });
    expect(withRollout.components).toEqual(without.components);
    expect(withRollout.components.length).toBeGreaterThan(0);
  });

  it('reports unknown and unsupported profiles', () => {
    expect(errorsOf({ profile: 'nope' })).toEqual([
      expect.stringMatching(/^spec\.profile: unknown profile "nope"/),
    ]);
    expect(errorsOf({ profile: 'ambient' })).toEqual([
      expect.stringMatching(/profile "ambient" is not supported by Meshwright yet/),
    ]);
  });

  it('requires the revision to be a DNS-1123 label', () => {
    for (const bad of ['Canary', '1.30', '-x', 'a_b', 'x'.repeat(64)]) {
      expect(errorsOf({ revision: bad })).toEqual([
        expect.stringMatching(
          /^spec\.revision: .* is not a valid revision name: it must be a DNS-1123 label/,
        ),
      ]);
    }
    expect(errorsOf({ revision: '1-30-3' })).toEqual([]);
  });

  it('reports duplicate gateway names within a namespace, across ingress and egress', () => {
    expect(
      errorsOf({
        components: {
          ingressGateways: [{ name: 'gw' }, { name: 'gw', namespace: 'other' }],
          egressGateways: [{ name: 'gw' }],
        },
      }),
    ).toEqual([
      'spec.components.egressGateways[0].name: duplicate gateway name "gw" (also spec.components.ingressGateways[0])',
    ]);
  });

  it('reports unknown components, unknown fields and missing gateway names', () => {
    expect(errorsOf({ components: { policy: { enabled: true } } })).toEqual([
      expect.stringMatching(
        /^spec\.components\.policy: unknown component \(expected one of base, pilot, cni, ztunnel/,
      ),
    ]);
    expect(errorsOf({ componets: {} })).toEqual([
      expect.stringMatching(/^spec\.componets: unknown IstioOperator spec field/),
    ]);
    expect(errorsOf({ components: { pilot: { enable: true } } })).toEqual([
      expect.stringMatching(/^spec\.components\.pilot\.enable: unknown component field/),
    ]);
    expect(errorsOf({ components: { ingressGateways: [{ enabled: true }] } })).toEqual([
      'spec.components.ingressGateways[0].name: a gateway needs a name',
    ]);
  });

  it('reports the ztunnel component as unsupported only when enabled', () => {
    expect(errorsOf({ components: { ztunnel: { enabled: true } } })).toEqual([
      expect.stringMatching(
        /^spec\.components\.ztunnel: the ztunnel component \(ambient mode\) is not supported/,
      ),
    ]);
    expect(errorsOf({ components: { ztunnel: { enabled: false } } })).toEqual([]);
  });

  it('reports k8s settings of the wrong type', () => {
    const k8s = (settings: unknown) => errorsOf({ components: { pilot: { k8s: settings } } });
    expect(k8s({ replicaCount: 'two' })).toEqual([
      'spec.components.pilot.k8s.replicaCount: must be a non-negative integer, got "two"',
    ]);
    expect(k8s({ nodeSelector: { a: 1 } })).toEqual([
      'spec.components.pilot.k8s.nodeSelector: value of "a" must be a string, got a number',
    ]);
    expect(k8s({ env: { A: 'b' } })).toEqual(['spec.components.pilot.k8s.env: must be a list, got a object']);
    expect(k8s({ resources: { requests: { cpu: {} } } })).toEqual([
      'spec.components.pilot.k8s.resources.requests.cpu: must be a quantity, got a object',
    ]);
    expect(k8s({ imagePullPolicy: 'Sometimes' })).toEqual([
      expect.stringMatching(/imagePullPolicy: must be one of Always, IfNotPresent, Never/),
    ]);
    expect(k8s({ replicas: 2 })).toEqual([
      expect.stringMatching(/^spec\.components\.pilot\.k8s\.replicas: unknown k8s setting/),
    ]);
    expect(
      k8s({ hpaSpec: { metrics: [{ type: 'Object', object: { metricName: 'x', averageValue: 1 } }] } }),
    ).toEqual([
      expect.stringMatching(
        /^spec\.components\.pilot\.k8s\.hpaSpec\.metrics\[0\]\.object\.metricName: autoscaling\/v2beta1 form is not supported/,
      ),
    ]);
    expect(k8s({ overlays: [{ kind: 'Deployment', patches: [{ value: 1 }] }] })).toEqual([
      'spec.components.pilot.k8s.overlays[0].name: required',
      'spec.components.pilot.k8s.overlays[0].patches[0].path: required',
    ]);
  });

  it('allows only overlays in the base component k8s settings', () => {
    expect(errorsOf({ components: { base: { k8s: { replicaCount: 2, overlays: [] } } } })).toEqual([
      'spec.components.base.k8s.replicaCount: only overlays apply to the base component',
    ]);
  });

  it('requires the values sections the renderer reads to be maps', () => {
    expect(errorsOf({ values: { pilot: 3, global: [] } })).toEqual([
      'spec.values.global: must be an object, got a list',
      'spec.values.pilot: must be an object, got a number',
    ]);
  });

  it('rejects upstream invalid-k8s inputs (bad toleration fields) with the field path', () => {
    expect(errorsOf(readInput('invalid-k8s-values').spec)).toEqual([
      'spec.values.global.defaultTolerations[0].thats: unknown toleration field (expected one of key, operator, value, effect, tolerationSeconds)',
    ]);
    expect(errorsOf(readInput('invalid-k8s').spec)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^spec\.components\.ztunnel\.k8s\.tolerations\[0\]\.thats: unknown toleration field/,
        ),
      ]),
    );
  });
});

describe('parseIstioOperator and render', () => {
  it('checks apiVersion and kind', () => {
    expect(() => parseIstioOperator({ apiVersion: 'v1', kind: 'ConfigMap' })).toThrow(
      /apiVersion: must be install.istio.io\/v1alpha1, got "v1"[\s\S]*kind: must be IstioOperator, got "ConfigMap"/,
    );
  });

  it('lists every problem of the resolved spec, also those introduced by --set', () => {
    const spec = resolveSpec({}, ['revision=Bad_Rev', 'components.pilot.k8s.replicaCount=-1']);
    expect(errorsOf(spec)).toEqual([
      expect.stringMatching(/^spec\.revision: "Bad_Rev" is not a valid revision name/),
      'spec.components.pilot.k8s.replicaCount: must be a non-negative integer, got -1',
    ]);
  });
});
