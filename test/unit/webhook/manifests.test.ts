// Checks the shipped MutatingWebhookConfiguration: the selector cases select exactly what istiod's do.
import { readFileSync } from 'fs';
import { join } from 'path';
import type { V1LabelSelector, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..', '..');
const mwc = parse(
  readFileSync(join(root, 'config/webhook/standalone/mutatingwebhookconfiguration.yaml'), 'utf8'),
) as V1MutatingWebhookConfiguration;
const webhooks = mwc.webhooks ?? [];

type Labels = Record<string, string>;

/** Kubernetes label selector semantics (matchLabels + In/NotIn/Exists/DoesNotExist). */
function matches(sel: V1LabelSelector | undefined, labels: Labels): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(labels[e.key])
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(labels[e.key])
          : e.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

function firing(namespace: string, nsLabels: Labels, podLabels: Labels): string[] {
  const ns = { 'kubernetes.io/metadata.name': namespace, ...nsLabels };
  return webhooks
    .filter((w) => matches(w.namespaceSelector, ns) && matches(w.objectSelector, podLabels))
    .map((w) => w.name.split('.sidecar-injector')[0]);
}

describe('config/webhook MutatingWebhookConfiguration', () => {
  it('has the four cases with the fixed upstream settings, pointing at the Service', () => {
    expect(webhooks.map((w) => w.name)).toEqual([
      'rev.namespace.sidecar-injector.meshwright.io',
      'rev.object.sidecar-injector.meshwright.io',
      'namespace.sidecar-injector.meshwright.io',
      'object.sidecar-injector.meshwright.io',
    ]);
    for (const w of webhooks) {
      expect(w).toMatchObject({
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        clientConfig: {
          service: { name: 'meshwright-webhook', namespace: 'meshwright-system', path: '/inject', port: 443 },
        },
      });
      expect(w.timeoutSeconds).toBeLessThanOrEqual(10);
      expect(w.rules).toEqual([
        {
          operations: ['CREATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods'],
          scope: 'Namespaced',
        },
      ]);
    }
  });

  it.each<[string, Labels, Labels, string[]]>([
    ['injection-enabled namespace', { 'istio-injection': 'enabled' }, {}, ['namespace']],
    [
      'injection-enabled namespace, pod opts out',
      { 'istio-injection': 'enabled' },
      { 'sidecar.istio.io/inject': 'false' },
      [],
    ],
    [
      'injection-disabled namespace',
      { 'istio-injection': 'disabled' },
      { 'sidecar.istio.io/inject': 'true' },
      [],
    ],
    ['namespace on the default revision', { 'istio.io/rev': 'default' }, {}, ['rev.namespace']],
    ['namespace on another revision', { 'istio.io/rev': 'canary' }, {}, []],
    [
      'both namespace labels: istio-injection wins',
      { 'istio-injection': 'enabled', 'istio.io/rev': 'default' },
      {},
      ['namespace'],
    ],
    ['unlabelled namespace', {}, {}, []],
    ['unlabelled namespace, pod inject=true', {}, { 'sidecar.istio.io/inject': 'true' }, ['object']],
    ['unlabelled namespace, pod rev=default', {}, { 'istio.io/rev': 'default' }, ['rev.object']],
    [
      'unlabelled namespace, pod inject=true and rev=canary',
      {},
      { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary' },
      [],
    ],
  ])('%s', (_what, nsLabels, podLabels, want) => {
    expect(firing('shop', nsLabels, podLabels)).toEqual(want);
  });

  it.each(['meshwright-system', 'kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'])(
    'never sends pods of %s',
    (ns) => {
      expect(firing(ns, { 'istio-injection': 'enabled' }, {})).toEqual([]);
      expect(firing(ns, {}, { 'sidecar.istio.io/inject': 'true' })).toEqual([]);
      expect(firing(ns, { 'istio.io/rev': 'default' }, {})).toEqual([]);
    },
  );
});
