// Starts a real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok (fake nodes that run pods), each a detached process with its own log.
// Readiness is polled; on any failure everything started so far is stopped and the error carries the
// tail of every log. Flags are explained in docs/control-plane.md.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Binaries } from './binaries';
import { newToken, writeAuditPolicy, writeKubeconfig, writeTokenFile } from './config-files';
import { createFakeNodes, nodesReady } from './nodes';
import { writePki } from './pki';
import { freePorts } from './ports';
import { startProcess, tailFile, type RunningProcess } from './processes';
import { probeOk, pollUntil } from './readiness';
import { stopState, stopStateSync, writeState, type ClusterState } from './state';
import { errorMessage } from '../../lib/errors';

export const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1'; // first address of SERVICE_CIDR: the `kubernetes` Service
const POD_CIDR = '10.244.0.0/16';
export const FAKE_NODES = ['kwok-node-0', 'kwok-node-1'];

export interface StartOptions {
  readonly dir: string;
  readonly binaries: Binaries;
  /** Where the kubeconfig goes (default: <dir>/kubeconfig). */
  readonly kubeconfigPath?: string;
  /** Every file the state is (re)written to as processes start. */
  readonly stateFiles: readonly string[];
  /**
   * Tie the cluster to this process: a watchdog stops it when that pid disappears and then deletes
   * the state files and `dir` (so use it only for throwaway work directories).
   */
  readonly ownerPid?: number;
  readonly log?: (msg: string) => void;
  readonly startTimeoutMs?: number;
}

export interface ControlPlane {
  readonly state: ClusterState;
  readonly kubeconfigPath: string;
  readonly token: string;
  readonly caPem: string;
  /** Seconds from start to all nodes Ready. */
  readonly startSeconds: number;
  stop(): Promise<void>;
  /** Blocking variant for exit/signal handlers. */
  stopSync(): void;
}

// Runs beside a test run's cluster: once the owner is gone (killed, crashed), it stops every process
// listed in the pid file (except itself, which is listed there too), then removes the paths it was
// given (state files, the work directory), so even a SIGKILLed jest leaves no orphans, no stale records.
const WATCHDOG = `
owner="$1"; pids="$2"; shift 2
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
[ -f "$pids" ] || exit 0
echo "owner $owner is gone: stopping the cluster"
others=$(grep -vx "$$" "$pids" | tac)
for p in $others; do kill -TERM -- "-$p" 2>/dev/null; done
sleep 5
for p in $others; do kill -KILL -- "-$p" 2>/dev/null; done
rm -rf -- "$@"
`;

/**
 * Starts the control plane; retried once, in a wiped directory, when a component lost the race for
 * one of its ports (they are probed free, then bound a moment later by another process).
 */
