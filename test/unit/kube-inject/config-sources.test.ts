// kube-inject's configuration sources, istioctl's flags and forms: the ConfigMap keys as files (the flow of
// Istio's docs), the ConfigMaps read from a cluster (through a fake reader here; the integration test
// reads a real apiserver), -o, --revision and --istio-version.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runKubeInject, type KubeInjectIO } from '../../../cli/kube-inject';
import type { ConfigMapReader } from '../../../webhook/kube-inject';
import { find, operatorObjects } from '../operator/charts/operator-render';

const app = `apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers: [{name: hello, image: hello:1}]
`;

jest.setTimeout(120_000);

// The ConfigMaps an installation holds (as the operator renders them: the 1.30.3 release's charts), for
// `kubectl get configmap ...`; rendered once before the tests, for the default revision and canary.
const rendered = new Map<string, { injector: V1ConfigMap; mesh: V1ConfigMap }>();

beforeAll(async () => {
  for (const revision of [undefined, 'canary']) {
    const objects = await operatorObjects({ profile: 'minimal', ...(revision ? { revision } : {}) });
    const suffix = revision ? `-${revision}` : '';
    rendered.set(revision ?? '', {
      injector: find(objects, 'ConfigMap', `istio-sidecar-injector${suffix}`) as V1ConfigMap,
      mesh: find(objects, 'ConfigMap', `istio${suffix}`) as V1ConfigMap,
    });
  }
});

function installed(revision?: string): { injector: V1ConfigMap; mesh: V1ConfigMap } {
  const r = rendered.get(revision ?? '');
  if (!r) throw new Error(`no installation rendered for revision ${revision ?? 'default'}`);
  return r;
}

