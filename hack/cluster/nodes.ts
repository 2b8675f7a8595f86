// Fake nodes for kwok: Node objects that kwok adopts (by annotation) and keeps Ready, so the scheduler
// places pods on them and kwok marks those pods Running/Ready without any kubelet.
import type { CoreV1Api, V1Node } from '@kubernetes/client-node';

export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export function fakeNode(name: string, kubeletVersion: string): V1Node {
  // Sized for thousands of pods: scale tests must hit the control plane's limits, not the nodes'.
  const resources = { cpu: '1000', memory: '4Ti', pods: '10000', 'ephemeral-storage': '10Ti' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: {},
    // A kubelet registers its node with status; kwok keeps these values and fills conditions.
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'kwok',
        osImage: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
}

/** Creates the nodes (idempotent: an existing node is left alone). */
export async function createFakeNodes(
  api: CoreV1Api,
  names: readonly string[],
  kubeletVersion: string,
): Promise<void> {
  for (const name of names) {
    try {
      await api.createNode({ body: fakeNode(name, kubeletVersion) });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** True when every named node has condition Ready=True. */
export async function nodesReady(api: CoreV1Api, names: readonly string[]): Promise<boolean> {
  const list = await api.listNode();
  return names.every((n) => {
    const node = list.items.find((i) => i.metadata?.name === n);
    return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
}
