// `make demo DEMO_UPGRADE=1` end to end: the built demo (dist/hack/demo/cli.js, run `npm run build` first) as
// a child process, exactly as the Makefile runs it, against a control plane of its own. Not the run's shared
// one: the demo's `default` tag would inject every istio-injection=enabled namespace of the other suites, and
// its webhooks would refuse their pods once its webhook process stops. Its state and logs go to a temporary
// DEMO_DIR, so a developer's running demo is never touched. The demo checks each step itself; this test also
// checks the end state with its own client, then that `demo down` removes what the demo installed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureBinaries, repoRoot } from '../../hack/cluster/binaries';
import { startControlPlane, type ControlPlane } from '../../hack/cluster/control-plane';
import { isAlive, stopProcess } from '../../hack/cluster/processes';
import { registry, runStateFile } from '../../hack/cluster/registry';
import { removeState } from '../../hack/cluster/state';
import { Kube, loadKubeConfigFile, type Obj } from '../../hack/demo/kube';
import { readDemoState } from '../../hack/demo/state';
import { waitFor } from './support/cluster';
import { IOP_API, NEW, OLD, podSidecar, TAG_API, TAGS } from '../../hack/demo/upgrade-objects';

jest.setTimeout(900_000);

const root = repoRoot(__dirname);
const cli = join(root, 'dist', 'hack', 'demo', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'meshwright-demo-upgrade-'));
const demoDir = join(dir, 'demo-state');
let cp: ControlPlane | undefined;
let kube: Kube;
let upOutput = '';
const stateFile = runStateFile(registry(root), basename(dir));

