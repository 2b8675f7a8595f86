// Where running clusters are recorded in the repository (git-ignored .cluster/):
//   .cluster/state.json, .cluster/kubeconfig, .cluster/local/   the developer cluster of `cluster up`
//   .cluster/runs/<name>.json                                    one per test run (work dir in /tmp)
// `cluster down` stops all of them, so a crashed run can always be cleaned up.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './processes';
import { liveProcesses, readState, removeState, stopState, type ClusterState } from './state';
import { errorMessage } from '../../lib/errors';

export interface Registry {
  readonly home: string;
  readonly stateFile: string;
  readonly kubeconfig: string;
  readonly localDir: string;
  readonly runsDir: string;
}

export function registry(root: string): Registry {
  const home = join(root, '.cluster');
  return {
    home,
    stateFile: join(home, 'state.json'),
    kubeconfig: join(home, 'kubeconfig'),
    localDir: join(home, 'local'),
    runsDir: join(home, 'runs'),
  };
}

export function runStateFile(reg: Registry, name: string): string {
  mkdirSync(reg.runsDir, { recursive: true });
  return join(reg.runsDir, `${name}.json`);
}

/** Every recorded state file (developer cluster first), whether or not its processes still run. */
export function recordedStates(
  reg: Registry,
): { file: string; state: ClusterState | undefined; error?: string }[] {
  const files = [reg.stateFile];
  if (existsSync(reg.runsDir)) {
    files.push(
      ...readdirSync(reg.runsDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(reg.runsDir, f)),
    );
  }
  return files
    .filter((f) => existsSync(f))
    .map((file) => {
      try {
        return { file, state: readState(file) };
      } catch (err) {
        return { file, state: undefined, error: errorMessage(err) };
      }
    });
}

/** Stops a recorded cluster, deletes its state file and (for test runs) its work directory. */
export async function tearDown(
  file: string,
  state: ClusterState | undefined,
  removeDir: boolean,
): Promise<number> {
  const live = state ? liveProcesses(state).length : 0;
  if (state) await stopState(state);
  removeState(file);
  if (state && removeDir) rmSync(state.dir, { recursive: true, force: true });
  return live;
}

/** Stops test-run clusters whose owner process is gone (a run that was SIGKILLed, say). */
export async function reapOrphanRuns(
  reg: Registry,
  log: (m: string) => void = () => undefined,
): Promise<void> {
  for (const { file, state } of recordedStates(reg)) {
    if (file === reg.stateFile) continue;
    if (state?.ownerPid !== undefined && isAlive(state.ownerPid)) continue;
    const n = await tearDown(file, state, true);
    log(`reaped orphaned test cluster ${file} (${n} live processes)`);
  }
}
