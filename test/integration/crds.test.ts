// The CRDs against a real kube-apiserver: they install (the apiserver compiles the CEL rules and
// checks their cost), become Established and discoverable with the upstream names; the Istio
// examples of the seeds and the Bookinfo networking samples are accepted and stored without losing a
// field; valid IstioOperators (the default/demo/minimal profiles, the upstream profile files and
// istioctl's manifest-generate inputs) are accepted, and invalid ones are rejected with the CEL
// messages documented in docs/crds.md.
//
// The CRDs are applied server-side and left installed: they are cluster-wide, idempotent and may
// be used by other test files running against the same control plane.
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ISTIO_REF_DIR,
  REPO_ROOT,
  loadProjectCrds,
  loadUpstreamIstioCrds,
  parseYamlDocuments,
  type Crd,
} from '../unit/crds/crd-files';
import { bookinfoExamples, seedExamples, type Example } from '../unit/crds/examples';
import { createTestNamespace, deleteNamespace, kubeConfig, waitFor } from './support/cluster';
import { errorMessage } from '../../lib/errors';

// Installing and establishing 16 CRDs on a fresh, busy control plane takes longer than jest's 5 s.
jest.setTimeout(120_000);

const FIELD_MANAGER = 'meshwright-crd-test';
const IOP_API = 'install.istio.io/v1alpha1';

type Obj = KubernetesObject & { spec?: unknown; [k: string]: unknown };

/** The apiserver's Status message of a failed call (falls back to whatever the error carries). */
function errorText(err: unknown): string {
  const e = err as { body?: unknown };
  let body: unknown = e.body;
  if (typeof e.body === 'string') {
    const raw = e.body;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { message?: unknown }).message === 'string'
  ) {
    return (body as { message: string }).message;
  }
  return errorMessage(err);
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Recursively drops null members (the apiserver prunes them) so stored and sent specs compare. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)]),
    );
  }
  return v;
}

function conditionTrue(
  crd: { status?: { conditions?: { type: string; status: string }[] } },
  type: string,
): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

let kc: KubeConfig;
let objects: KubernetesObjectApi;
let namespace = '';
// Meshwright's own CRD, and the Istio API CRDs as the 1.30.3 release's base chart ships them (what the
// Base component installs), for the Istio examples below.
const RELEASE_CRDS = path.join(ISTIO_REF_DIR, 'charts/base/files/crd-all.gen.yaml');
const crdFiles = [
  ...loadProjectCrds(),
  ...loadUpstreamIstioCrds().map((crd) => ({ file: RELEASE_CRDS, crd })),
];
const crdApplyErrors: string[] = [];

