// config/ against a real kube-apiserver: config/default and config/self-signed are rendered with the pinned
// kustomize and every object is applied server-side as a DRY RUN (the apiserver validates and admits it,
// nothing is stored). cert-manager's kinds cannot be dry-run here (its CRDs are not available offline), so
// their shape and their references to the rest of the config are checked instead. RBAC must hold no
// wildcards and must cover exactly what the operator's renderer emits; the real authorizer is asked about
// the operator's rights through SubjectAccessReviews; the Deployments' pod templates must pass the
// `restricted` Pod Security level, enforced by the apiserver's own admission; the container args must
// parse with the binaries' own flag parsers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { webhookOptionsFromFlags } from '../../cli/webhook';
import { parseOperatorFlags } from '../../cli/operator';
import { LEASE_NAME } from '../../operator/controller/manager';
import { MANAGED_KINDS } from '../../operator/render/gvk';
import { Kube, parseYamlStream, type Obj } from '../../hack/demo/kube';
import { chartRender } from './support/chart-render';
import { createTestNamespace, deleteNamespace, kubeConfig, uniqueName, waitFor } from './support/cluster';

const root = join(__dirname, '..', '..');
const CERT_MANAGER_GROUP = 'cert-manager.io';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Container {
  name: string;
  args?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName?: string } }[];
  affinity?: { podAntiAffinity?: unknown };
}

