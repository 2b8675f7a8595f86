// Two real `meshwright operator` processes (the built CLI, as deployed) against the local control
// plane: exactly one holds the Lease and acts, the other stays ready but silent; on SIGTERM the
// leader releases the Lease and exits 0, and the standby takes over and repairs drift.
// Needs `npm run build` (hack/test.sh builds before the integration tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { operatorReleaseEnv, releasesWithCrds } from './support/chart-render';
import { installIstioOperatorCrd } from './support/iop-crd';
import { installMinimalIop, removeIop } from './support/minimal-iop';
import {
  appsApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  kubeconfigPath,
  waitFor,
} from './support/cluster';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'meshwright.js');

interface OperatorProcess {
  name: string;
  child: ChildProcess;
  log: string[];
  port?: number;
  exit?: Promise<number | null>;
}

const admin = new RawKubeClient(kubeConfig());
let ns = '';
const procs: OperatorProcess[] = [];

function startOperator(name: string, releasesDir: string): OperatorProcess {
  const args = [
    CLI,
    'operator',
    `--kubeconfig=${kubeconfigPath()}`,
    `--namespace-to-watch=${ns}`,
    `--leader-election-namespace=${ns}`,
    '--metrics-port=0',
    '--health-port=0',
    // Rendered, and reported as status.meshwright.version, for an IstioOperator that names no release.
    '--default-istio-version=1.31.0-rc.0',
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...operatorReleaseEnv(releasesDir), POD_NAME: name, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const p: OperatorProcess = { name, child, log: [] };
  p.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      p.log.push(line);
      try {
        const rec = JSON.parse(line) as { message?: string; ports?: number[] };
        if (rec.message === 'operator started' && rec.ports) p.port = rec.ports[0];
      } catch {
        // not a log record
      }
    }
  });
  procs.push(p);
  return p;
}

async function leaderGauge(p: OperatorProcess): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${p.port}/metrics`);
  const m = /^leader_election_master_status\{name="istiooperator"\} (\d)/m.exec(await res.text());
  return m ? Number(m[1]) : undefined;
}

const applied = (p: OperatorProcess) => p.log.filter((l) => l.includes('"message":"applied object"')).length;
/** The local control plane's version (hack/versions.sh pins kube v1.35.8). */
const KUBE_VERSION = '1.35.8';

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  await installIstioOperatorCrd(admin, 'meshwright-operator-test');
  ns = await createTestNamespace('mw-op-proc');
});

afterAll(async () => {
  // Let a running leader uninstall; then make sure nothing is left holding the namespace.
  if (ns) await removeIop(admin, ns, 'minimal', 30_000);
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exit));
  if (ns) await deleteNamespace(ns);
});

describe('two meshwright operator processes', () => {
  it('elect one leader that installs while the standby stays silent, then hand over on SIGTERM', async () => {
    // The reference releases with a Base chart that installs no CRDs (the shared Istio CRDs stay untouched).
    const releasesDir = releasesWithCrds([], '1.31.0-rc.0');
    const a = startOperator('proc-a', releasesDir);
    const b = startOperator('proc-b', releasesDir);
    await waitFor(async () => a.port !== undefined && b.port !== undefined, 30_000, 'both operators serving');
    // Both read the cluster's Kubernetes version at start (GET /version) and render charts for it.
    for (const p of [a, b]) {
      const started = p.log
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((r) => r.message === 'operator started');
      expect(started?.kubeVersion).toBe(KUBE_VERSION);
    }
    const [leader, standby] = await waitFor(
      async () => {
        const [ga, gb] = [await leaderGauge(a), await leaderGauge(b)];
        if (ga === 1 && gb === 0) return [a, b];
        if (gb === 1 && ga === 0) return [b, a];
        return undefined;
      },
      30_000,
      'exactly one leader',
    );
    expect((await fetch(`http://127.0.0.1:${standby.port}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${leader.port}/healthz`)).status).toBe(200);

    const status = await installMinimalIop(admin, ns, 'minimal', 120_000);
    expect(status.meshwright?.version).toBe('1.31.0-rc.0');
    await waitFor(async () => applied(leader) > 0, 10_000, 'the leader logging its applies');
    expect(applied(standby)).toBe(0);
    expect(await leaderGauge(standby)).toBe(0);

    leader.child.kill('SIGTERM');
    expect(await leader.exit).toBe(0);
    expect(leader.log.some((l) => l.includes('"message":"released leader lease"'))).toBe(true);
    // Released, not expired: the standby takes over within a retry period or two, not 15 s.
    const handover = Date.now();
    await waitFor(async () => (await leaderGauge(standby)) === 1, 15_000, 'standby leading', 200);
    expect(Date.now() - handover).toBeLessThan(10_000);

    const old = await appsApi().readNamespacedDeployment({ name: 'istiod', namespace: ns });
    await appsApi().deleteNamespacedDeployment({ name: 'istiod', namespace: ns });
    await waitFor(
      async () =>
        (await appsApi().readNamespacedDeployment({ name: 'istiod', namespace: ns })).metadata?.uid !==
        old.metadata?.uid,
      60_000,
      'istiod recreated by the new leader',
    );
    // The log line may trail the write through the pipe.
    await waitFor(async () => applied(standby) > 0, 10_000, 'the new leader logging its apply');
  });
});