function fakeIO(files: Record<string, string>, configMaps?: Record<string, V1ConfigMap>) {
  const out = { stdout: '', stderr: '', written: {} as Record<string, string>, reads: [] as string[] };
  const io: KubeInjectIO = {
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: no such file ${p}`);
      return files[p];
    },
    writeFile: (p, t) => void (out.written[p] = t),
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    configMaps: (kubeconfig): ConfigMapReader => {
      out.reads.push(`kubeconfig=${kubeconfig}`);
      return async (ns, name) => {
        out.reads.push(`${ns}/${name}`);
        return configMaps?.[`${ns}/${name}`];
      };
    },
  };
  return { io, out };
}

interface Env {
  name: string;
  value?: string;
}
interface Container {
  name: string;
  image?: string;
  env?: Env[];
}

function podOf(stream: string) {
  const doc = parseAllDocuments(stream)[0].toJS() as {
    spec: {
      template: {
        metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
        spec: { containers: Container[]; initContainers?: Container[] };
      };
    };
  };
  const t = doc.spec.template;
  const all = [...(t.spec.initContainers ?? []), ...t.spec.containers];
  return { meta: t.metadata, all, proxy: all.find((c) => c.name === 'istio-proxy') };
}

const env = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name)?.value;

describe("Istio docs' flow: the ConfigMap keys as files", () => {
  let files: Record<string, string> = {};
  beforeAll(() => {
    const { injector, mesh } = installed();
    files = {
      'inject-config.yaml': injector.data!.config!,
      'mesh-config.yaml': mesh.data!.mesh!,
      'values.yaml': injector.data!.values!,
      'app.yaml': app,
    };
  });

  it('injects as the installation would, PROXY_CONFIG cleaned to {}', async () => {
    const { io, out } = fakeIO(files);
    const code = await runKubeInject(
      [
        '--injectConfigFile',
        'inject-config.yaml',
        '--meshConfigFile',
        'mesh-config.yaml',
        '--valuesFile',
        'values.yaml',
        '-f',
        'app.yaml',
      ],
      io,
    );
    expect([code, out.stderr]).toEqual([0, '']);
    const { proxy } = podOf(out.stdout);
    expect(proxy?.image).toBe(
      `${JSON.parse(files['values.yaml']).global.hub}/proxyv2:${JSON.parse(files['values.yaml']).global.tag}`,
    );
    expect(env(proxy, 'PROXY_CONFIG')).toBe('{}\n');
    expect(env(proxy, 'CA_ADDR')).toBe('istiod.istio-system.svc:15012');
  });

  it('-o writes the output to a file instead of stdout', async () => {
    const { io, out } = fakeIO(files);
    expect(await runKubeInject(['--valuesFile', 'values.yaml', '-f', 'app.yaml', '-o', 'out.yaml'], io)).toBe(
      0,
    );
    expect(out.stdout).toBe('');
    expect(podOf(out.written['out.yaml']).proxy).toBeDefined();
  });

  it('a missing file is an error naming its flag', async () => {
    const { io, out } = fakeIO(files);
    expect(await runKubeInject(['--meshConfigFile', 'nope.yaml', '-f', 'app.yaml'], io)).toBe(1);
    expect(out.stderr).toMatch(/--meshConfigFile nope\.yaml: ENOENT/);
    expect(out.stdout).toBe('');
  });
});

describe('--injectConfigFile forms', () => {
  it('injects from its templates: an edited sidecar and one selected through inject.istio.io/templates', async () => {
    const config = [
      'policy: enabled',
      'templates:',
      '  sidecar: |',
      '    metadata:',
      '      labels:',
      '        edited.example.com/sidecar: "{{ .ObjectMeta.Labels.app }}"',
      '    spec:',
      '      containers:',
      '      - name: istio-proxy',
      '        image: example.com/proxy:edited',
      '  extra: |',
      '    metadata:',
      '      labels:',
      '        extra.example.com/added: "yes"',
      '',
    ].join('\n');
    const withAnn = app.replace(
      'metadata: {labels: {app: hello}}',
      "metadata: {labels: {app: hello}, annotations: {inject.istio.io/templates: 'sidecar,extra'}}",
    );
    const { io, out } = fakeIO({ 'c.yaml': config, 'app.yaml': withAnn });
    expect(await runKubeInject(['--injectConfigFile', 'c.yaml', '-f', 'app.yaml'], io)).toBe(0);
    const { meta, proxy } = podOf(out.stdout);
    expect(meta.labels?.['extra.example.com/added']).toBe('yes');
    expect(meta.labels?.['edited.example.com/sidecar']).toBe('hello');
    expect(proxy?.image).toBe('example.com/proxy:edited');
  });

  it('a bare template is noted and injected as the sidecar template (istioctl reads it so)', async () => {
    const bare = 'spec:\n  containers:\n  - name: istio-proxy\n    image: example.com/bare:1\n';
    const { io, out } = fakeIO({ 't.yaml': bare, 'app.yaml': app });
    expect(await runKubeInject(['--injectConfigFile', 't.yaml', '-f', 'app.yaml'], io)).toBe(0);
    expect(out.stderr).toMatch(/warning: t\.yaml: a bare template; injected as the sidecar template/);
    expect(podOf(out.stdout).proxy?.image).toBe('example.com/bare:1');
  });

  it('takes the whole ConfigMap too', async () => {
    const { injector } = installed();
    const { io, out } = fakeIO({ 'cm.yaml': JSON.stringify(injector), 'app.yaml': app });
    expect(await runKubeInject(['--injectConfigFile', 'cm.yaml', '-f', 'app.yaml'], io)).toBe(0);
    expect(podOf(out.stdout).proxy).toBeDefined();
  });
});

describe('--kubeconfig without files: the revision ConfigMaps from the cluster', () => {
  it("reads istio-sidecar-injector-<rev> and istio-<rev> of the Istio namespace, and the revision's version", async () => {
    const { injector, mesh } = installed('canary');
    injector.metadata = {
      ...injector.metadata,
      labels: { ...injector.metadata?.labels, 'app.kubernetes.io/version': '1.31.0' },
    };
    const values = JSON.parse(injector.data!.values!) as { global: Record<string, unknown> };
    values.global.proxy_init = { image: 'initY' };
    injector.data = { ...injector.data, values: JSON.stringify(values) };
    const { io, out } = fakeIO(
      { 'app.yaml': app },
      { 'istio-x/istio-sidecar-injector-canary': injector, 'istio-x/istio-canary': mesh },
    );
    const code = await runKubeInject(
      ['--kubeconfig', 'kc', '-i', 'istio-x', '--revision', 'canary', '-f', 'app.yaml'],
      io,
    );
    expect([code, out.stderr]).toEqual([0, '']);
    expect(out.reads).toEqual([
      'kubeconfig=kc',
      'istio-x/istio-sidecar-injector-canary',
      'istio-x/istio-canary',
    ]);
    const { all, proxy } = podOf(out.stdout);
    expect(env(proxy, 'CA_ADDR')).toBe('istiod-canary.istio-system.svc:15012');
    // 1.31 behaviour from the labels: istio-init takes global.proxy_init.image.
    expect(all.find((c) => c.name === 'istio-init')?.image).toMatch(/\/initY:/);
  });

  it('files win over the cluster for the parts they give', async () => {
    const { injector } = installed();
    const { io, out } = fakeIO(
      { 'app.yaml': app, 'mesh.yaml': 'defaultConfig: {discoveryAddress: "other.example:15012"}' },
      { 'istio-system/istio-sidecar-injector': injector },
    );
    expect(
      await runKubeInject(['--kubeconfig', 'kc', '--meshConfigFile', 'mesh.yaml', '-f', 'app.yaml'], io),
    ).toBe(0);
    expect(out.reads).toEqual(['kubeconfig=kc', 'istio-system/istio-sidecar-injector']);
    expect(env(podOf(out.stdout).proxy, 'PROXY_CONFIG')).toBe('{"discoveryAddress":"other.example:15012"}\n');
  });

  it('a missing ConfigMap is a clear error naming it', async () => {
    const { io, out } = fakeIO({ 'app.yaml': app }, {});
    expect(await runKubeInject(['--kubeconfig', 'kc', '-f', 'app.yaml'], io)).toBe(1);
    expect(out.stderr).toMatch(/ConfigMap istio-system\/istio-sidecar-injector not found; use --valuesFile/);
  });

  it('an unknown version is injected as the nearest known one, with a warning', async () => {
    const { io, out } = fakeIO({ 'app.yaml': app });
    expect(await runKubeInject(['--istio-version', '1.32.0', '-f', 'app.yaml'], io)).toBe(0);
    expect(out.stderr).toMatch(/warning: revision default: version 1\.32\.0 .* 1\.31/);
  });
});
