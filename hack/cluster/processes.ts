// Child processes of the control plane: each runs detached in its own process group (setsid), with
// stdout+stderr in a log file, so that it survives `cluster up` exiting and is stopped as a group.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** Absolute path of the executable: checked against /proc before signalling a recorded pid. */
  readonly command: string;
  readonly logFile: string;
}

export interface RunningProcess extends ProcessRecord {
  /** Set once the process has exited while this Node process watched it. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): RunningProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`${name}: failed to start ${command}`);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('exit', (code, signal) => (exit = { code, signal }));
    child.on('error', () => (exit ??= { code: -1, signal: null }));
    child.unref();
    return { name, pid: child.pid, command, logFile, exited: () => exit };
  } finally {
    closeSync(fd);
  }
}

/** True when a process with this pid exists (and is not a zombie we already reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not reaped) still answers kill(0); /proc tells the truth on Linux.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true;
  }
}

/** True when pid is alive AND still runs the recorded executable (guards against pid reuse). */
export function isSameProcess(rec: ProcessRecord): boolean {
  if (!isAlive(rec.pid)) return false;
  try {
    const argv0 = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 === rec.command;
  } catch {
    return !existsSync('/proc');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM to the process group, then SIGKILL after `graceMs` if it is still there. */
export async function stopProcess(rec: ProcessRecord, graceMs = 10_000): Promise<void> {
  if (!isSameProcess(rec)) return;
  signalGroup(rec.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(rec.pid)) return;
    await sleep(50);
  }
  signalGroup(rec.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isAlive(rec.pid) && Date.now() < killDeadline) await sleep(50);
}

/**
 * Synchronous last-resort stop for 'exit' and signal handlers, where no promise will run:
 * SIGTERM every group, wait up to `graceMs` (blocking), SIGKILL what is left.
 */
export function stopProcessesSync(recs: readonly ProcessRecord[], graceMs = 3_000): void {
  const live = recs.filter(isSameProcess);
  for (const r of live) signalGroup(r.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (live.some((r) => isAlive(r.pid)) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
  for (const r of live) if (isAlive(r.pid)) signalGroup(r.pid, 'SIGKILL');
}

/** The last `lines` lines of a log file ('' when it does not exist). */
export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}
