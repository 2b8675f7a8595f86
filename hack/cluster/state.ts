// The state file of a running cluster: enough to find and stop every process after the process that
// started it is gone (`cluster down` after `cluster up`, or after a crashed test run).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Versions } from './binaries';
import { isSameProcess, stopProcess, stopProcessesSync, type ProcessRecord } from './processes';

export interface ClusterState {
  readonly version: 1;
  readonly name: string;
  /** Working directory: certificates, etcd data, logs. */
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly startedAt: string;
  readonly versions: Versions;
  /** The process the cluster lives and dies with (test runs); absent for `cluster up`. */
  readonly ownerPid?: number;
  /** In start order; stopped in reverse. */
  readonly processes: readonly ProcessRecord[];
}

function isProcessRecord(v: unknown): v is ProcessRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    typeof r.pid === 'number' &&
    typeof r.command === 'string' &&
    typeof r.logFile === 'string'
  );
}

/** Parses a state file, rejecting anything that does not look like one we wrote. */
export function parseState(text: string): ClusterState {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null) throw new Error('state is not an object');
  const s = v as Record<string, unknown>;
  if (
    s.version !== 1 ||
    typeof s.dir !== 'string' ||
    !Array.isArray(s.processes) ||
    !s.processes.every(isProcessRecord)
  ) {
    throw new Error('not a meshwright cluster state file');
  }
  return v as ClusterState;
}

export function readState(file: string): ClusterState | undefined {
  if (!existsSync(file)) return undefined;
  return parseState(readFileSync(file, 'utf8'));
}

/** Writes atomically (temp file + rename), so a crash never leaves half a state file. */
export function writeState(file: string, state: ClusterState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** The recorded processes that are still running. */
export function liveProcesses(state: ClusterState): ProcessRecord[] {
  return state.processes.filter(isSameProcess);
}

/** Stops every recorded process, last started first. */
export async function stopState(state: ClusterState): Promise<void> {
  for (const p of [...state.processes].reverse()) await stopProcess(p);
}

export function stopStateSync(state: ClusterState): void {
  stopProcessesSync([...state.processes].reverse());
}
