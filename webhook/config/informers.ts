// Cluster mode: informers on the Istio namespace's ConfigMaps, on Nodes (kubelet versions for native
// sidecars `auto`) and on Namespaces (labels/annotations handed to the engine), feeding a ConfigStore.
import {
  CoreV1Api,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  ListWatch,
  makeInformer,
  type ObjectCache,
  type V1ConfigMap,
  type V1Namespace,
  type V1Node,
  type V1NodeSystemInfo,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from '../../lib/log';
import { errorMessage } from '../../lib/log';
import type { NativeSidecarMode } from '../inject/api';
import { buildFromConfigMaps, type ConfigMapBuilder } from './configmaps';
import { ConfigStore } from './store';

const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Keeps one informer running: client-node's ListWatch stops for good on a list or watch error, so it
 * is restarted with exponential backoff. `synced` turns true after the first successful list.
 */
export class ManagedInformer<T extends KubernetesObject> {
  synced = false;
  private errors = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly informer: Informer<T> & ObjectCache<T>,
    private readonly log: Logger,
  ) {
    informer.on('error', (err: unknown) => {
      this.errors++;
      if (this.stopped) return;
      this.log.warn('informer failed, restarting', { informer: name, error: errorMessage(err), retryMs: this.backoffMs });
      this.timer = setTimeout(() => void this.attempt(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  start(): void {
    void this.attempt();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const before = this.errors;
    try {
      await this.informer.start();
    } catch (err) {
      // start() reports through the error callback; a throw here is unexpected but must not leak.
      this.log.warn('informer start threw', { informer: this.name, error: errorMessage(err) });
      return;
    }
    if (this.errors !== before || this.stopped) return;
    this.backoffMs = INITIAL_BACKOFF_MS;
    if (!this.synced) {
      this.synced = true;
      this.log.info('informer synced', { informer: this.name });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }
}

export interface ClusterConfigOptions {
  kubeConfig: KubeConfig;
  istioNamespace: string;
  nativeSidecars: NativeSidecarMode;
  log: Logger;
  onGeneration?(generation: number): void;
  build?: ConfigMapBuilder;
}

export interface ClusterConfig {
  store: ConfigStore;
  /** Why the configuration is not ready yet, or undefined once every informer synced. */
  notReadyReason(): string | undefined;
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Node reduced to what the injector reads. Full Nodes carry image lists and conditions (tens of KiB
 * each); the cache of a large cluster would otherwise cost hundreds of MiB.
 */
export function slimNode(node: V1Node): V1Node {
  const { name, uid, resourceVersion } = node.metadata ?? {};
  const kubeletVersion = node.status?.nodeInfo?.kubeletVersion;
  return {
    metadata: { name, uid, resourceVersion },
    // Only kubeletVersion is kept; the other required fields of NodeSystemInfo are never read.
    status: kubeletVersion ? { nodeInfo: { kubeletVersion } as V1NodeSystemInfo } : {},
  };
}

/** A Watch that hands reduced objects to the informer (list results are reduced by the list function). */
class SlimmingWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly slim: (obj: V1Node) => V1Node,
  ) {
    super(kc);
  }

  override watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      params,
      (phase, obj: unknown, watchObj) =>
        callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.slim(obj as V1Node) : obj, watchObj),
      done,
    );
  }
}

export function makeNodeInformer(kc: KubeConfig, core: CoreV1Api): Informer<V1Node> & ObjectCache<V1Node> {
  return new ListWatch<V1Node>(
    '/api/v1/nodes',
    new SlimmingWatch(kc, slimNode),
    async () => {
      const list = await core.listNode();
      return { ...list, items: list.items.map(slimNode) };
    },
    false,
  );
}

export function kubeletVersions(nodes: readonly V1Node[]): string[] {
  return nodes.map((n) => n.status?.nodeInfo?.kubeletVersion).filter((v): v is string => !!v);
}

export function startClusterConfig(opts: ClusterConfigOptions): ClusterConfig {
  const { kubeConfig, istioNamespace, log } = opts;
  const core = kubeConfig.makeApiClient(CoreV1Api);

  const namespaces = new ManagedInformer<V1Namespace>(
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
        opts.onGeneration?.(generation);
      },
      onError: (revision, message) => log.error('invalid injection configuration, keeping the previous one', { revision, error: message }),
    },
  );
  const configMaps = new ManagedInformer<V1ConfigMap>(
    'configmaps',
    makeInformer(kubeConfig, `/api/v1/namespaces/${istioNamespace}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: istioNamespace }),
    ),
    log,
  );
  configMaps.informer.on('add', (cm) => store.upsertConfigMap(cm));
  configMaps.informer.on('update', (cm) => store.upsertConfigMap(cm));
  configMaps.informer.on('delete', (cm) => store.deleteConfigMap(cm));

  const nodes = new ManagedInformer<V1Node>('nodes', makeNodeInformer(kubeConfig, core), log);
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