const groupOf = (o: Obj) => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : '');
const find = (objs: Obj[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata?.name === name);
const must = (objs: Obj[], kind: string, name: string): Obj => {
  const o = find(objs, kind, name);
  if (!o) throw new Error(`${kind}/${name} is not in the rendered config`);
  return o;
};
const podSpec = (d: Obj) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const rulesOf = (o: Obj) => (o.rules as PolicyRule[] | undefined) ?? [];

function kustomizeBinary(): string {
  const r = spawnSync('bash', [join(root, 'hack/build-kustomize.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hack/build-kustomize.sh failed: ${r.stderr}`);
  return r.stdout.trim();
}

function render(kustomize: string, dir: string): Obj[] {
  const r = spawnSync(kustomize, ['build', join(root, dir)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kustomize build ${dir}: ${r.stderr}`);
  return parseYamlStream(r.stdout, dir);
}

/** Moves the objects into the test's own namespaces, so dry runs need no meshwright-system/istio-system. */
function relocate(o: Obj, namespaces: Record<string, string>): Obj {
  const copy = JSON.parse(JSON.stringify(o)) as Obj;
  const ns = copy.metadata?.namespace;
  if (copy.metadata && ns && namespaces[ns]) copy.metadata.namespace = namespaces[ns];
  for (const s of (copy.subjects as { namespace?: string }[] | undefined) ?? [])
    if (s.namespace && namespaces[s.namespace]) s.namespace = namespaces[s.namespace];
  return copy;
}

/** Whether a rule set allows verb on group/resource (optionally a named object). */
function allows(rules: PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      r.verbs.includes(verb) &&
      (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))),
  );
}

let kube: Kube;
let defaultObjs: Obj[];
let selfSignedObjs: Obj[];

beforeAll(() => {
  kube = new Kube(kubeConfig());
  const kustomize = kustomizeBinary();
  defaultObjs = render(kustomize, 'config/default');
  selfSignedObjs = render(kustomize, 'config/self-signed');
}, 300_000);

describe('config/crd', () => {
  it.each(['istiooperator.yaml', 'istiorevisiontag.yaml'])(
    'holds an exact copy of crds/%s (run `make config-crds` after changing crds/)',
    (file) => {
      expect(readFileSync(join(root, 'config/crd/bases', file), 'utf8')).toBe(
        readFileSync(join(root, 'crds', file), 'utf8'),
      );
    },
  );

  it("renders Meshwright's own CRDs only (the Istio API CRDs belong to the Base component)", () => {
    const crds = defaultObjs
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata?.name);
    expect(crds.sort()).toEqual(['istiooperators.install.istio.io', 'istiorevisiontags.meshwright.io']);
  });
});

describe('config/default on the apiserver (server-side apply, dry run)', () => {
  const scratch: string[] = [];
  afterAll(async () => {
    for (const ns of scratch) await deleteNamespace(ns);
  });

  it('accepts every object that is not a cert-manager kind', async () => {
    const namespaces = {
      'meshwright-system': await createTestNamespace('cfg-mw'),
      'istio-system': await createTestNamespace('cfg-istio'),
    };
    scratch.push(...Object.values(namespaces));
    const candidates = defaultObjs.filter((o) => groupOf(o) !== CERT_MANAGER_GROUP);
    expect(candidates.length).toBeGreaterThanOrEqual(15);
    const failures: string[] = [];
    for (const o of candidates) {
      const obj = o.kind === 'Namespace' ? o : relocate(o, namespaces);
      try {
        const out = await kube.apply(obj, undefined, true);
        expect(out.kind).toBe(o.kind);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    expect(failures).toEqual([]);
  });

  it('admits both pod templates under the `restricted` Pod Security level (enforced by the apiserver)', async () => {
    const ns = await createTestNamespace('cfg-psa', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    scratch.push(ns);
    for (const name of ['meshwright-operator', 'meshwright-webhook']) {
      const spec = { ...podSpec(must(defaultObjs, 'Deployment', name)), serviceAccountName: 'default' };
      const pod: Obj = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: uniqueName('psa'), namespace: ns },
        spec,
      };
      const created = await kube.create(pod, true);
      expect(created.metadata?.namespace).toBe(ns);
    }
    // The check is real: the same template with privilege escalation allowed is refused.
    const spec = podSpec(must(defaultObjs, 'Deployment', 'meshwright-webhook'));
    const bad = {
      ...spec,
      serviceAccountName: 'default',
      containers: spec.containers.map((c) => ({
        ...c,
        securityContext: { ...c.securityContext, allowPrivilegeEscalation: true },
      })),
    };
    await expect(
      kube.create(
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: ns }, spec: bad },
        true,
      ),
    ).rejects.toThrow(/allowPrivilegeEscalation/);
  });

  it('accepts the sample IstioOperators once the CRD is installed', async () => {
    const crd = must(defaultObjs, 'CustomResourceDefinition', 'istiooperators.install.istio.io');
    await kube.apply(crd);
    await waitFor(
      async () => {
        const live = await kube.get(
          'apiextensions.k8s.io/v1',
          'CustomResourceDefinition',
          crd.metadata?.name ?? '',
        );
        const conds = (live?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
        return conds.some((c) => c.type === 'Established' && c.status === 'True');
      },
      60_000,
      'IstioOperator CRD established',
    );
    const ns = await createTestNamespace('cfg-samples');
    scratch.push(ns);
    const samples = parseYamlStream(
      spawnSync(kustomizeBinary(), ['build', join(root, 'config/samples')], { encoding: 'utf8' }).stdout,
      'config/samples',
    );
    expect(samples.map((s) => (s.spec as { profile?: string }).profile).sort()).toEqual([
      'default',
      'demo',
      'minimal',
    ]);
    for (const s of samples) {
      const out = await kube.apply({ ...s, metadata: { ...s.metadata, namespace: ns } }, undefined, true);
      expect((out.spec as { profile?: string }).profile).toBe((s.spec as { profile?: string }).profile);
    }
  });
});

describe('cert-manager objects (shape and references; not dry-run: no cert-manager CRDs offline)', () => {
  const cm = () => defaultObjs.filter((o) => groupOf(o) === CERT_MANAGER_GROUP);

  it('are Issuers and Certificates of cert-manager.io/v1 in meshwright-system', () => {
    expect(cm().length).toBe(4);
    for (const o of cm()) {
      expect(o.apiVersion).toBe('cert-manager.io/v1');
      expect(['Issuer', 'Certificate']).toContain(o.kind);
      expect(o.metadata?.namespace).toBe('meshwright-system');
    }
  });

  it('issue the Secret the webhook mounts, for the Service it is called through, with the CA injected', () => {
    const issuers = new Map(
      cm()
        .filter((o) => o.kind === 'Issuer')
        .map((o) => [o.metadata?.name, o]),
    );
    const certs = cm().filter((o) => o.kind === 'Certificate');
    for (const c of certs) {
      const spec = c.spec as { secretName?: string; issuerRef?: { name?: string; kind?: string } };
      expect(spec.secretName).toMatch(/^meshwright-/);
      expect(spec.issuerRef?.kind).toBe('Issuer');
      expect(issuers.has(spec.issuerRef?.name)).toBe(true);
    }
    // The CA Issuer signs with the CA Certificate's Secret.
    const caIssuer = [...issuers.values()].find((i) => (i.spec as { ca?: unknown }).ca);
    const caSecret = (caIssuer?.spec as { ca: { secretName: string } }).ca.secretName;
    const caCert = certs.find((c) => (c.spec as { isCA?: boolean }).isCA);
    expect((caCert?.spec as { secretName: string }).secretName).toBe(caSecret);

    const webhook = podSpec(must(defaultObjs, 'Deployment', 'meshwright-webhook'));
    const mounted = webhook.volumes?.find((v) => v.name === 'tls')?.secret?.secretName;
    const serving = certs.find((c) => (c.spec as { secretName: string }).secretName === mounted);
    expect(serving).toBeDefined();
    const svc = must(defaultObjs, 'Service', 'meshwright-webhook');
    const host = `${svc.metadata?.name}.${svc.metadata?.namespace}.svc`;
    expect((serving?.spec as { dnsNames: string[] }).dnsNames).toContain(host);

    // The operator installs the injection webhooks pointing at that Service, annotated for cert-manager's
    // CA injector with the serving Certificate; there is no static MutatingWebhookConfiguration.
    expect(defaultObjs.filter((o) => o.kind === 'MutatingWebhookConfiguration')).toEqual([]);
    const [, ...args] =
      podSpec(must(defaultObjs, 'Deployment', 'meshwright-operator')).containers[0]?.args ?? [];
    const port = (svc.spec as { ports: { name: string; port: number }[] }).ports.find(
      (p) => p.name === 'https-webhook',
    )?.port;
    expect(parseOperatorFlags(args, { POD_NAMESPACE: 'meshwright-system' })).toMatchObject({
      injection: {
        target: { service: { name: svc.metadata?.name, namespace: svc.metadata?.namespace, port } },
        caFrom: `${serving?.metadata?.namespace}/${serving?.metadata?.name}`,
      },
    });
  });
});

describe('config/self-signed', () => {
  it('is config/default without cert-manager, the webhook running --self-signed', () => {
    const key = (o: Obj) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    const withoutCm = defaultObjs.filter((o) => groupOf(o) !== CERT_MANAGER_GROUP).map(key);
    expect(selfSignedObjs.map(key).sort()).toEqual(withoutCm.sort());
    // The operator still installs the injection webhooks, without cert-manager's annotation: the
    // self-signed webhook fills their caBundle (label meshwright.io/injection-webhook=true).
    const [, ...args] =
      podSpec(must(selfSignedObjs, 'Deployment', 'meshwright-operator')).containers[0]?.args ?? [];
    const opts = parseOperatorFlags(args, { POD_NAMESPACE: 'meshwright-system' });
    expect(opts).toMatchObject({
      injection: { target: { service: { name: 'meshwright-webhook', namespace: 'meshwright-system' } } },
    });
    expect((opts as { injection?: { caFrom?: string } }).injection?.caFrom).toBeUndefined();
    expect(podSpec(must(selfSignedObjs, 'Deployment', 'meshwright-webhook')).containers[0]?.args).toContain(
      '--self-signed',
    );
  });
});

describe('RBAC', () => {
  const roles = () => defaultObjs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');

  it('has no wildcards anywhere', () => {
    expect(roles().length).toBeGreaterThanOrEqual(5);
    for (const r of roles())
      for (const rule of rulesOf(r))
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'] as const)
          expect({ role: r.metadata?.name, field, values: rule[field] ?? [] }).toEqual(
            expect.objectContaining({ values: expect.not.arrayContaining(['*']) }),
          );
  });

  it('lets the operator manage exactly the kinds operator/render emits', () => {
    const rules = rulesOf(must(defaultObjs, 'ClusterRole', 'meshwright-operator'));
    for (const k of MANAGED_KINDS)
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
        expect({ kind: k.kind, verb, allowed: allows(rules, k.group, k.plural, verb) }).toMatchObject({
          allowed: true,
        });
    const managed = new Set(MANAGED_KINDS.map((k) => `${k.group}/${k.plural}`));
    const extra = new Set([
      'install.istio.io/istiooperators',
      'install.istio.io/istiooperators/status',
      'install.istio.io/istiooperators/finalizers',
      'meshwright.io/istiorevisiontags',
      'meshwright.io/istiorevisiontags/status',
      '/namespaces',
      '/events',
    ]);
    for (const rule of rules)
      for (const g of rule.apiGroups ?? [])
        for (const r of rule.resources ?? [])
          expect({
            resource: `${g}/${r}`,
            known: managed.has(`${g}/${r}`) || extra.has(`${g}/${r}`),
          }).toMatchObject({ known: true });
    expect(allows(rules, 'install.istio.io', 'istiooperators', 'watch')).toBe(true);
    expect(allows(rules, 'install.istio.io', 'istiooperators/status', 'patch')).toBe(true);
    expect(allows(rules, 'install.istio.io', 'istiooperators/finalizers', 'update')).toBe(true);
    expect(allows(rules, '', 'events', 'create')).toBe(true);
    expect(allows(rules, '', 'namespaces', 'delete')).toBe(false);
    // escalate/bind only where istiod's RBAC needs them.
    const escalating = rules.filter((r) => r.verbs.some((v) => v === 'escalate' || v === 'bind'));
    expect(escalating.flatMap((r) => r.resources ?? []).sort()).toEqual(['clusterroles', 'roles']);
  });

  it('gives the operator its leader Lease only, in its own namespace', () => {
    const role = must(defaultObjs, 'Role', 'meshwright-operator-leader-election');
    expect(role.metadata?.namespace).toBe('meshwright-system');
    expect(allows(rulesOf(role), 'coordination.k8s.io', 'leases', 'update', LEASE_NAME)).toBe(true);
    expect(allows(rulesOf(role), 'coordination.k8s.io', 'leases', 'update', 'someone-else')).toBe(false);
  });

  it('keeps the webhook read-only apart from its own Secret and the injection webhooks caBundle', () => {
    const cluster = rulesOf(must(defaultObjs, 'ClusterRole', 'meshwright-webhook'));
    expect(allows(cluster, '', 'nodes', 'watch')).toBe(true);
    expect(allows(cluster, '', 'namespaces', 'watch')).toBe(true);
    // --self-signed lists the operator's labelled injection webhooks (names vary by revision and tag)
    // and updates their caBundle; it never creates, patches, deletes or watches them.
    const mwcs = 'mutatingwebhookconfigurations';
    const group = 'admissionregistration.k8s.io';
    expect(allows(cluster, group, mwcs, 'list')).toBe(true);
    expect(allows(cluster, group, mwcs, 'update', 'istio-revision-tag-prod')).toBe(true);
    for (const verb of ['get', 'watch', 'create', 'patch', 'delete', 'deletecollection'])
      expect({ verb, allowed: allows(cluster, group, mwcs, verb, 'istio-sidecar-injector') }).toEqual({
        verb,
        allowed: false,
      });
    expect(allows(cluster, group, 'validatingwebhookconfigurations', 'update', 'istio-validator')).toBe(
      false,
    );
    const clusterWide = cluster.flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).map((x) => `${g}/${x}`)),
    );
    expect([...new Set(clusterWide)].sort()).toEqual(['/namespaces', '/nodes', `${group}/${mwcs}`]);
    const config = must(defaultObjs, 'Role', 'meshwright-webhook-istio-config');
    expect(config.metadata?.namespace).toBe('istio-system');
    expect(
      rulesOf(config)
        .flatMap((r) => r.verbs)
        .sort(),
    ).toEqual(['get', 'list', 'watch']);
  });

  it('binds each ServiceAccount the Deployments run as, in meshwright-system', () => {
    const bindings = defaultObjs.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    for (const name of ['meshwright-operator', 'meshwright-webhook']) {
      expect(podSpec(must(defaultObjs, 'Deployment', name)).serviceAccountName).toBe(name);
      expect(must(defaultObjs, 'ServiceAccount', name).metadata?.namespace).toBe('meshwright-system');
      const subjects = bindings.flatMap((b) => (b.subjects as { name: string; namespace: string }[]) ?? []);
      expect(subjects).toContainEqual(expect.objectContaining({ name, namespace: 'meshwright-system' }));
    }
  });

  it('is what the apiserver authorizes for the operator: SubjectAccessReviews, and the rendered demo profile applied as the operator', async () => {
    const id = uniqueName('cfg-op');
    const ns = await createTestNamespace('cfg-sar');
    const role = must(defaultObjs, 'ClusterRole', 'meshwright-operator');
    await kube.apply({ ...role, metadata: { name: id } });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: id },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: id },
      subjects: [{ kind: 'ServiceAccount', name: id, namespace: ns }],
    });
    const user = `system:serviceaccount:${ns}:${id}`;
    const authz = kubeConfig().makeApiClient(AuthorizationV1Api);
    const can = async (group: string, resource: string, verb: string) =>
      (
        await authz.createSubjectAccessReview({
          body: {
            spec: {
              user,
              groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
              resourceAttributes: { group, resource, verb, namespace: 'istio-system' },
            },
          },
        })
      ).status?.allowed === true;
    try {
      await waitFor(async () => can('apps', 'deployments', 'patch'), 30_000, 'RBAC to take effect');
      expect(await can('rbac.authorization.k8s.io', 'clusterroles', 'escalate')).toBe(true);
      expect(await can('install.istio.io', 'istiooperators', 'list')).toBe(true);
      expect(await can('', 'secrets', 'get')).toBe(false);
      expect(await can('', 'pods', 'create')).toBe(false);
      expect(await can('apps', 'deployments', 'deletecollection')).toBe(false);

      // Everything the renderer produces for the demo profile, server-side applied (dry run) AS the
      // operator: istiod's ClusterRoles go through only because of escalate/bind.
      const iop = parseYamlStream(
        readFileSync(join(root, 'config/samples/install_v1alpha1_istiooperator_demo.yaml'), 'utf8'),
        'demo sample',
      )[0];
      // The operator's own render: the 1.30.3 release's charts through helm.
      const outcome = await chartRender()(iop);
      if (!outcome.ok) throw new Error(`render failed: ${outcome.message}`);
      const rendered = outcome.desired.components.flatMap((c) => c.objects) as unknown as Obj[];
      expect(rendered.some((o) => o.kind === 'ClusterRole')).toBe(true);
      const target = await createTestNamespace('cfg-render');
      const asOperator = new Kube(kubeConfig(), user);
      const failures: string[] = [];
      for (const o of rendered) {
        const obj = o.metadata?.namespace ? relocate(o, { [o.metadata.namespace]: target }) : o;
        await asOperator.apply(obj, undefined, true).catch((err: Error) => failures.push(err.message));
      }
      await deleteNamespace(target);
      expect(failures).toEqual([]);
      // ... and the same operator may not touch what it does not manage.
      await expect(
        asOperator.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'x', namespace: ns },
            stringData: { a: 'b' },
          },
          undefined,
          true,
        ),
      ).rejects.toThrow(/forbidden/);
    } finally {
      await kube.delete('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', id);
      await kube.delete('rbac.authorization.k8s.io/v1', 'ClusterRole', id);
      await deleteNamespace(ns);
    }
    // Rendering the demo profile with helm and applying it as the operator takes longer than jest's 5 s.
  }, 120_000);
});

describe('Deployments', () => {
  it('run the one image, non-root and read-only, without privilege, with requests, limits and probes', () => {
    for (const name of ['meshwright-operator', 'meshwright-webhook']) {
      const spec = podSpec(must(defaultObjs, 'Deployment', name));
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(c.readinessProbe).toBeDefined();
        expect(c.livenessProbe).toBeDefined();
      }
    }
  });

  it('keep two webhook replicas apart and a PodDisruptionBudget over them', () => {
    const d = must(defaultObjs, 'Deployment', 'meshwright-webhook');
    expect((d.spec as { replicas: number }).replicas).toBe(2);
    expect(podSpec(d).affinity?.podAntiAffinity).toBeDefined();
    const pdb = must(defaultObjs, 'PodDisruptionBudget', 'meshwright-webhook');
    const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
      .metadata.labels;
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> }; minAvailable: number })
      .selector.matchLabels;
    for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    expect((pdb.spec as { minAvailable: number }).minAvailable).toBe(1);
  });

  it('pass arguments the binaries accept', () => {
    const env = { POD_NAMESPACE: 'meshwright-system' };
    for (const objs of [defaultObjs, selfSignedObjs]) {
      const [cmd, ...args] =
        podSpec(must(objs, 'Deployment', 'meshwright-webhook')).containers[0]?.args ?? [];
      expect(cmd).toBe('webhook');
      const opts = webhookOptionsFromFlags(args, env);
      expect(opts).not.toBe('help');
    }
    const [cmd, ...args] =
      podSpec(must(defaultObjs, 'Deployment', 'meshwright-operator')).containers[0]?.args ?? [];
    expect(cmd).toBe('operator');
    const opts = parseOperatorFlags(args, env);
    expect(opts).toMatchObject({ leaderElect: true, leaderElectionNamespace: 'meshwright-system' });
  });
});
