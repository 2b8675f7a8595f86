// The operator's wire client against the real apiserver: lists come in pages (limit/continue), so a
// cluster's pods are never one huge response to parse, and the pages add up to the whole list.
import type { KubernetesObject } from '@kubernetes/client-node';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { createTestNamespace, deleteNamespace, kubeConfig } from './support/cluster';

jest.setTimeout(60_000);

let ns = '';

beforeAll(async () => {
  ns = await createTestNamespace('kube-client');
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

describe('RawKubeClient.list', () => {
  it('follows continue tokens across pages and returns every object once', async () => {
    const writer = new RawKubeClient(kubeConfig());
    const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
    for (const name of names) {
      const cm: KubernetesObject & { data: Record<string, string> } = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: ns, labels: { set: 'paged' } },
        data: { i: name },
      };
      await writer.create(cm);
    }
    const paged = await new RawKubeClient(kubeConfig(), 3).list('v1', 'ConfigMap', 'set=paged', ns);
    const whole = await new RawKubeClient(kubeConfig(), 100).list('v1', 'ConfigMap', 'set=paged', ns);
    const sorted = (l: typeof paged) => l.items.map((o) => o.metadata?.name).sort();
    expect(sorted(paged)).toEqual(names);
    expect(sorted(whole)).toEqual(names);
    // Items keep their kind, and the list its snapshot's resourceVersion.
    expect(paged.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap')).toBe(true);
    expect(Number(paged.resourceVersion)).toBeGreaterThan(0);
    // listPages hands over each page before reading the next, in pages of the size asked for.
    const pages: string[][] = [];
    await writer.listPages(
      'v1',
      'ConfigMap',
      (items) => void pages.push(items.map((o) => o.metadata?.name ?? '')),
      {
        labelSelector: 'set=paged',
        pageSize: 2,
      },
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat().sort()).toEqual(names);
  });
});
