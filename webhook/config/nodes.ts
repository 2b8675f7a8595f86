// The Node informer of the injector: kubelet versions decide native sidecars under `auto`.
import {
  type CoreV1Api,
  type Informer,
  type KubeConfig,
  ListWatch,
  type ObjectCache,
  type V1Node,
  type V1NodeSystemInfo,
  Watch,
} from '@kubernetes/client-node';

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
