// A throwaway local control plane for the apiserver and operator suites (hack/cluster, as the jest
// integration setup uses it): recorded in the run registry and tied to this process by the rig's
// watchdog, so a crashed bench leaves no processes behind and `make cluster-down` can find it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureBinaries } from '../../hack/cluster/binaries';
import { startControlPlane, type ControlPlane } from '../../hack/cluster/control-plane';
import { registry, runStateFile } from '../../hack/cluster/registry';
import { removeState } from '../../hack/cluster/state';
import { KubeRest, waitForServiceAccount } from './kube';
import { sleep } from './stats';

export interface BenchCluster {
  cp: ControlPlane;
  kube: KubeRest;
  dir: string;
  auditLog: string;
  stop(): Promise<void>;
}

export async function startBenchCluster(root: string, say: (line: string) => void): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'meshwright-bench-cluster-'));
  const stateFile = runStateFile(registry(root), basename(dir));
  const cp = await startControlPlane({
    dir,
    binaries: ensureBinaries(root),
    stateFiles: [stateFile],
    ownerPid: process.pid,
    log: (m) => say(`  [cluster] ${m}`),
  });
  const kube = new KubeRest(cp.state.server, cp.token, cp.caPem);
  return {
    cp,
    kube,
    dir,
    auditLog: join(dir, 'logs', 'audit.log'),
    async stop() {
      kube.close();
      await cp.stop();
      removeState(stateFile);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates (or keeps) a namespace with these labels and waits for its default ServiceAccount. */
export async function ensureNamespace(
  kube: KubeRest,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await kube.apply(`/api/v1/namespaces/${name}`, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  await waitForServiceAccount(kube, name);
}

/** Pods in `ns` matching `query` (e.g. `fieldSelector=status.phase%3DRunning`), read as metadata only. */
export async function countPods(kube: KubeRest, ns: string, query: string): Promise<number> {
  return (await kube.listMeta(`/api/v1/namespaces/${ns}/pods`, query)).length;
}

/** Until `n` pods of `ns` are Running (the kwok nodes report them so). */
export async function waitRunning(kube: KubeRest, ns: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await countPods(kube, ns, 'fieldSelector=status.phase%3DRunning')) < n) {
    if (Date.now() > deadline)
      throw new Error(`fewer than ${n} pods Running in ${ns} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
