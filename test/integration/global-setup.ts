// Jest globalSetup of the integration project: starts one real control plane for the whole run
// (building the pinned binaries first if the cache is empty) and hands its kubeconfig to the test
// workers through MESHWRIGHT_TEST_KUBECONFIG. It never skips: if the cluster cannot start, the
// run fails here with the reason and the tail of every component's log.
//
// MESHWRIGHT_TEST_KUBECONFIG already set (e.g. to .cluster/kubeconfig after `make cluster-up`)
// means "use that cluster": nothing is started, for fast iteration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureBinaries, repoRoot } from '../../hack/cluster/binaries';
import { startControlPlane, type ControlPlane } from '../../hack/cluster/control-plane';
import { reapOrphanRuns, registry, runStateFile } from '../../hack/cluster/registry';
import { readState, removeState, stopStateSync } from '../../hack/cluster/state';
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
  // Interrupted runs (Ctrl-C, SIGTERM from CI) stop every process, also while the cluster is still
  // starting (the state file lists what runs so far); the watchdog covers SIGKILL.
  const stopRecorded = () => {
    try {
      const state = readState(stateFile);
      if (state) stopStateSync(state);
    } finally {
      removeState(stateFile);
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the control plane`);
    stopRecorded();
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => stopRecorded();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  const removeHandlers = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };

  say(`starting control plane in ${dir} (Kubernetes ${binaries.versions.kube})`);
  let cp: ControlPlane;
  try {
    cp = await startControlPlane({ dir, binaries, stateFiles: [stateFile], ownerPid: process.pid, log: say });
  } catch (err) {
    removeHandlers();
    removeState(stateFile);
    say(`control plane logs kept in ${dir}/logs`);
    throw err;
  }
  say(`control plane ready in ${cp.startSeconds}s at ${cp.state.server}`);

  const handle: ClusterHandle = {
    dir,
    stop: async () => {
      removeHandlers();
      await cp.stop();
      removeState(stateFile);
    },
  };
  setHandle(handle);
  process.env.MESHWRIGHT_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.MESHWRIGHT_TEST_CLUSTER_DIR = dir;
}
