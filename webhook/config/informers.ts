// Cluster mode: informers on the Istio namespace's ConfigMaps, on Nodes (kubelet versions for native
// sidecars `auto`) and on Namespaces (labels/annotations handed to the engine), feeding a ConfigStore.
import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  type V1ConfigMap,
  type V1Namespace,
  type V1Node,
} from '@kubernetes/client-node';
import type { Logger } from '../../lib/log';
import type { NativeSidecarMode } from '../../inject/api';
import { versionNotice, type ResolvedVersion } from '../../inject/versions';
import type { TemplateProblem } from '../../inject/templates';
import { buildFromConfigMaps, type ConfigMapBuilder } from './configmaps';
import { RestartingInformer } from '../../lib/kube/restarting-informer';
import { kubeletVersions, makeNodeInformer } from './nodes';
import { ConfigStore } from './store';

export interface ClusterConfigOptions {
  kubeConfig: KubeConfig;
  istioNamespace: string;
  nativeSidecars: NativeSidecarMode;
  log: Logger;
  onGeneration?(generation: number): void;
  /** A revision's templates were compiled: those that cannot be executed (empty when all can). */
  onTemplateProblems?(revision: string, problems: TemplateProblem[]): void;
  /** A revision's configuration changed: which Istio version it injects as (see inject/versions.ts). */
  onRevisionVersion?(revision: string, version: ResolvedVersion): void;
  build?: ConfigMapBuilder;
}

export interface ClusterConfig {
  store: ConfigStore;
  /** Why the configuration is not ready yet, or undefined once every informer synced. */
  notReadyReason(): string | undefined;
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

export function startClusterConfig(opts: ClusterConfigOptions): ClusterConfig {
  const { kubeConfig, istioNamespace, log } = opts;
  const core = kubeConfig.makeApiClient(CoreV1Api);

  const namespaces = new RestartingInformer<V1Namespace>(
    'namespaces',
    makeInformer(kubeConfig, '/api/v1/namespaces', () => core.listNamespace()),
    log,
  );
  const store = new ConfigStore(
    istioNamespace,
    opts.build ?? buildFromConfigMaps,
    opts.nativeSidecars,
    (name) => namespaces.informer.get(name),
    {
      onChange: (revision, generation) => {
        log.info('injection configuration changed', { revision, generation });
        // A revision of a version this build does not know exactly is injected as the nearest known one.
        const found = store.lookup(revision);
        const version = 'config' in found ? found.config.version : undefined;
        const notice = version ? versionNotice(revision, version) : undefined;
        if (notice) log.warn('injecting a revision as the nearest known Istio version', { revision, detail: notice });
        if (version) opts.onRevisionVersion?.(revision, version);
        opts.onGeneration?.(generation);
      },
      onError: (revision, message) => log.error('invalid injection configuration, keeping the previous one', { revision, error: message }),
      onTemplateProblems: (revision, problems) => {
        for (const p of problems) {
          log.error('injection template cannot be executed; pods selecting it are rejected', {
            revision,
            template: p.template,
            error: p.error,
          });
        }
        opts.onTemplateProblems?.(revision, problems);
      },
    },
  );
  const configMaps = new RestartingInformer<V1ConfigMap>(
    'configmaps',
    makeInformer(kubeConfig, `/api/v1/namespaces/${istioNamespace}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: istioNamespace }),
    ),
    log,
  );
  configMaps.informer.on('add', (cm) => store.upsertConfigMap(cm));
  configMaps.informer.on('update', (cm) => store.upsertConfigMap(cm));
  configMaps.informer.on('delete', (cm) => store.deleteConfigMap(cm));

  const nodes = new RestartingInformer<V1Node>('nodes', makeNodeInformer(kubeConfig, core), log);
  const refreshNodes = () => store.setNodeVersions(kubeletVersions(nodes.informer.list()));
  nodes.informer.on('add', refreshNodes);
  nodes.informer.on('update', refreshNodes);
  nodes.informer.on('delete', refreshNodes);

  const all = [configMaps, nodes, namespaces];
  for (const i of all) i.start();
  const synced = Promise.all(all.map((i) => i.waitForSync())).then(() => {
    refreshNodes();
    store.markSynced();
  });
  return {
    store,
    notReadyReason: () => {
      const pending = all.filter((i) => !i.synced).map((i) => i.name);
      if (pending.length > 0) return `waiting for informers: ${pending.join(', ')}`;
      return store.ready() ? undefined : 'configuration not loaded';
    },
    waitForSync: () => synced,
    stop: async () => {
      await Promise.all(all.map((i) => i.stop()));
    },
  };
}
