// `meshwright status`: every IstioOperator in the cluster (or one namespace) with its revision, Istio
// version, status, sidecar counts and rollout progress, as a table or JSON. Reads only; the shaping and
// the table are status-report.ts.
import { parseFlags, usage, UsageError, type FlagSpec } from '../lib/flags';
import { RawKubeClient } from '../operator/controller/kube/raw-object-api';
import { IOP_API_VERSION, IOP_KIND } from '../operator/api/types';
import type { Command } from './commands';
import { kubeConfigFor, requireIopCrd } from './install-cluster';
import { processIo, reportErrors, type CliIo } from './install';
import { renderStatusTable, statusReport } from './status-report';

const SUMMARY = 'Show every control-plane revision: version, status, outdated sidecars and rollout progress';

const FLAGS: Record<string, FlagSpec> = {
  kubeconfig: {
    kind: 'string',
    alias: 'c',
    help: 'Kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)',
  },
  context: { kind: 'string', help: 'Kubeconfig context to use (default: its current context)' },
  namespace: { kind: 'string', alias: 'n', help: 'Only IstioOperators in this namespace (default: all)' },
  output: { kind: 'string', alias: 'o', default: 'table', help: 'Output format: table or json' },
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

export async function runStatus(argv: string[], io: CliIo): Promise<number> {
  return reportErrors('status', io, async () => {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      io.out(usage('status', SUMMARY, FLAGS));
      return 0;
    }
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    const output = String(flags.output);
    if (output !== 'table' && output !== 'json')
      throw new UsageError(`--output must be table or json, not ${JSON.stringify(output)}`);
    const namespace =
      typeof flags.namespace === 'string' && flags.namespace !== '' ? flags.namespace : undefined;
    const kc = kubeConfigFor(
      typeof flags.kubeconfig === 'string' ? flags.kubeconfig : undefined,
      typeof flags.context === 'string' ? flags.context : undefined,
    );
    const client = new RawKubeClient(kc);
    await requireIopCrd(client);
    // Listed in the namespace when given, so a user with rights in one namespace can use it.
    const { items } = await client.list(IOP_API_VERSION, IOP_KIND, undefined, namespace);
    // Revision tags, when their CRD is installed and readable (an older install has none).
    const tags = await client.list('meshwright.io/v1alpha1', 'IstioRevisionTag').then(
      (l) => l.items,
      () => [],
    );
    const report = statusReport(items, tags);
    io.out(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderStatusTable(report));
    return 0;
  });
}

export const status: Command = {
  name: 'status',
  summary: SUMMARY,
  run: (argv) => runStatus(argv, processIo()),
};
