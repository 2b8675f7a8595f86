// charts/meshwright against config/ and the real apiserver. The chart is rendered with the pinned Helm
// (hack/build-helm.sh) and config/default and config/self-signed with the pinned kustomize; the two must
// install the same objects (kinds, names, namespaces) with the same content: RBAC rules, container
// args, env, probes and securityContext, webhook rules and selectors, cert-manager objects. The only
// differences allowed are the ones docs/deploy.md lists (Helm's own labels, an explicit imagePullPolicy,
// the CRD's keep policy). Values are checked to take effect (and to be refused with the field named
// when invalid), and every rendered object that is not a cert-manager kind is applied server-side as a
// DRY RUN to the local control plane (cert-manager's CRDs are not available offline).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseOperatorFlags } from '../../cli/operator';
import { webhookOptionsFromFlags } from '../../cli/webhook';
import { Kube, parseYamlStream, type Obj } from '../../hack/demo/kube';
import { createTestNamespace, deleteNamespace, kubeConfig } from './support/cluster';
import { errorMessage } from '../../lib/errors';

const root = join(__dirname, '..', '..');
const CHART = join(root, 'charts', 'meshwright');
const CERT_MANAGER_GROUP = 'cert-manager.io';
// Labels Helm adds that kustomize cannot (and kustomize's managed-by, which names the tool).
const TOOL_LABELS = ['app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'helm.sh/chart'];

interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  resources?: unknown;
  securityContext?: unknown;
}
interface PodSpec {
  containers: Container[];
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: unknown;
}

function tool(script: string): string {
  const r = spawnSync('bash', [join(root, 'hack', script)], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim())
    throw new Error(
      `hack/${script} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  return r.stdout.trim();
}

let helm = '';
let kustomize = '';

function helmTemplate(namespace: string, sets: string[]): { code: number; objs: Obj[]; stderr: string } {
  const args = ['template', 'meshwright', CHART, '--namespace', namespace];
  for (const s of sets) args.push('--set', s);
  const r = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return {
    code: r.status ?? -1,
    objs: r.status === 0 ? parseYamlStream(r.stdout, 'helm template') : [],
    stderr: r.stderr,
  };
}

function chart(namespace: string, sets: string[] = []): Obj[] {
  const r = helmTemplate(namespace, sets);
  if (r.code !== 0) throw new Error(`helm template ${sets.join(' ')}: ${r.stderr}`);
  return r.objs;
}

function kustomizeBuild(dir: string): Obj[] {
  const r = spawnSync(kustomize, ['build', join(root, dir)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kustomize build ${dir}: ${r.stderr}`);
  return parseYamlStream(r.stdout, dir);
}

const keyOf = (o: Obj) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const byKey = (objs: Obj[]) => new Map(objs.map((o) => [keyOf(o), o]));
const must = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} is not rendered`);
  return o;
};
const podSpec = (d: Obj) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const groupOf = (o: Obj) => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : '');

/** The documented differences taken out, so what remains must be equal. */
function normalize(o: Obj, fromChart: boolean): Obj {
  const c = JSON.parse(JSON.stringify(o)) as Obj;
  const labels = c.metadata?.labels;
  if (labels) for (const l of TOOL_LABELS) delete labels[l];
  if (fromChart) {
    const ann = c.metadata?.annotations;
    if (o.kind === 'CustomResourceDefinition' && ann) {
      expect(ann['helm.sh/resource-policy']).toBe('keep');
      delete ann['helm.sh/resource-policy'];
      if (Object.keys(ann).length === 0) delete c.metadata!.annotations;
    }
    if (o.kind === 'Deployment') {
      for (const ct of podSpec(c).containers) {
        // Kubernetes's own default for a tagged image; the chart states it so it can be overridden.
        expect(ct.imagePullPolicy).toBe('IfNotPresent');
        delete ct.imagePullPolicy;
      }
    }
  }
  return c;
}

/** Paths where two objects differ (for a readable failure). */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  )
    return [`${at || '.'}: chart ${JSON.stringify(a)} vs config ${JSON.stringify(b)}`];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`),
  );
}

