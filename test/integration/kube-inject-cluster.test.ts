// kube-inject against a real apiserver, as istioctl does without files: the revision's ConfigMaps are read
// from the Istio namespace with the kubeconfig's credentials, the version from their labels.
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runKubeInject } from '../../cli/kube-inject';
import { chartRender } from './support/chart-render';
import { coreApi, createTestNamespace, deleteNamespace, kubeconfigPath } from './support/cluster';

jest.setTimeout(60_000);

let ns = '';

beforeAll(async () => {
  ns = await createTestNamespace('kube-inject');
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

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

/** The revision's ConfigMaps as the operator renders them (the 1.30.3 release's charts). */
async function configMapsOf(revision: string): Promise<V1ConfigMap[]> {
  const r = await chartRender()({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'kube-inject', namespace: 'istio-system' },
    spec: { profile: 'minimal', revision },
  } as KubernetesObject);
  if (!r.ok) throw new Error(r.message);
  return r.desired.components
    .flatMap((c) => c.objects)
    .filter(
      (o) =>
        o.kind === 'ConfigMap' &&
        [`istio-sidecar-injector-${revision}`, `istio-${revision}`].includes(o.metadata?.name ?? ''),
    )
    .map((o) => o as unknown as V1ConfigMap);
}

function io(files: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      readFile: (p: string) => {
        if (!(p in files)) throw new Error(`no file ${p}`);
        return files[p];
      },
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
    },
  };
}

describe('meshwright kube-inject --kubeconfig', () => {
  it("reads the revision's ConfigMaps from the cluster and injects as that revision", async () => {
    const core = coreApi();
    const cms = await configMapsOf('blue');
    expect(cms.map((c) => c.metadata?.name).sort()).toEqual(['istio-blue', 'istio-sidecar-injector-blue']);
    for (const cm of cms) {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: cm.metadata?.name,
          namespace: ns,
          // A 1.31 revision: istio-init then takes global.proxy_init.image.
          labels: { ...cm.metadata?.labels, 'app.kubernetes.io/version': '1.31.0' },
        },
        data: cm.data,
      };
      if (body.data?.values) {
        const v = JSON.parse(body.data.values) as { global: Record<string, unknown> };
        v.global.proxy_init = { image: 'init-from-cluster' };
        body.data = { ...body.data, values: JSON.stringify(v) };
      }
      await core.createNamespacedConfigMap({ namespace: ns, body });
    }
    const { io: fake, out } = io({ 'app.yaml': app });
    const code = await runKubeInject(
      ['--kubeconfig', kubeconfigPath(), '-i', ns, '--revision', 'blue', '-f', 'app.yaml'],
      fake,
    );
    expect([code, out.stderr]).toEqual([0, '']);
    const doc = parseAllDocuments(out.stdout)[0].toJS() as {
      spec: {
        template: {
          spec: {
            containers: { name: string; image: string; env?: { name: string; value?: string }[] }[];
            initContainers?: { name: string; image: string }[];
          };
        };
      };
    };
    const spec = doc.spec.template.spec;
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    const proxy = all.find((c) => c.name === 'istio-proxy') as (typeof spec.containers)[number];
    expect(proxy.env?.find((e) => e.name === 'CA_ADDR')?.value).toBe('istiod-blue.istio-system.svc:15012');
    expect(all.find((c) => c.name === 'istio-init')?.image).toMatch(/\/init-from-cluster:/);
  });

  it('fails clearly when the revision has no ConfigMaps there', async () => {
    const { io: fake, out } = io({ 'app.yaml': app });
    const code = await runKubeInject(
      ['--kubeconfig', kubeconfigPath(), '-i', ns, '--revision', 'nope', '-f', 'app.yaml'],
      fake,
    );
    expect(code).toBe(1);
    expect(out.stderr).toContain(`ConfigMap ${ns}/istio-sidecar-injector-nope not found`);
    expect(out.stdout).toBe('');
  });
});
