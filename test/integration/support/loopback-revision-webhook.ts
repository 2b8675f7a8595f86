// The real webhook in-process on loopback, serving one revision from the ConfigMaps in a control-plane
// namespace (istio-sidecar-injector-<rev>, istio-<rev>), registered with the apiserver by URL through a
// revision MutatingWebhookConfiguration, and the real operator in-process for that namespace. For suites
// that let the operator install a revision and watch its pods get injected (upgrade, sidecar rollout).
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { OperatorManager } from '../../../operator/controller/manager';
import { chartRender } from './chart-render';
import { admissionApi } from './cluster';
import { startLoopbackWebhook } from './loopback-webhook';
import { startOperatorManager } from './operator-manager';
import { revisionWebhookConfiguration } from './revision-webhook';

export interface LoopbackRevisionWebhook {
  /** Deregisters the configuration (if still there) and stops the server. */
  stop(): Promise<void>;
}

export async function startLoopbackRevisionWebhook(o: {
  kubeConfig: KubeConfig;
  /** The operator's control-plane namespace, where the revision's ConfigMaps live. */
  istioNamespace: string;
  revision: string;
  /** Name of the MutatingWebhookConfiguration to register. */
  configurationName: string;
  logDir: string;
}): Promise<LoopbackRevisionWebhook> {
  const { webhook, ca, url } = await startLoopbackWebhook({
    commonName: `meshwright-${o.revision}-test`,
    istioNamespace: o.istioNamespace,
    nativeSidecars: 'auto',
    kubeConfig: o.kubeConfig,
    logStream: createWriteStream(join(o.logDir, `webhook-${o.revision}.log`)),
  });
  await admissionApi().createMutatingWebhookConfiguration({
    body: revisionWebhookConfiguration(o.configurationName, url, ca.certPem, o.revision),
  });
  return {
    stop: async () => {
      await admissionApi()
        .deleteMutatingWebhookConfiguration({ name: o.configurationName })
        .catch(() => undefined);
      await webhook.stop(0);
    },
  };
}

/**
 * A fresh in-process OperatorManager watching only one namespace (a restart is: stop it, start another),
 * rendering through the release's charts (releasesDir, default ../shared/reference; the operator's default
 * version 1.30.3), logging at debug to its own file. Pods
 * are not watched: a HEALTHY IstioOperator is re-queued when its sidecar census expires (every 2 s here).
 */
export function startNamespaceOperator(o: {
  kubeConfig: KubeConfig;
  namespace: string;
  releasesDir?: string;
  identity: string;
  logFile: string;
}): Promise<OperatorManager> {
  return startOperatorManager({
    kc: o.kubeConfig,
    namespace: o.namespace,
    identity: o.identity,
    logFile: o.logFile,
    render: chartRender({ releasesDir: o.releasesDir }),
    sidecarCensusTtlMs: 2000,
  });
}