export async function startControlPlane(opts: StartOptions): Promise<ControlPlane> {
  try {
    return await startOnce(opts);
  } catch (err) {
    if (!(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    opts.log?.('a port was taken while starting; retrying with new ports');
    rmSync(opts.dir, { recursive: true, force: true });
    return startOnce(opts);
  }
}

async function startOnce(opts: StartOptions): Promise<ControlPlane> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const b = opts.binaries;
  const dir = opts.dir;
  const logs = join(dir, 'logs');
  const pkiDir = join(dir, 'pki');
  for (const d of [dir, logs, pkiDir]) mkdirSync(d, { recursive: true, mode: 0o700 });

  const pki = await writePki(pkiDir, SERVICE_IP);
  const token = newToken();
  const tokenFile = join(pkiDir, 'tokens.csv');
  writeTokenFile(tokenFile, token);
  const auditPolicy = join(dir, 'audit-policy.yaml');
  writeAuditPolicy(auditPolicy);
  const auditLog = join(logs, 'audit.log');
  const kubeconfigPath = opts.kubeconfigPath ?? join(dir, 'kubeconfig');
  const pidFile = join(dir, 'pids');
  writeFileSync(pidFile, '');

  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
  const server = `https://127.0.0.1:${apiPort}`;

  const processes: RunningProcess[] = [];
  let state: ClusterState = {
    version: 1,
    name: basename(dir),
    dir,
    kubeconfig: kubeconfigPath,
    server,
    startedAt: new Date().toISOString(),
    versions: b.versions,
    ...(opts.ownerPid !== undefined ? { ownerPid: opts.ownerPid } : {}),
    processes: [],
  };
  const record = () => {
    state = {
      ...state,
      processes: processes.map(({ name, pid, command, logFile }) => ({ name, pid, command, logFile })),
    };
    for (const f of opts.stateFiles) writeState(f, state);
  };
  const start = (name: string, command: string, args: string[]): RunningProcess => {
    const p = startProcess(name, command, args, join(logs, `${name}.log`));
    processes.push(p);
    appendFileSync(pidFile, `${p.pid}\n`);
    record();
    log(`started ${name} (pid ${p.pid})`);
    return p;
  };
  // Fails a wait at once when any process died, instead of waiting for the timeout.
  const anyDied = (): string | undefined => {
    const dead = processes.find((p) => p.name !== 'watchdog' && p.exited());
    if (!dead) return undefined;
    const e = dead.exited();
    return `${dead.name} exited (code ${e?.code ?? 'none'}, signal ${e?.signal ?? 'none'})`;
  };
  const wait = (what: string, check: () => Promise<boolean>) =>
    pollUntil(what, check, { timeoutMs, abort: anyDied });

  try {
    if (opts.ownerPid !== undefined)
      start('watchdog', '/bin/bash', [
        '-c',
        WATCHDOG,
        'watchdog',
        String(opts.ownerPid),
        pidFile,
        ...opts.stateFiles,
        dir,
      ]);

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    start('etcd', b.etcd, [
      '--name=meshwright',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=meshwright=${peerUrl}`,
      // A throwaway cluster: durability is not worth the fsync latency on a shared disk.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await wait('etcd /health', () => probeOk({ url: `${etcdUrl}/health` }, /"health":\s*"true"/));
    log(`etcd healthy after ${secondsSince(t0)}s`);

    start('kube-apiserver', b.kubeApiserver, [
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--etcd-servers=${etcdUrl}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=Node,RBAC',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // The default set already has both webhook plugins; naming them documents that tests rely on them.
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota',
      '--allow-privileged=true',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-maxsize=200',
      '--audit-log-maxbackup=1',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      '--profiling=false',
    ]);
    const api = { url: `${server}/readyz`, caPem: pki.caPem, token };
    await wait('kube-apiserver /readyz', () => probeOk(api));
    log(`kube-apiserver ready after ${secondsSince(t0)}s`);

    writeKubeconfig(kubeconfigPath, { server, caPem: pki.caPem, token });
    const kubeconfigFlags = [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
    ];

    start('kube-controller-manager', b.kubeControllerManager, [
      ...kubeconfigFlags,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ]);
    start('kube-scheduler', b.kubeScheduler, [
      ...kubeconfigFlags,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
    ]);
    start('kwok', b.kwok, [
      `--kubeconfig=${kubeconfigPath}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom',
      '--disregard-status-with-label-selector=',
      `--cidr=${POD_CIDR}`,
      '--node-ip=127.0.0.1',
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
      ...b.kwokStages.map((s) => `--config=${s}`),
    ]);
    await wait('kube-controller-manager /healthz', () =>
      probeOk({ url: `https://127.0.0.1:${kcmPort}/healthz` }),
    );
    await wait('kube-scheduler /healthz', () => probeOk({ url: `https://127.0.0.1:${schedPort}/healthz` }));

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await createFakeNodes(core, FAKE_NODES, b.versions.kube);
    await wait(`kwok nodes ${FAKE_NODES.join(', ')} Ready`, () => nodesReady(core, FAKE_NODES));
    // Pods need their namespace's default ServiceAccount (made by the controller-manager).
    await wait('default ServiceAccount', async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    });
    log(`control plane ready after ${secondsSince(t0)}s`);
  } catch (err) {
    const tails = processes
      .filter((p) => p.name !== 'watchdog')
      .map((p) => `----- ${p.name} (${p.logFile}) -----\n${tailFile(p.logFile, 30)}`)
      .join('\n');
    await stopState(state);
    const msg = errorMessage(err);
    throw new Error(`control plane failed to start: ${msg}\n${tails}`);
  }

  const startSeconds = Number(secondsSince(t0));
  return {
    state,
    kubeconfigPath,
    token,
    caPem: pki.caPem,
    startSeconds,
    stop: () => stopState(state),
    stopSync: () => stopStateSync(state),
  };
}

function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}
