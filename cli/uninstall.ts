// `meshwright uninstall`: the reverse of `meshwright install`. It deletes the IstioOperator install
// created (same name rule: installed-state[-<name>][-<rev>], in the control plane's namespace) and waits
// until the operator's finalizer has removed everything it installed and released the object.
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import type { Command } from './commands';
import { readAnswer, refusal } from './confirm';
import { InstallError, iopRef, requireIopCrd, waitGone } from './install-cluster';
import { buildInstallPlan } from './install-spec';
import { clusterFlags, CLUSTER_FLAGS, processIo, readFiles, reportErrors, type CliIo } from './install';

const SUMMARY = 'Remove a control plane installed by `meshwright install` and wait until it is gone';

const FLAGS: Record<string, FlagSpec> = {
  filename: {
    kind: 'array',
    alias: 'f',
    help: 'The IstioOperator file(s) given to install (they name the resource and its namespace)',
  },
  revision: { kind: 'string', alias: 'r', help: 'Revision to remove (default: the default revision)' },
  ...CLUSTER_FLAGS,
};

export async function runUninstall(argv: string[], io: CliIo): Promise<number> {
  return reportErrors('uninstall', io, async () => {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      io.out(usage('uninstall', SUMMARY, FLAGS));
      return 0;
    }
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    // The same builder as install, so both commands agree on the name and namespace.
    const plan = buildInstallPlan({
      files: readFiles(flags.filename as string[]),
      setFlags: [],
      revision: typeof flags.revision === 'string' ? flags.revision : undefined,
    });
    const cluster = clusterFlags(flags);
    const { client } = cluster;
    await requireIopCrd(client);
    const ref = iopRef(plan.name, plan.namespace);
    if (!(await client.get(ref))) {
      throw new InstallError(`IstioOperator ${plan.namespace}/${plan.name} not found: nothing to uninstall`);
    }
    io.out(
      `Delete IstioOperator ${plan.namespace}/${plan.name} and everything the operator installed for it.\n`,
    );
    if (!cluster.yes) {
      io.out('Proceed? (y/N) ');
      const no = refusal(await readAnswer(io.stdin), 'uninstall');
      if (no) throw new InstallError(no);
    }
    await client.delete(ref);
    io.out(
      `IstioOperator ${plan.namespace}/${plan.name} deleted; waiting for the operator to remove its objects\n`,
    );
    await waitGone(client, ref, {
      timeoutMs: cluster.timeoutMs,
      operatorGraceMs: cluster.operatorGraceMs,
      pollMs: 1000,
      print: (line) => io.out(`${line}\n`),
    });
    io.out(`✔ Uninstalled: IstioOperator ${plan.namespace}/${plan.name} and its objects are gone\n`);
    return 0;
  });
}

export const uninstall: Command = {
  name: 'uninstall',
  summary: SUMMARY,
  run: (argv) => runUninstall(argv, processIo()),
};
