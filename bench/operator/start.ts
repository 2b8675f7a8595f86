// `meshwright operator` as the benches run it: the built CLI with leader election, the reference releases and
// helm (releases.ts), and the Node flags and environment it is deployed with (config/manager/operator.yaml:
// its V8 heap settings and malloc arenas shape RSS), started and waited for until /healthz answers.
import { join } from 'node:path';
import { freePorts } from '../../hack/cluster/ports';
import { httpGet } from '../../hack/cluster/readiness';
import { type Child, startChild, waitFor } from '../common/children';
import { deployedExtraEnv, deployedNodeFlags } from '../webhook/run';
import { operatorReleaseFlags, type BenchReleases } from './releases';

export interface BenchOperatorOptions {
  root: string;
  releases: BenchReleases;
  kubeconfig: string;
  leaseNamespace: string;
  logFile: string;
  /** Further flags (`--sidecar-census-interval=...`, `--injection-url=...`). */
  args?: readonly string[];
}

export interface BenchOperator {
  child: Child;
  metricsPort: number;
  healthPort: number;
  /** The Node flags and extra environment it runs with, for the report. */
  nodeFlags: string[];
  env: Record<string, string>;
}

/**
 * The operator's node flags in a bench: the deployed ones first, then extra ones, e.g.
 * BENCH_OPERATOR_NODE_FLAGS=--trace-gc for GC pauses in the log.
 */
export function benchOperatorNodeFlags(root: string): string[] {
  return [
    ...deployedNodeFlags(root, 'operator'),
    ...(process.env.BENCH_OPERATOR_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
}

export async function startBenchOperator(o: BenchOperatorOptions): Promise<BenchOperator> {
  const [metricsPort, healthPort] = await freePorts(2);
  const nodeFlags = benchOperatorNodeFlags(o.root);
  const env = deployedExtraEnv(o.root, 'operator');
  const child = startChild(
    'operator',
    [
      join(o.root, 'bin', 'meshwright.js'),
      'operator',
      `--kubeconfig=${o.kubeconfig}`,
      '--leader-elect',
      `--leader-election-namespace=${o.leaseNamespace}`,
      `--metrics-port=${metricsPort}`,
      `--health-port=${healthPort}`,
      ...(o.args ?? []),
      // The release's charts through the pinned helm, from local releases (the bench has no network).
      ...operatorReleaseFlags(o.releases),
    ],
    o.logFile,
    nodeFlags,
    env,
  );
  await waitFor(
    'operator /healthz',
    async () => (await httpGet({ url: `http://127.0.0.1:${healthPort}/healthz` })).status === 200,
    60_000,
    child,
  );
  return { child, metricsPort, healthPort, nodeFlags, env };
}

/** `K=V ...` of an environment, for a report line. */
export function describeEnv(env: Record<string, string>): string {
  return (
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '(none)'
  );
}
