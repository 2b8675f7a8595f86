import { parseAllDocuments } from 'yaml';
import { runKubeInject, type KubeInjectIO } from '../../../cli/kube-inject';
import { UsageError } from '../../../lib/flags';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers: [{name: hello, image: hello:1}]
`;

function fakeIO(files: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  const io: KubeInjectIO = {
    readFile: (p) => {
      if (!(p in files)) throw new Error(`no file ${p}`);
      return files[p];
    },
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
  };
  return { io, out };
}

interface Container {
  name: string;
  image?: string;
  readinessProbe?: { failureThreshold?: number };
}

function containers(stream: string): Container[] {
  const doc = parseAllDocuments(stream)[0].toJS() as {
    spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
  };
  const spec = doc.spec.template.spec;
  return [...(spec.initContainers ?? []), ...spec.containers];
}

describe('meshwright kube-inject', () => {
  it('writes the injected stream to stdout, configured by --set', async () => {
    const { io, out } = fakeIO({ 'd.yaml': deployment });
    const code = await runKubeInject(
      [
        '-f',
        'd.yaml',
        '--set',
        'values.global.proxy.readinessFailureThreshold=77',
        '--native-sidecars',
        'disabled',
      ],
      io,
    );
    expect(code).toBe(0);
    const proxy = containers(out.stdout).find((c) => c.name === 'istio-proxy');
    expect(proxy?.readinessProbe?.failureThreshold).toBe(77);
  });

  it('takes values from an injector ConfigMap and reads stdin for -', async () => {
    const cm = `kind: ConfigMap\ndata:\n  values: '{"global":{"hub":"example.com/istio","tag":"9.9"}}'\n`;
    const { io, out } = fakeIO({ '-': deployment, 'cm.yaml': cm });
    expect(await runKubeInject(['-f', '-', '--values', 'cm.yaml'], io)).toBe(0);
    expect(containers(out.stdout).find((c) => c.name === 'istio-proxy')?.image).toBe(
      'example.com/istio/proxyv2:9.9',
    );
  });

  it('prints skips as warnings on stderr and exits 0', async () => {
    const text = deployment.replace('containers:', 'hostNetwork: true\n      containers:');
    const { io, out } = fakeIO({ 'd.yaml': text });
    expect(await runKubeInject(['-f', 'd.yaml'], io)).toBe(0);
    expect(out.stderr).toMatch(/^warning: .*host network/);
    expect(containers(out.stdout).map((c) => c.name)).toEqual(['hello']);
  });

  it('exits non-zero with the message when an annotation is invalid', async () => {
    const text = deployment.replace(
      'metadata: {labels: {app: hello}}',
      "metadata: {annotations: {traffic.sidecar.istio.io/includeOutboundIPRanges: 'bad'}}",
    );
    const { io, out } = fakeIO({ 'd.yaml': text });
    expect(await runKubeInject(['-f', 'd.yaml'], io)).toBe(1);
    expect(out.stderr).toMatch(/Deployment "default\/hello".*includeOutboundIPRanges/);
    expect(out.stdout).toBe('');
  });

  it.each([
    [[], /-f FILE/],
    [['-f', 'd.yaml', '--native-sidecars', 'maybe'], /auto, enabled or disabled/],
    [['-f', 'd.yaml', '--set', 'valuez.a=1'], /unknown IstioOperator field/],
    [['-f', 'd.yaml', 'extra'], /unexpected argument/],
  ])('rejects bad usage %j', async (argv, message) => {
    const { io } = fakeIO({ 'd.yaml': deployment });
    await expect(runKubeInject(argv, io)).rejects.toThrow(UsageError);
    await expect(runKubeInject(argv, io)).rejects.toThrow(message);
  });
});