async function apply<T extends Obj>(obj: T): Promise<T> {
  return objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

beforeAll(async () => {
  kc = kubeConfig();
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const crdClient = KubernetesObjectApi.makeApiClient(kc);
  // client-node serializes built-in kinds through its typed models: a plain object's
  // `x-kubernetes-*` keys would be dropped silently (the models call them xKubernetes...). loadAllYaml
  // deserializes into those models, so the CRDs are sent as written.
  for (const file of [...new Set(crdFiles.map((f) => f.file))]) {
    for (const crd of loadAllYaml(fs.readFileSync(path.resolve(REPO_ROOT, file), 'utf8')) as Obj[]) {
      try {
        await crdClient.patch(crd, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      } catch (err) {
        crdApplyErrors.push(`${file}: ${errorText(err)}`);
      }
    }
  }
  if (crdApplyErrors.length > 0) return;
  for (const { crd } of crdFiles) {
    await waitFor(
      async () => {
        const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
        return conditionTrue(got, 'Established') && conditionTrue(got, 'NamesAccepted');
      },
      60_000,
      `CRD ${crd.metadata.name} Established`,
    );
  }
  // Discovery lags a little behind Established; the object client resolves kinds through it.
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const { crd } of crdFiles) {
    for (const v of crd.spec.versions) {
      await waitFor(
        async () => {
          const list = await custom.getAPIResources({ group: crd.spec.group, version: v.name });
          return list.resources.some((r) => r.name === crd.spec.names.plural);
        },
        60_000,
        `discovery of ${crd.spec.group}/${v.name} ${crd.spec.names.plural}`,
      );
    }
  }
  objects = KubernetesObjectApi.makeApiClient(kc);
  namespace = await createTestNamespace('crds');
});

afterAll(async () => {
  if (namespace !== '') await deleteNamespace(namespace);
});

describe('CRD installation', () => {
  it("applies crds/ and the release's Istio CRDs server-side (schemas and CEL rules accepted by the apiserver)", () => {
    expect(crdApplyErrors).toEqual([]);
    expect(crdFiles.map((f) => f.crd.metadata.name)).toEqual(
      expect.arrayContaining(['istiooperators.install.istio.io', 'virtualservices.networking.istio.io']),
    );
  });

  it.each(crdFiles.map((f) => [f.crd.metadata.name, f.crd] as const))(
    '%s is discoverable with its names in every served version',
    async (_n, crd: Crd) => {
      const custom = kc.makeApiClient(CustomObjectsApi);
      for (const v of crd.spec.versions) {
        const list = await custom.getAPIResources({ group: crd.spec.group, version: v.name });
        const r = list.resources.find((x) => x.name === crd.spec.names.plural);
        expect(r).toBeDefined();
        expect(r?.kind).toBe(crd.spec.names.kind);
        expect(r?.namespaced).toBe(crd.spec.scope === 'Namespaced');
        expect([...(r?.shortNames ?? [])].sort()).toEqual([...(crd.spec.names.shortNames ?? [])].sort());
        expect([...(r?.categories ?? [])].sort()).toEqual([...(crd.spec.names.categories ?? [])].sort());
        expect(list.resources.some((x) => x.name === `${crd.spec.names.plural}/status`)).toBe(true);
      }
    },
  );
});

describe('Istio examples', () => {
  const examples: Example[] = [...seedExamples(), ...bookinfoExamples()];

  it('has examples to apply', () => {
    expect(examples.length).toBeGreaterThanOrEqual(25);
  });

  it.each(examples.map((e) => [`${e.source} ${e.object.kind}/${e.object.metadata.name}`, e] as const))(
    '%s is accepted and stored without losing fields',
    async (_label, e) => {
      const obj: Obj = { ...e.object, metadata: { ...e.object.metadata, namespace } };
      const applied = await apply(obj);
      expect(applied.metadata?.uid).toBeTruthy();
      const got = await objects.read<Obj>({
        apiVersion: obj.apiVersion ?? '',
        kind: obj.kind ?? '',
        metadata: { name: e.object.metadata.name, namespace },
      });
      expect(got.apiVersion).toBe(obj.apiVersion);
      expect(withoutNulls(got.spec)).toEqual(withoutNulls(obj.spec));
    },
  );
});

function iop(name: string, spec: Record<string, unknown>): Obj {
  return { apiVersion: IOP_API, kind: 'IstioOperator', metadata: { name, namespace }, spec };
}

/** Upstream IstioOperator manifests: the profile files and istioctl's manifest-generate inputs. */
function upstreamIops(): [string, Obj][] {
  const out: [string, Obj][] = [];
  for (const [dir, prefix] of [
    ['profiles', 'profile'],
    ['manifest-generate/input', 'mg'],
  ] as const) {
    const full = path.join(ISTIO_REF_DIR, dir);
    for (const f of fs
      .readdirSync(full)
      .filter((x) => x.endsWith('.yaml'))
      .sort()) {
      parseYamlDocuments(fs.readFileSync(path.join(full, f), 'utf8'), f).forEach((d, i) => {
        const doc = d as Obj;
        const name = `${prefix}-${f.replace(/\.yaml$/, '')}-${i}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
        out.push([`${dir}/${f}#${i}`, { ...doc, metadata: { name, namespace: '' } }]);
      });
    }
  }
  return out;
}

describe('IstioOperator validation', () => {
  it.each(['default', 'demo', 'minimal'])('accepts profile %s', async (profile) => {
    const got = await apply(
      iop(`valid-${profile}`, { profile, revision: 'canary-1', namespace: 'istio-system' }),
    );
    expect((got.spec as { profile?: string }).profile).toBe(profile);
  });

  it('accepts a full spec (gateways, k8s settings, sidecarRollout) and stores it unchanged', async () => {
    const spec = {
      profile: 'default',
      hub: 'registry.example/istio',
      tag: '1.30.3',
      components: {
        pilot: {
          enabled: true,
          k8s: {
            replicaCount: 2,
            hpaSpec: { minReplicas: 2, maxReplicas: 5 },
            resources: { requests: { cpu: '500m', memory: '2Gi' } },
            env: [{ name: 'PILOT_TRACE_SAMPLING', value: '1' }],
            podDisruptionBudget: { minAvailable: 1 },
            overlays: [
              {
                kind: 'Deployment',
                name: 'istiod',
                patches: [{ path: 'spec.template.spec.priorityClassName', value: 'high' }],
              },
            ],
          },
        },
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: true, k8s: { service: { type: 'NodePort' } } },
          { name: 'internal-gateway', enabled: true, namespace: 'gateways', label: { istio: 'internal' } },
        ],
        egressGateways: [{ name: 'istio-egressgateway', enabled: false }],
      },
      sidecarRollout: {
        enabled: true,
        batchSize: 3,
        pauseSeconds: 10,
        readyTimeoutSeconds: 300,
        maxUnavailable: '25%',
        namespaceSelector: { matchLabels: { rollout: 'auto' } },
      },
    };
    await apply(iop('valid-full', spec));
    const got = await objects.read<Obj>({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: 'valid-full', namespace },
    });
    expect(got.spec).toEqual(spec);
  });

  it('defaults sidecarRollout knobs when only enabled is set', async () => {
    const got = await apply(
      iop('rollout-defaults', { profile: 'minimal', sidecarRollout: { enabled: true } }),
    );
    expect((got.spec as { sidecarRollout?: unknown }).sidecarRollout).toEqual({
      enabled: true,
      batchSize: 5,
      pauseSeconds: 30,
      readyTimeoutSeconds: 600,
    });
  });

  it.each(upstreamIops())('accepts upstream %s unchanged', async (_label, doc) => {
    const obj = { ...doc, metadata: { ...doc.metadata, namespace } };
    await apply(obj);
    const got = await objects.read<Obj>({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: obj.metadata?.name ?? '', namespace },
    });
    expect(withoutNulls(got.spec ?? {})).toEqual(withoutNulls(obj.spec ?? {}));
  });

  const gw = (name: string): Record<string, unknown> => ({ name, enabled: true });
  // [what, spec, field the error must name, message it must carry]
  const rejected: [string, Record<string, unknown>, string, string][] = [
    [
      'an unknown profile',
      { profile: 'bogus' },
      'spec.profile',
      'unknown profile "bogus": use one of default, demo',
    ],
    [
      'a revision with upper case and underscore',
      { revision: 'Canary_1' },
      'spec.revision',
      'spec.revision must be a DNS-1123 label',
    ],
    [
      'a revision starting with a dash',
      { revision: '-canary' },
      'spec.revision',
      'spec.revision must be a DNS-1123 label',
    ],
    [
      'a revision longer than 63 characters',
      { revision: 'a'.repeat(64) },
      'spec.revision',
      'may not be more than 63',
    ],
    [
      'a namespace that is not a DNS-1123 label',
      { namespace: 'Istio_System' },
      'spec.namespace',
      'namespace must be a DNS-1123 label',
    ],
    [
      'duplicate ingress gateway names',
      {
        components: {
          ingressGateways: [gw('istio-ingressgateway'), gw('other'), gw('istio-ingressgateway')],
        },
      },
      'spec.components.ingressGateways',
      'ingress gateway names must be unique',
    ],
    [
      'duplicate egress gateway names',
      { components: { egressGateways: [gw('eg'), gw('eg')] } },
      'spec.components.egressGateways',
      'egress gateway names must be unique',
    ],
    [
      'a gateway name that is not a DNS-1123 label',
      { components: { ingressGateways: [gw('Ingress_GW')] } },
      'spec.components.ingressGateways[0].name',
      'gateway name must be a DNS-1123 label',
    ],
    [
      'a gateway without a name',
      { components: { ingressGateways: [{ enabled: true }] } },
      'spec.components.ingressGateways[0].name',
      'Required value',
    ],
    [
      'a negative replica count',
      { components: { pilot: { k8s: { replicaCount: -1 } } } },
      'spec.components.pilot.k8s.replicaCount',
      'replicaCount must be 0 or greater',
    ],
    [
      'an HPA with minReplicas above maxReplicas',
      {
        components: {
          ingressGateways: [{ name: 'gw', k8s: { hpaSpec: { minReplicas: 5, maxReplicas: 2 } } }],
        },
      },
      'spec.components.ingressGateways[0].k8s.hpaSpec',
      'hpaSpec.minReplicas must not be greater than hpaSpec.maxReplicas',
    ],
    [
      'a PodDisruptionBudget with both bounds',
      { components: { pilot: { k8s: { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } } } } },
      'spec.components.pilot.k8s.podDisruptionBudget',
      'podDisruptionBudget takes minAvailable or maxUnavailable, not both',
    ],
    [
      'a sidecarRollout batch size of 0',
      { sidecarRollout: { enabled: true, batchSize: 0 } },
      'spec.sidecarRollout.batchSize',
      'sidecarRollout.batchSize must be greater than 0',
    ],
    [
      'a negative sidecarRollout pause',
      { sidecarRollout: { pauseSeconds: -1 } },
      'spec.sidecarRollout.pauseSeconds',
      'sidecarRollout.pauseSeconds must be between 0 and 86400',
    ],
    [
      'a sidecarRollout maxUnavailable of 150%',
      { sidecarRollout: { maxUnavailable: '150%' } },
      'spec.sidecarRollout.maxUnavailable',
      'sidecarRollout.maxUnavailable must be a positive count or a percentage between 1% and 100%',
    ],
    ['a float image tag', { tag: 1.3 }, 'spec.tag', 'Invalid value'],
  ];

  it.each(rejected)('rejects %s', async (_what, spec, field, message) => {
    let caught: unknown;
    try {
      await apply(iop('invalid', spec));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeDefined();
    expect(statusCode(caught)).toBe(422);
    const text = errorText(caught);
    expect(text).toContain(`${field}:`);
    expect(text).toContain(message);
  });

  it('validates status written through the status subresource', async () => {
    await apply(iop('status-check', { profile: 'minimal' }));
    const custom = kc.makeApiClient(CustomObjectsApi);
    const target = {
      group: 'install.istio.io',
      version: 'v1alpha1',
      namespace,
      plural: 'istiooperators',
      name: 'status-check',
    };
    const status = {
      status: 'HEALTHY',
      observedGeneration: 1,
      componentStatus: { Base: { status: 'HEALTHY' }, Pilot: { status: 'HEALTHY', version: '1.30.3' } },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Reconciled',
          message: 'ok',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
      meshwright: { sidecarRollout: { phase: 'Idle' }, anything: ['kept'] },
    };
    await custom.patchNamespacedCustomObjectStatus({
      ...target,
      body: [{ op: 'add', path: '/status', value: status }],
    });
    const got = await objects.read<Obj>({
      apiVersion: IOP_API,
      kind: 'IstioOperator',
      metadata: { name: 'status-check', namespace },
    });
    expect(got.status).toEqual(status);

    let caught: unknown;
    try {
      await custom.patchNamespacedCustomObjectStatus({
        ...target,
        body: [{ op: 'replace', path: '/status/status', value: 'GREAT' }],
      });
    } catch (err) {
      caught = err;
    }
    expect(statusCode(caught)).toBe(422);
    expect(errorText(caught)).toContain('GREAT');
  });
});
