// The README's command, exactly: `meshwright operator --kubeconfig <kubeconfig>` (default flags: leader
// election on, Lease in istio-operator, ports 8080/8081, all namespaces) against the local control plane
// with no istio-operator namespace. Before issue 15 this logged one warning and never reconciled; now the
// operator creates the namespace, becomes leader, says so on /readyz, and installs an IstioOperator.
// Watching all namespaces, it would also act on IstioOperators of integration tests running in parallel
// workers; on this project's 2-core machines jest runs the files one at a time.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { LEASE_NAME } from '../../operator/controller/manager';
import { operatorReleaseEnv } from './support/chart-render';
import { installIstioOperatorCrd } from './support/iop-crd';
import { installMinimalIop, removeIop } from './support/minimal-iop';
import {
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  waitFor,
} from './support/cluster';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'meshwright.js');
const LEASE_NS = 'istio-operator';
const HEALTH = 'http://127.0.0.1:8081';

const admin = new RawKubeClient(kubeConfig());
let ns = '';
let child: ChildProcess | undefined;
let exit: Promise<number | null> | undefined;
const log: string[] = [];

async function namespaceExists(name: string): Promise<boolean> {
  try {
    await coreApi().readNamespace({ name });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

const logged = (message: string) => log.some((l) => l.includes(`"message":"${message}"`));

async function readyz(): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(`${HEALTH}/readyz`);
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  // A previous run's namespace (or anyone's): the point is to start without it.
  await deleteNamespace(LEASE_NS);
  await waitFor(async () => !(await namespaceExists(LEASE_NS)), 120_000, `namespace ${LEASE_NS} gone`, 500);
  ns = await createTestNamespace('mw-op-readme');
});

afterAll(async () => {
  if (ns) await removeIop(admin, ns, 'readme', 60_000);
  if (child && child.exitCode === null) child.kill('SIGTERM');
  await exit;
  if (ns) await deleteNamespace(ns);
  await deleteNamespace(LEASE_NS);
});

describe('meshwright operator --kubeconfig <kubeconfig> (the README command) without an istio-operator namespace', () => {
  it('creates the Lease namespace, becomes leader, reports it on /readyz and reconciles an IstioOperator', async () => {
    // Exactly the README's arguments; nothing from a pod's environment. The releases and helm come from the
    // environment, as the image sets them (MESHWRIGHT_RELEASES_DIR, MESHWRIGHT_HELM): no download here.
    const env: NodeJS.ProcessEnv = { ...process.env, ...operatorReleaseEnv(), LOG_LEVEL: 'info' };
    delete env.POD_NAMESPACE;
    delete env.POD_NAME;
    delete env.KUBECONFIG;
    child = spawn(process.execPath, [CLI, 'operator', '--kubeconfig', kubeconfigPath()], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    exit = new Promise((resolve) => child?.on('exit', (code) => resolve(code)));
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      log.push(...lines);
    });

    await waitFor(async () => logged('became leader'), 60_000, 'the operator leading', 250);
    expect(logged('created the leader Lease namespace')).toBe(true);
    expect(await namespaceExists(LEASE_NS)).toBe(true);
    const lease = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: LEASE_NAME, namespace: LEASE_NS });
    expect(lease.spec?.holderIdentity).toMatch(/_[0-9a-f-]{36}$/);
    // No lease failure was ever the reason to wait.
    expect(log.some((l) => l.includes('cannot take lease'))).toBe(false);

    const ready = await waitFor(
      async () => {
        const r = await readyz();
        return r?.status === 200 ? r : undefined;
      },
      60_000,
      '/readyz 200',
      250,
    );
    expect(ready.body).toBe(`ok: leader (lease ${LEASE_NS}/${LEASE_NAME}), reconciling\n`);

    await installMinimalIop(admin, ns, 'readme', 150_000);
    expect(log.some((l) => l.includes('"message":"applied object"'))).toBe(true);
    expect(child.exitCode).toBeNull();
  });
});