function runDemo(verb: 'up' | 'down', timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const kustomize = spawnSync('bash', [join(root, 'hack', 'build-kustomize.sh')], { encoding: 'utf8' });
  if (kustomize.status !== 0) throw new Error(`hack/build-kustomize.sh: ${kustomize.stderr}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, verb], {
      cwd: root,
      env: {
        ...process.env,
        DEMO_UPGRADE: '1',
        DEMO_CLUSTER: 'existing',
        KUBECONFIG: cp!.kubeconfigPath,
        DEMO_DIR: demoDir,
        KUSTOMIZE: kustomize.stdout.trim().split('\n').pop() ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`demo ${verb} did not finish in ${timeoutMs / 1000}s; output so far:\n${out}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const pods = async (): Promise<Obj[]> =>
  [
    ...(await kube.list('v1', 'Pod', 'bookinfo')),
    ...(await kube.list('v1', 'Pod', 'bookinfo-legacy')),
  ].filter((p) => !p.metadata?.deletionTimestamp);

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before this test`);
  cp = await startControlPlane({
    dir: join(dir, 'cluster'),
    binaries: ensureBinaries(root),
    stateFiles: [stateFile],
    ownerPid: process.pid,
  });
  kube = new Kube(loadKubeConfigFile(cp.kubeconfigPath));
});

afterAll(async () => {
  // A failed run leaves the demo's processes running: stop exactly those (their pids are in its state file).
  const state = (() => {
    try {
      return readDemoState(join(demoDir, 'demo', 'state.json'));
    } catch {
      return undefined;
    }
  })();
  for (const p of state?.processes ?? []) await stopProcess(p);
  await cp?.stop();
  removeState(stateFile);
  rmSync(dir, { recursive: true, force: true });
});

describe('make demo DEMO_UPGRADE=1', () => {
  it('runs every step of the canary upgrade and says so, with timings', async () => {
    const t0 = Date.now();
    const { code, out } = await runDemo('up', 600_000);
    upOutput = out;
    const seconds = (Date.now() - t0) / 1000;
    process.stdout.write(
      `demo up (upgrade) ${seconds.toFixed(0)}s, load ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}\n${out.slice(out.indexOf('\nsteps ('))}\n`,
    );
    expect({ code, tail: code === 0 ? '' : out.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(out).toContain('upgrade demo up in');
    expect(out.match(/^==> \[(\d+)\/16\]/gm)?.length).toBe(16);
    expect(out.match(/^ {4}done in [0-9.]+s/gm)?.length).toBe(16);
    // What the steps showed: the hold naming the tags, the census and the rollout progressing, the gateway.
    expect(out).toMatch(
      /1-30: deletion held: revision 1-30 is still in use: revision tag\(s\) default, prod/,
    );
    expect(out).toMatch(/census \(meshwright status\):\n/);
    // The lines are printed as the 0.5 s poll sees them, so which batches show depends on the load; a batch in
    // progress and the completion always do. (The total can grow while the census catches up with the move.)
    expect(out).toMatch(/rollout=Running [1-9]\d*\/\d+, batch \d/);
    expect(out).toMatch(/rollout=Complete (\d+)\/\1\n/);
    expect(out).toContain('never fewer than 1 available');
  });

  it('leaves every Bookinfo pod injected by 1-31, the tags on 1-31 and 1-30 gone (checked independently)', async () => {
    expect(upOutput).not.toBe('');
    const all = await pods();
    expect(all.length).toBe(7);
    expect(all.map((p) => ({ pod: p.metadata?.name, ...podSidecar(p) }))).toEqual(
      all.map((p) => ({ pod: p.metadata?.name, version: NEW.version, revision: NEW.revision })),
    );
    for (const t of TAGS)
      expect((await kube.get(TAG_API, 'IstioRevisionTag', t))?.status).toMatchObject({
        state: 'Ready',
        revision: NEW.revision,
      });
    expect(await kube.get(IOP_API, 'IstioOperator', OLD.revision, 'istio-system')).toBeUndefined();
    expect(await kube.get('apps/v1', 'Deployment', `istiod-${OLD.revision}`, 'istio-system')).toBeUndefined();
    expect((await kube.get(IOP_API, 'IstioOperator', NEW.revision, 'istio-system'))?.status).toMatchObject({
      status: 'HEALTHY',
    });
    const gw = await kube.get('apps/v1', 'Deployment', 'istio-ingressgateway', 'istio-system');
    const gwSpec = gw?.spec as { template: { spec: { containers: { image: string }[] } } };
    expect(gwSpec.template.spec.containers[0]?.image).toBe(`docker.io/istio/proxyv2:${NEW.version}`);
  });

  it('`demo down` removes what it installed and stops its processes', async () => {
    const state = readDemoState(join(demoDir, 'demo', 'state.json'));
    expect(state?.upgrade).toBe(true);
    const { code, out } = await runDemo('down', 300_000);
    expect({ code, tail: code === 0 ? '' : out.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(await kube.list(IOP_API, 'IstioOperator', 'istio-system')).toEqual([]);
    expect(await kube.list(TAG_API, 'IstioRevisionTag')).toEqual([]);
    expect(await kube.list('apps/v1', 'Deployment', 'istio-system')).toEqual([]);
    // Namespaces and the tags' webhooks go asynchronously (namespace controller, the operator's cleanup).
    const left = async () => [
      ...(await kube.list('v1', 'Namespace'))
        .map((n) => n.metadata?.name ?? '')
        .filter((n) => ['bookinfo', 'bookinfo-legacy', 'meshwright-system'].includes(n)),
      ...(await kube.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration')).map(
        (w) => w.metadata?.name ?? '',
      ),
    ];
    await waitFor(
      async () => (await left()).length === 0,
      90_000,
      'namespaces and webhooks removed',
      1000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; still there: ${(await left()).join(', ')}`);
    });
    for (const p of state?.processes ?? [])
      expect({ pid: p.pid, alive: isAlive(p.pid) }).toEqual({ pid: p.pid, alive: false });
    expect(existsSync(join(demoDir, 'demo', 'state.json'))).toBe(false);
    expect(readFileSync(join(demoDir, 'logs', 'operator.log'), 'utf8').length).toBeGreaterThan(0);
  });
});