let chartDefault: Obj[];
let configDefault: Obj[];
let chartSelfSigned: Obj[];
let configSelfSigned: Obj[];

beforeAll(() => {
  // Both tools are pinned and built from the Go module proxy; a missing one fails the suite, never skips it.
  helm = tool('build-helm.sh');
  kustomize = tool('build-kustomize.sh');
  chartDefault = chart('meshwright-system', ['namespace.create=true']);
  chartSelfSigned = chart('meshwright-system', ['namespace.create=true', 'tls.mode=self-signed']);
  configDefault = kustomizeBuild('config/default');
  configSelfSigned = kustomizeBuild('config/self-signed');
}, 600_000);

describe.each([
  ['cert-manager', 'config/default', () => [chartDefault, configDefault] as const],
  ['self-signed', 'config/self-signed', () => [chartSelfSigned, configSelfSigned] as const],
])('chart with tls.mode=%s vs %s', (_mode, _dir, pair) => {
  it('installs the same kinds, names and namespaces', () => {
    const [fromChart, fromConfig] = pair();
    expect(fromConfig.length).toBeGreaterThanOrEqual(18);
    expect(fromChart.map(keyOf).sort()).toEqual(fromConfig.map(keyOf).sort());
  });

  it('has the same RBAC rules and subjects', () => {
    const [fromChart, fromConfig] = pair();
    const c = byKey(fromChart);
    const rbac = fromConfig.filter((o) => /^(Cluster)?Role(Binding)?$/.test(o.kind ?? ''));
    expect(rbac.length).toBe(12);
    for (const o of rbac) {
      const mine = c.get(keyOf(o))!;
      expect({ key: keyOf(o), rules: mine.rules, subjects: mine.subjects, roleRef: mine.roleRef }).toEqual({
        key: keyOf(o),
        rules: o.rules,
        subjects: o.subjects,
        roleRef: o.roleRef,
      });
    }
  });

  it('has the same container command, args, env and securityContext, and both parse with the binaries own flags', () => {
    const [fromChart, fromConfig] = pair();
    for (const name of ['meshwright-operator', 'meshwright-webhook']) {
      const mine = podSpec(must(fromChart, 'Deployment', name));
      const theirs = podSpec(must(fromConfig, 'Deployment', name));
      expect(
        mine.containers.map((x) => [x.name, x.image, x.command, x.args, x.env, x.securityContext]),
      ).toEqual(theirs.containers.map((x) => [x.name, x.image, x.command, x.args, x.env, x.securityContext]));
      expect(
        (must(fromChart, 'Deployment', name).spec as { template: { spec: { securityContext: unknown } } })
          .template.spec.securityContext,
      ).toEqual(
        (must(fromConfig, 'Deployment', name).spec as { template: { spec: { securityContext: unknown } } })
          .template.spec.securityContext,
      );
    }
    const env = { POD_NAMESPACE: 'meshwright-system', POD_NAME: 'p' };
    const [wcmd, ...wargs] =
      podSpec(must(fromChart, 'Deployment', 'meshwright-webhook')).containers[0].args ?? [];
    expect(wcmd).toBe('webhook');
    expect(webhookOptionsFromFlags(wargs, env)).not.toBe('help');
    const [ocmd, ...oargs] =
      podSpec(must(fromChart, 'Deployment', 'meshwright-operator')).containers[0].args ?? [];
    expect(ocmd).toBe('operator');
    expect(parseOperatorFlags(oargs, env)).toMatchObject({ leaderElect: true });
  });

  it('installs no static injection webhook: the operator installs them, retargeted to the webhook Service', () => {
    const [fromChart, fromConfig] = pair();
    const env = { POD_NAMESPACE: 'meshwright-system', POD_NAME: 'p' };
    for (const objs of [fromChart, fromConfig]) {
      expect(objs.filter((o) => o.kind === 'MutatingWebhookConfiguration')).toEqual([]);
      const [, ...args] = podSpec(must(objs, 'Deployment', 'meshwright-operator')).containers[0].args ?? [];
      const svc = must(objs, 'Service', 'meshwright-webhook');
      const port = (svc.spec as { ports: { name: string; port: number }[] }).ports.find(
        (p) => p.name === 'https-webhook',
      )?.port;
      expect(parseOperatorFlags(args, env)).toMatchObject({
        injection: {
          target: { service: { namespace: 'meshwright-system', name: 'meshwright-webhook', port } },
        },
      });
    }
  });

  it('is equal object by object apart from the documented differences', () => {
    const [fromChart, fromConfig] = pair();
    const c = byKey(fromChart);
    const diffs = fromConfig.flatMap((o) =>
      differences(normalize(c.get(keyOf(o))!, true), normalize(o, false)).map((d) => `${keyOf(o)} ${d}`),
    );
    expect(diffs).toEqual([]);
  });
});

