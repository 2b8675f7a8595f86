// The operator and the webhook as background processes of the demo: detached (they outlive `make demo`),
// one log file each under .cluster/logs/, stopped by `demo down` through their recorded pid.
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
  kubeconfig: string;
  logsDir: string;
  ports: ComponentPorts;
  /** Host name the apiserver dials; also the self-signed certificate's first DNS name. */
  webhookHost: string;
  /** Address the webhook listens on. */
  listenHost: string;
}

const cliPath = (root: string) => join(root, 'bin', 'meshwright.js');

export function webhookArgs(o: StartComponentOptions): string[] {
  return [
    cliPath(o.root),
    'webhook',
    '--self-signed',
    // The self-signed certificate's DNS names are <service>, <service>.<ns>, ...: naming the "service"
    // after the host the apiserver dials makes the first one match (the server has no IP-SAN flag).
    `--webhook-service=${o.webhookHost}`,
    '--webhook-namespace=meshwright-system',
    '--webhook-config=meshwright-sidecar-injector',
    '--istio-namespace=istio-system',
    `--kubeconfig=${o.kubeconfig}`,
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
    `--kubeconfig=${o.kubeconfig}`,
    '--leader-elect',
    '--leader-election-namespace=meshwright-system',
    `--metrics-port=${o.ports.operatorMetrics}`,
    `--health-port=${o.ports.operatorHealth}`,
  ];
}

export function startWebhook(o: StartComponentOptions): RunningProcess {
  return startProcess('webhook', process.execPath, webhookArgs(o), join(o.logsDir, 'webhook.log'));
}

export function startOperator(o: StartComponentOptions): RunningProcess {
  return startProcess('operator', process.execPath, operatorArgs(o), join(o.logsDir, 'operator.log'));
}

/** Why a process we started is no longer running, with the end of its log; undefined while it runs. */
export function deathNotice(p: RunningProcess): string | undefined {
  const exit = p.exited();
  if (!exit) return undefined;
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return `${p.name} stopped (${how}); last lines of ${p.logFile}:\n${tailFile(p.logFile, 15)}`;
}
