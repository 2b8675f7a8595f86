// Shared fixtures for the CLI command tests: a captured run of one command, and a kubeconfig whose
// only context points nowhere reachable, so a command gets as far as the cluster and no further.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CliIo } from '../../../cli/install';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs one command's entry point with empty stdin and returns its exit code and what it printed. */
export async function runCli(
  run: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdin: Readable.from([]),
  });
  return { code, out, err };
}

/**
 * A fresh temp dir holding `kubeconfig`: one context `ctx` on cluster `c` at https://127.0.0.1:1
 * (port 1 refuses at once, so "cannot reach the cluster" comes quickly and nothing may connect).
 */
export function unreachableKubeconfig(prefix: string): { dir: string; kubeconfig: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`,
  );
  return { dir, kubeconfig };
}
