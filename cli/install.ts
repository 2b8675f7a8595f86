// `meshwright install`: istioctl's habit (`istioctl install --set profile=demo -y`) on top of the operator.
// It builds the IstioOperator from -f files and --set flags, validates it, shows it and asks, creates or
// updates it by server-side apply as istio-system/installed-state[-<rev>], then follows the status the
// operator writes until HEALTHY. The operator does the installing; this command never renders or applies
// Istio's objects itself, so what it installs is exactly what the operator keeps reconciled.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import { IOP_INPUT_FLAGS } from './iop-flags';
import { errorMessage } from '../lib/errors';
import { RawKubeClient } from '../operator/controller/kube/raw-object-api';
import type { KubeClient } from '../operator/controller/kube/kube-client';
import { parseDuration } from '../operator/controller/runtime/duration';
import type { Command } from './commands';
import { readAnswer, refusal } from './confirm';
import {
  applyIop,
  ensureNamespace,
  InstallError,
  iopRef,
  kubeConfigFor,
  listIops,
  requireIopCrd,
  waitHealthy,
} from './install-cluster';
import { buildInstallPlan, conflictingIop, type InstallPlan } from './install-spec';

const SUMMARY =
  'Install or update an Istio control plane through the Meshwright operator (like istioctl install)';

export const CLUSTER_FLAGS: Record<string, FlagSpec> = {
  kubeconfig: {
    kind: 'string',
    alias: 'c',
    help: 'Kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)',
  },
  context: { kind: 'string', help: 'Kubeconfig context to use (default: its current context)' },
  'skip-confirmation': { kind: 'boolean', alias: 'y', help: 'Do not ask for confirmation' },
  timeout: { kind: 'string', default: '300s', help: 'How long to wait for the operator (Go duration)' },
  'readiness-timeout': { kind: 'string', help: "istioctl's name for --timeout (wins when both are given)" },
  'operator-wait': {
    kind: 'string',
    default: '30s',
    help: 'How long the operator may take to write a first status before it counts as not running',
  },
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

const FLAGS: Record<string, FlagSpec> = {
  ...IOP_INPUT_FLAGS,
  'dry-run': { kind: 'boolean', help: 'Print the IstioOperator that would be applied and stop' },
  ...CLUSTER_FLAGS,
};

/** Where a command writes and reads: the process's streams in production, buffers in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  stdin: Readable;
}

export const processIo = (): CliIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stdin: process.stdin,
});

export interface ClusterFlags {
  client: KubeClient;
  timeoutMs: number;
  operatorGraceMs: number;
  yes: boolean;
}

export function durationFlag(name: string, value: unknown): number {
  try {
    return parseDuration(String(value));
  } catch (err) {
    throw new UsageError(`--${name}: ${errorMessage(err)}`);
  }
}

export function clusterFlags(flags: Record<string, unknown>): ClusterFlags {
  const timeoutMs =
    flags['readiness-timeout'] !== undefined
      ? durationFlag('readiness-timeout', flags['readiness-timeout'])
      : durationFlag('timeout', flags.timeout);
  const operatorGraceMs = durationFlag('operator-wait', flags['operator-wait']);
  const kc = kubeConfigFor(
    typeof flags.kubeconfig === 'string' ? flags.kubeconfig : undefined,
    typeof flags.context === 'string' ? flags.context : undefined,
  );
  return {
    client: new RawKubeClient(kc),
    timeoutMs,
    operatorGraceMs,
    yes: flags['skip-confirmation'] === true,
  };
}

/** -f takes a file per flag or a comma-separated list (istioctl's -f a.yaml,b.yaml). */
export function readFiles(args: string[]): { name: string; text: string }[] {
  const names = args.flatMap((a) => a.split(',')).filter((n) => n !== '');
  return names.map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (err) {
      // fs errors may come from another realm (jest), so read the message field rather than instanceof.
      const message = (err as { message?: unknown } | null)?.message;
      throw new UsageError(
        `-f ${name}: cannot read: ${typeof message === 'string' ? message : errorMessage(err)}`,
      );
    }
  });
}

/** The summary shown before the question (and by --dry-run). */
export function describePlan(plan: InstallPlan, existing: boolean): string {
  const lines = [
    `${existing ? 'Update' : 'Create'} IstioOperator ${plan.namespace}/${plan.name}:`,
    `  profile     ${plan.profile}`,
    `  revision    ${plan.revision || 'default'}`,
    `  namespace   ${plan.namespace}`,
    `  components  ${plan.components.join(', ') || '(none)'}`,
    '',
    stringify(plan.iop).trimEnd(),
    '',
  ];
  return lines.join('\n');
}

/** Runs the command; returns the exit code (0 HEALTHY, 1 failure, 2 bad usage). */
export async function runInstall(argv: string[], io: CliIo): Promise<number> {
  return reportErrors('install', io, async () => {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      io.out(usage('install', SUMMARY, FLAGS));
      return 0;
    }
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    const plan = buildInstallPlan({
      files: readFiles(flags.filename as string[]),
      setFlags: flags.set as string[],
      revision: typeof flags.revision === 'string' ? flags.revision : undefined,
    });
    if (flags['dry-run']) {
      io.out(describePlan(plan, false));
      return 0;
    }
    const cluster = clusterFlags(flags);
    const { client } = cluster;
    await requireIopCrd(client);
    const ref = iopRef(plan.name, plan.namespace);
    const live = await client.get(ref);
    if (live?.metadata?.deletionTimestamp) {
      throw new InstallError(
        `IstioOperator ${plan.namespace}/${plan.name} is being deleted (its uninstall is still running): ` +
          'wait until it is gone (meshwright uninstall waits for that), then install again',
      );
    }
    const existing = live !== undefined;
    const others = await listIops(client);
    if (others === undefined)
      io.err('warning: not allowed to list IstioOperators; cannot check for a conflicting one\n');
    const conflict = others && conflictingIop(plan, others);
    if (conflict) throw new InstallError(conflict);
    io.out(describePlan(plan, existing));
    if (!cluster.yes) {
      io.out('Proceed? (y/N) ');
      const no = refusal(await readAnswer(io.stdin), 'install');
      if (no) throw new InstallError(no);
    }
    if (await ensureNamespace(client, plan.namespace)) io.out(`Created namespace ${plan.namespace}\n`);
    await applyIop(client, plan.iop);
    io.out(
      `IstioOperator ${plan.namespace}/${plan.name} ${existing ? 'updated' : 'created'}; waiting for HEALTHY\n`,
    );
    const final = await waitHealthy(client, ref, {
      timeoutMs: cluster.timeoutMs,
      operatorGraceMs: cluster.operatorGraceMs,
      pollMs: 1000,
      print: (line) => io.out(`${line}\n`),
    });
    if (final.status === 'ACTION_REQUIRED') {
      io.out(`! Installed, but ACTION_REQUIRED: ${final.message ?? ''}\n`);
      return 0;
    }
    io.out(`✔ Installation complete: IstioOperator ${plan.namespace}/${plan.name} is HEALTHY\n`);
    return 0;
  });
}

/** Bad usage exits 2, any other failure 1, each with one clear line on stderr. */
export async function reportErrors(command: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    io.err(`meshwright ${command}: ${errorMessage(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

export const install: Command = {
  name: 'install',
  summary: SUMMARY,
  run: (argv) => runInstall(argv, processIo()),
};
