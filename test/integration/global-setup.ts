// Jest globalSetup of the integration project: starts one real control plane for the whole run
// (building the pinned binaries first if the cache is empty) and hands its kubeconfig to the test
// workers through MESHWRIGHT_TEST_KUBECONFIG. It never skips: if the cluster cannot start, the
// run fails here with the reason and the tail of every component's log.
//
// MESHWRIGHT_TEST_KUBECONFIG already set (e.g. to .cluster/kubeconfig after `make cluster-up`)
// means "use that cluster": nothing is started, for fast iteration.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureBinaries, repoRoot } from '../../hack/cluster/binaries';
import { startControlPlane } from '../../hack/cluster/control-plane';
import { reapOrphanRuns, registry, runStateFile } from '../../hack/cluster/registry';
import { removeState } from '../../hack/cluster/state';
import { setHandle, type ClusterHandle } from './support/handle';

const say = (msg: string) => process.stderr.write(`[integration] ${msg}\n`);

export default async function globalSetup(): Promise<void> {
  if (process.env.MESHWRIGHT_TEST_KUBECONFIG) {
    say(`using the existing cluster of MESHWRIGHT_TEST_KUBECONFIG=${process.env.MESHWRIGHT_TEST_KUBECONFIG}`);
    return;
  }
  const root = repoRoot(__dirname);
  const reg = registry(root);
  await reapOrphanRuns(reg, say);
  const binaries = ensureBinaries(root);
  const dir = mkdtempSync(join(tmpdir(), 'meshwright-test-'));
  const stateFile = runStateFile(reg, basename(dir));
  say(`starting control plane in ${dir} (Kubernetes ${binaries.versions.kube})`);
  const cp = await startControlPlane({
    dir,
    binaries,
    stateFiles: [stateFile],
    ownerPid: process.pid,
    log: say,
  });
  say(`control plane ready in ${cp.startSeconds}s at ${cp.state.server}`);

  // Interrupted runs (Ctrl-C, SIGTERM from CI) still stop every process; the watchdog covers SIGKILL.
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the control plane`);
    cp.stopSync();
    removeState(stateFile);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => cp.stopSync();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);

  const handle: ClusterHandle = {
    dir,
    stop: async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
      await cp.stop();
      removeState(stateFile);
    },
  };
  setHandle(handle);
  process.env.MESHWRIGHT_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.MESHWRIGHT_TEST_CLUSTER_DIR = dir;
}
