import type { V1Node } from '@kubernetes/client-node';
import { kubeletVersions, slimNode } from '../../../webhook/config/nodes';

describe('kubeletVersions', () => {
  it('collects the versions nodes report', () => {
    const nodes: V1Node[] = [
      { status: { nodeInfo: { kubeletVersion: 'v1.33.1' } as NonNullable<V1Node['status']>['nodeInfo'] } },
      { status: {} },
    ];
    expect(kubeletVersions(nodes)).toEqual(['v1.33.1']);
  });
});

describe('slimNode', () => {
  it('keeps the cache keys and the kubelet version only', () => {
    const node = {
      metadata: {
        name: 'n1',
        uid: 'u',
        resourceVersion: '7',
        labels: { a: 'b' },
        annotations: { big: 'x'.repeat(1000) },
      },
      status: {
        nodeInfo: { kubeletVersion: 'v1.35.8', osImage: 'linux' },
        images: [{ names: ['a'], sizeBytes: 1 }],
      },
    } as unknown as V1Node;
    expect(slimNode(node)).toEqual({
      metadata: { name: 'n1', uid: 'u', resourceVersion: '7' },
      status: { nodeInfo: { kubeletVersion: 'v1.35.8' } },
    });
    expect(kubeletVersions([slimNode(node)])).toEqual(['v1.35.8']);
  });
});
