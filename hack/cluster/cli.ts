// Developer entrypoint for the local control plane:
//   node dist/hack/cluster/cli.js up       start it detached; kubeconfig at .cluster/kubeconfig
//   node dist/hack/cluster/cli.js down     stop it and every crashed test run's cluster (--all: running ones too)
//   node dist/hack/cluster/cli.js status   list recorded clusters and their live processes
import { rmSync } from 'node:fs';
import { ensureBinaries, repoRoot } from './binaries';
import { startControlPlane } from './control-plane';
import { recordedStates, registry, tearDown } from './registry';
import { isAlive } from './processes';
import { liveProcesses, readState } from './state';
import { errorMessage } from '../../lib/errors';

const say = (msg: string) => process.stderr.write(`[cluster] ${msg}\n`);

async function up(root: string): Promise<number> {
  const reg = registry(root);
  const existing = readState(reg.stateFile);
  if (existing) {
    const live = liveProcesses(existing);
    if (live.length === existing.processes.length) {
      say(`already running (${existing.server}); kubeconfig: ${reg.kubeconfig}`);
      return 0;
    }
    say(
      `previous cluster is partly gone (${live.length}/${existing.processes.length} processes); replacing it`,
    );
    await tearDown(reg.stateFile, existing, false);
  }
  // A fresh etcd each time: old data would refer to another CA and token.
  rmSync(reg.localDir, { recursive: true, force: true });
  const binaries = ensureBinaries(root);
  const cp = await startControlPlane({
    dir: reg.localDir,
    binaries,
    kubeconfigPath: reg.kubeconfig,
    stateFiles: [reg.stateFile],
    log: say,
  });
  say(`up in ${cp.startSeconds}s: ${cp.state.server} (Kubernetes ${binaries.versions.kube})`);
  say(`kubeconfig: ${reg.kubeconfig}; logs: ${reg.localDir}/logs; stop with: make cluster-down`);
  return 0;
}

// Stops the developer cluster and test-run clusters whose jest is gone; a running test's cluster is
// left alone (the working tree is shared) unless --all is given.
async function down(root: string, all: boolean): Promise<number> {
  const reg = registry(root);
  const states = recordedStates(reg);
  if (states.length === 0) say('no cluster recorded');
  for (const { file, state, error } of states) {
    if (error) say(`${file}: unreadable (${error}); removing it`);
    const isLocal = file === reg.stateFile;
    if (!isLocal && !all && state?.ownerPid !== undefined && isAlive(state.ownerPid)) {
      say(`left ${file} running: its test run (pid ${state.ownerPid}) is still going (use --all to stop it)`);
      continue;
    }
    const n = await tearDown(file, state, true);
    say(`stopped ${isLocal ? 'local cluster' : file} (${n} live processes)`);
    if (isLocal) rmSync(reg.kubeconfig, { force: true });
  }
  return 0;
}

function status(root: string): number {
  const states = recordedStates(registry(root));
  if (states.length === 0) say('no cluster recorded');
  for (const { file, state, error } of states) {
    if (!state) {
      say(`${file}: unreadable (${error ?? 'unknown'})`);
      continue;
    }
    const live = new Set(liveProcesses(state).map((p) => p.pid));
    say(`${file}: ${state.server}, started ${state.startedAt}`);
    for (const p of state.processes)
      say(`  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${live.has(p.pid) ? 'running' : 'gone'}`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const root = repoRoot();
  switch (argv[0]) {
    case 'up':
      return up(root);
    case 'down':
      return down(root, argv.includes('--all'));
    case 'status':
      return status(root);
    default:
      say('usage: cli.js up | down [--all] | status');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(errorMessage(err));
    process.exit(1);
  },
);
