// What `demo up` leaves running, recorded in .cluster/demo/state.json so that `demo down` (another
// process, maybe much later) can stop exactly those processes and undo exactly those changes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProcessRecord } from '../cluster/processes';

export type ClusterMode = 'local' | 'existing';

export interface DemoState {
  mode: ClusterMode;
  kubeconfig: string;
  processes: ProcessRecord[];
  /** Port of the webhook's HTTPS endpoint (registered as url: https://<host>:<port>/inject). */
  webhookPort?: number;
  /** DEMO_UPGRADE=1: the canary-upgrade flow (revisions 1-30 and 1-31, tags) instead of the demo profile. */
  upgrade?: boolean;
  startedAt: string;
}

export interface DemoPaths {
  root: string;
  stateFile: string;
  logsDir: string;
  /** The local control plane's kubeconfig (hack/cluster's registry). */
  localKubeconfig: string;
}

/**
 * Where the demo keeps its state, token kubeconfigs and logs: `.cluster/` of the checkout, or DEMO_DIR (the
 * end-to-end test uses its own, so it never touches a developer's running demo). The local control plane's
 * kubeconfig is always hack/cluster's.
 */
export function demoPaths(
  root: string,
  dir: string = process.env.DEMO_DIR ?? join(root, '.cluster'),
): DemoPaths {
  return {
    root,
    stateFile: join(dir, 'demo', 'state.json'),
    logsDir: join(dir, 'logs'),
    localKubeconfig: join(root, '.cluster', 'kubeconfig'),
  };
}

export function readDemoState(file: string): DemoState | undefined {
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoState>;
  if (
    (s.mode !== 'local' && s.mode !== 'existing') ||
    typeof s.kubeconfig !== 'string' ||
    !Array.isArray(s.processes)
  )
    throw new Error(`${file}: not a demo state file`);
  return s as DemoState;
}

export function writeDemoState(file: string, state: DemoState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeDemoState(file: string): void {
  rmSync(file, { force: true });
}