describe('chart values', () => {
  it('pass helm lint --strict in both TLS modes', () => {
    for (const mode of ['cert-manager', 'self-signed']) {
      const r = spawnSync(helm, ['lint', '--strict', CHART, '--set', `tls.mode=${mode}`], {
        encoding: 'utf8',
      });
      expect({ mode, status: r.status, out: r.stdout.includes('0 chart(s) failed') }).toEqual({
        mode,
        status: 0,
        out: true,
      });
    }
  });

  it('set replicas, image, resources, scheduling and log levels where they belong', () => {
    const objs = chart('mesh-ops', [
      'image.repository=registry.example/meshwright',
      'image.tag=9.9.9',
      'operator.replicas=2',
      'operator.logLevel=debug',
      'operator.nodeSelector.pool=infra',
      'operator.tolerations[0].key=dedicated',
      'operator.tolerations[0].operator=Exists',
      'webhook.replicas=4',
      'webhook.logLevel=warn',
      'webhook.resources.limits.memory=1Gi',
      'webhook.podDisruptionBudget.minAvailable=2',
      'istioNamespace=mesh-istio',
    ]);
    const op = must(objs, 'Deployment', 'meshwright-operator');
    const wh = must(objs, 'Deployment', 'meshwright-webhook');
    expect((op.spec as { replicas: number }).replicas).toBe(2);
    expect((wh.spec as { replicas: number }).replicas).toBe(4);
    const opc = podSpec(op).containers[0];
    const whc = podSpec(wh).containers[0];
    expect(opc.image).toBe('registry.example/meshwright:9.9.9');
    expect(opc.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(podSpec(op).nodeSelector).toEqual({ pool: 'infra' });
    expect(podSpec(op).tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
    expect(whc.args).toEqual([
      'webhook',
      '--tls-cert-file=/etc/meshwright/tls/tls.crt',
      '--tls-key-file=/etc/meshwright/tls/tls.key',
      '--istio-namespace=mesh-istio',
      '--log-level=warn',
    ]);
    expect(webhookOptionsFromFlags(whc.args!.slice(1), { POD_NAMESPACE: 'mesh-ops' })).toMatchObject({
      logLevel: 'warn',
    });
    expect(whc.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    expect(
      (must(objs, 'PodDisruptionBudget', 'meshwright-webhook').spec as { minAvailable: number }).minAvailable,
    ).toBe(2);
    expect(must(objs, 'Role', 'meshwright-webhook-istio-config').metadata?.namespace).toBe('mesh-istio');
  });

  it("operator.v8Flags go on node's command line before the entrypoint; empty keeps the image's entrypoint", () => {
    const command = (sets: string[]) =>
      podSpec(must(chart('mesh-ops', sets), 'Deployment', 'meshwright-operator')).containers[0].command;
    expect(command(['operator.v8Flags={--heap-growing-percent=30,--max-lazy}'])).toEqual([
      'node',
      '--heap-growing-percent=30',
      '--max-lazy',
      '/app/bin/meshwright.js',
    ]);
    expect(command(['operator.v8Flags=null'])).toBeUndefined();
    const refused = helmTemplate('mesh-ops', ['operator.v8Flags={heap-growing-percent}']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('/operator/v8Flags/0');
  });

  it('follow the release namespace everywhere config/ names meshwright-system', () => {
    const objs = chart('mesh-ops');
    const text = JSON.stringify(objs);
    expect(text).not.toContain('meshwright-system');
    expect(objs.some((o) => o.kind === 'Namespace')).toBe(false);
    const [, ...args] = podSpec(must(objs, 'Deployment', 'meshwright-operator')).containers[0].args ?? [];
    expect(parseOperatorFlags(args, { POD_NAMESPACE: 'mesh-ops', POD_NAME: 'p' })).toMatchObject({
      injection: {
        target: { service: { namespace: 'mesh-ops', name: 'meshwright-webhook', port: 443 } },
        caFrom: 'mesh-ops/meshwright-webhook',
      },
    });
    const selfSigned = chart('mesh-ops', ['tls.mode=self-signed']);
    const [, ...ssArgs] =
      podSpec(must(selfSigned, 'Deployment', 'meshwright-operator')).containers[0].args ?? [];
    const ssOpts = parseOperatorFlags(ssArgs, { POD_NAMESPACE: 'mesh-ops', POD_NAME: 'p' });
    expect(ssOpts).toMatchObject({ injection: { target: { service: { namespace: 'mesh-ops' } } } });
    // Self-signed: the webhook itself keeps the caBundle; no cert-manager annotation.
    expect((ssOpts as { injection?: { caFrom?: string } }).injection?.caFrom).toBeUndefined();
    expect(
      (must(objs, 'Certificate', 'meshwright-webhook').spec as { dnsNames: string[] }).dnsNames,
    ).toContain('meshwright-webhook.mesh-ops.svc');
  });

  it('are refused with the field named when invalid', () => {
    const badMode = helmTemplate('x', ['tls.mode=selfsigned']);
    expect(badMode.code).not.toBe(0);
    expect(badMode.stderr).toMatch(/\/tls\/mode.*cert-manager.*self-signed/);
    const badReplicas = helmTemplate('x', ['webhook.replicas=-1']);
    expect(badReplicas.code).not.toBe(0);
    expect(badReplicas.stderr).toContain('/webhook/replicas');
    const badLevel = helmTemplate('x', ['operator.logLevel=verbose']);
    expect(badLevel.code).not.toBe(0);
    expect(badLevel.stderr).toContain('/operator/logLevel');
  });
});

describe('chart on the apiserver (server-side apply, dry run)', () => {
  const scratch: string[] = [];
  afterAll(async () => {
    for (const ns of scratch) await deleteNamespace(ns);
  });

  it.each([['cert-manager'], ['self-signed']])(
    'accepts every object with tls.mode=%s that is not a cert-manager kind',
    async (mode) => {
      const ns = await createTestNamespace('chart-mw');
      const istio = await createTestNamespace('chart-istio');
      scratch.push(ns, istio);
      const kube = new Kube(kubeConfig());
      // Rendered straight into the test's namespaces: the chart itself moves every reference.
      const objs = chart(ns, [`tls.mode=${mode}`, `istioNamespace=${istio}`]);
      const candidates = objs.filter((o) => groupOf(o) !== CERT_MANAGER_GROUP);
      expect(candidates.length).toBe(20); // 19 + the IstioRevisionTag CRD (no static MutatingWebhookConfiguration)
      const failures: string[] = [];
      for (const o of candidates) {
        try {
          const out = await kube.apply(o, undefined, true);
          expect(out.kind).toBe(o.kind);
          expect(out.metadata?.name).toBe(o.metadata?.name);
        } catch (err) {
          failures.push(errorMessage(err));
        }
      }
      expect(failures).toEqual([]);
    },
  );
});
