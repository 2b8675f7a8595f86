// Child processes of a bench run (servers under test, the operator): output to a log file, each stopped
// by its own pid when the run ends, also when it ends by an exception or a signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { tailFile } from '../../hack/cluster/processes';
import { sleep } from './stats';
import { errorMessage } from '../../lib/errors';

export interface Child {
  name: string;
  pid: number;
  logFile: string;
  /** Exit description once it has exited, else undefined. */
  exited(): string | undefined;
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`[bench] ${sig}: stopping child processes\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export function startChild(
  name: string,
  args: readonly string[],
  logFile: string,
  nodeFlags: readonly string[] = [],
  /** Added to this process's environment (a deployed container's env: MALLOC_ARENA_MAX, ...). */
  env: Record<string, string> = {},
): Child {
  hookExit();
  const fd = openSync(logFile, 'a');
  let exit: string | undefined;
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, [...nodeFlags, ...args], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...env },
    });
  } finally {
    closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`${name}: failed to start`);
  live.add(proc);
  proc.once('exit', (code, signal) => {
    live.delete(proc);
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  return {
    name,
    pid: proc.pid,
    logFile,
    exited: () =>
      exit ? `${name} stopped (${exit}); last lines of ${logFile}:\n${tailFile(logFile, 15)}` : undefined,
    async stop(graceMs = 10_000) {
      if (exit) return;
      proc.kill('SIGTERM');
      const deadline = Date.now() + graceMs;
      while (!exit && Date.now() < deadline) await sleep(50);
      if (!exit) proc.kill('SIGKILL');
      while (!exit) await sleep(20);
    },
  };
}

/** Polls `check` until true; fails early when `child` died, or after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const died = child?.exited();
    if (died) throw new Error(`waiting for ${what}: ${died}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last})` : ''}`);
    await sleep(100);
  }
}
