// The operator and the webhook as background processes of the demo: detached (they outlive `make demo`),
// one log file each under .cluster/logs/, stopped by `demo down` through their recorded pid.
import { renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, tailFile, type RunningProcess } from '../cluster/processes';

export interface ComponentPorts {
  webhook: number;
  webhookMetrics: number;
  webhookHealth: number;
  operatorMetrics: number;
  operatorHealth: number;
}

export interface StartComponentOptions {
  root: string;
  /** One kubeconfig per program: each runs as its own ServiceAccount. */
  kubeconfig: { operator: string; webhook: string };
  logsDir: string;
  ports: ComponentPorts;
  /** Host (IP or DNS name) the apiserver dials; added to the self-signed certificate's names. */
  webhookHost: string;
  /** Address the webhook listens on. */
  listenHost: string;
  /**
   * What the operator renders with: the pinned helm, and optionally a local releases dir (else the operator's
   * chain: its cache, then the official download of the default version).
   */
  render: { helm: string; releasesDir?: string };
  /**
   * The upgrade demo: the operator installs each revision's injection webhooks and the revision tags'
   * webhooks calling the webhook at this base URL (https://host:port), and no static registration is made.
   */
  injectionUrl?: string;
}

const cliPath = (root: string) => join(root, 'bin', 'meshwright.js');

export function webhookArgs(o: StartComponentOptions): string[] {
  return [
    cliPath(o.root),
    'webhook',
    '--self-signed',
    // The apiserver dials the URL's host, so the certificate must name it (IP or DNS).
    `--self-signed-san=${o.webhookHost}`,
    '--webhook-namespace=meshwright-system',
    // No --webhook-config: the CA goes into every registration labelled meshwright.io/injection-webhook (the
    // plain demo's static one and the operator's), the only ones config/rbac lets the webhook update.
    '--istio-namespace=istio-system',
    `--kubeconfig=${o.kubeconfig.webhook}`,
    `--host=${o.listenHost}`,
    `--port=${o.ports.webhook}`,
    `--metrics-port=${o.ports.webhookMetrics}`,
    `--health-port=${o.ports.webhookHealth}`,
  ];
}

export function operatorArgs(o: StartComponentOptions): string[] {
  return [
    cliPath(o.root),
    'operator',
    `--kubeconfig=${o.kubeconfig.operator}`,
    '--leader-elect',
    '--leader-election-namespace=meshwright-system',
    `--metrics-port=${o.ports.operatorMetrics}`,
    `--health-port=${o.ports.operatorHealth}`,
    `--helm=${o.render.helm}`,
    ...(o.render.releasesDir ? [`--releases-dir=${o.render.releasesDir}`] : []),
    ...(o.injectionUrl ? [`--injection-url=${o.injectionUrl}`] : []),
  ];
}

/** Each run starts a fresh log; the previous run's is kept as <name>.log.1. */
function freshLog(dir: string, name: string): string {
  const file = join(dir, `${name}.log`);
  if (existsSync(file)) renameSync(file, `${file}.1`);
  return file;
}

export function startWebhook(o: StartComponentOptions): RunningProcess {
  return startProcess('webhook', process.execPath, webhookArgs(o), freshLog(o.logsDir, 'webhook'));
}

export function startOperator(o: StartComponentOptions): RunningProcess {
  return startProcess('operator', process.execPath, operatorArgs(o), freshLog(o.logsDir, 'operator'));
}

/** Why a process we started is no longer running, with the end of its log; undefined while it runs. */
export function deathNotice(p: RunningProcess): string | undefined {
  const exit = p.exited();
  if (!exit) return undefined;
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return `${p.name} stopped (${how}); last lines of ${p.logFile}:\n${tailFile(p.logFile, 15)}`;
}
