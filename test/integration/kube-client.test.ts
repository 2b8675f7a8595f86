// The operator's wire client (the lean client, lib/kube) against the real apiserver: lists come in pages (limit/continue), so a
// cluster's pods are never one huge response to parse, and the pages add up to the whole list.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { RawKubeClient } from '../../operator/controller/kube/raw-object-api';
import { createTestNamespace, deleteNamespace, kubeConfig, kubeconfigPath } from './support/cluster';
import { connectionFromKubeconfig, loadKubeConnection, mergeKubeconfigs } from '../../lib/kube/config-loader';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { ListWatch } from '../../lib/kube/informer';
import { apiMessage, isConflict, statusCode } from '../../operator/controller/kube/api-errors';
import { isKindNotServed, servesKind } from '../../operator/controller/kube/served-kind';
import { serverKubeVersion } from '../../operator/controller/kube/server-version';
import { KubeLeaseStore } from '../../operator/controller/leader/lease-store';

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

// The same client built from the lean kubeconfig loader (no client-node), against the real apiserver.
describe('lean client from the kubeconfig file', () => {
  const lean = () => new RawKubeClient(loadKubeConnection(kubeconfigPath()));
  const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });

  it('reads a large body of multi-byte text whole, however its chunks split the characters', async () => {
    const c = lean();
    // 2-, 3- and 4-byte characters in a body of several TLS records: some straddle a chunk boundary.
    const text = 'é€🙂a'.repeat(40_000);
    await c.create({
      ...cmRef('utf8'),
      metadata: { name: 'utf8', namespace: ns },
      data: { text },
    } as KubernetesObject);
    const got = (await c.get(cmRef('utf8'))) as KubernetesObject & { data?: Record<string, string> };
    expect(Buffer.byteLength(text)).toBeGreaterThan(300_000);
    expect(got.data?.text === text).toBe(true);
  });

  it('creates, reads, applies (SSA), patches and deletes, with errors carrying the Status', async () => {
    const c = lean();
    const created = await c.create({ ...cmRef('crud'), metadata: { name: 'crud', namespace: ns } });
    expect(created.metadata?.uid).toBeTruthy();
    await expect(
      c.create({ ...cmRef('crud'), metadata: { name: 'crud', namespace: ns } }),
    ).rejects.toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
    const applied = (await c.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'crud', namespace: ns },
        data: { a: '1' },
      } as never,
      'lean-test',
      true,
    )) as { data?: Record<string, string>; metadata?: { managedFields?: { manager?: string }[] } };
    expect(applied.data).toEqual({ a: '1' });
    expect(applied.metadata?.managedFields?.some((f) => f.manager === 'lean-test')).toBe(true);
    await c.mergePatch(cmRef('crud'), { data: { b: '2' } });
    await c.jsonPatch(cmRef('crud'), [{ op: 'add', path: '/data/c', value: '3' }]);
    const read = (await c.get(cmRef('crud'))) as { data?: Record<string, string> } | undefined;
    expect(read?.data).toEqual({ a: '1', b: '2', c: '3' });
    // A conditional replace with a stale resourceVersion is a conflict.
    const stale = await c
      .replace({ ...cmRef('crud'), metadata: { name: 'crud', namespace: ns, resourceVersion: '1' } })
      .catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect(apiMessage(stale)).toMatch(/has been modified/);
    expect(await c.delete(cmRef('crud'))).toBe(true);
    expect(await c.delete(cmRef('crud'))).toBe(false);
    expect(await c.get(cmRef('crud'))).toBeUndefined();
    // An invalid object: the apiserver's message reaches the caller.
    const bad = await c
      .create({ ...cmRef('Bad_Name'), metadata: { name: 'Bad_Name', namespace: ns } })
      .catch((e) => e);
    expect(statusCode(bad)).toBe(422);
    expect(apiMessage(bad)).toContain('Bad_Name');
  });

  it('knows which kinds are served, and lists an unserved one as empty', async () => {
    const c = lean();
    expect(await c.resource('apps/v1', 'Deployment')).toEqual({ plural: 'deployments', namespaced: true });
    expect(await c.resource('v1', 'Namespace')).toEqual({ plural: 'namespaces', namespaced: false });
    expect(await servesKind(c, 'k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition')).toBe(false);
    expect((await c.list('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition')).items).toEqual([]);
    const err = await c
      .get({ apiVersion: 'apps/v1', kind: 'NoSuchKind', name: 'x', namespace: ns })
      .catch((e) => e);
    expect(isKindNotServed(err)).toBe(true);
    expect(await serverKubeVersion(loadKubeConnection(kubeconfigPath()))).toMatch(/^1\.\d+\.\d+$/);
  });

  it('watches: events after the list, also when the watch starts from a very old resourceVersion', async () => {
    const c = lean();
    let lists = 0;
    const w = new ListWatch<KubernetesObject>(c.http, {
      path: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: 'set=watched',
      list: async () => {
        const l = await c.list('v1', 'ConfigMap', 'set=watched', ns);
        // The first watch starts from a very old resourceVersion (replayed, or 410 Gone and a relist).
        return ++lists === 1 ? { ...l, resourceVersion: '1' } : l;
      },
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    w.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    w.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    w.on('error', (e) => errors.push(e));
    await c.create({ ...cmRef('w1'), metadata: { name: 'w1', namespace: ns, labels: { set: 'watched' } } });
    await w.start();
    await c.create({ ...cmRef('w2'), metadata: { name: 'w2', namespace: ns, labels: { set: 'watched' } } });
    await c.delete(cmRef('w1'));
    const until = Date.now() + 20_000;
    while (Date.now() < until && !seen.includes('delete w1')) await new Promise((r) => setTimeout(r, 100));
    await w.stop();
    expect(errors).toEqual([]);
    // This fresh apiserver still serves RV 1 (etcd is not compacted yet), so the answer is either the
    // replayed history or 410 and a relist; both must end in the same cache and events. The 410 path
    // itself is pinned by test/unit/kube/informer.test.ts.
    expect(w.relists).toBeLessThanOrEqual(1);
    expect(seen).toEqual(['add w1', 'add w2', 'delete w1']);
    expect(w.list().map((o) => o.metadata?.name)).toEqual(['w2']);
  });

  it('writes a Lease with MicroTime times the apiserver accepts and reads them back', async () => {
    const store = new KubeLeaseStore(lean().http, ns, 'lean-lease');
    const t = Date.UTC(2026, 11, 4, 21, 0, 0, 123);
    const record = {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: t,
      renewTime: t + 1,
      leaseTransitions: 0,
    };
    const created = await store.create(record);
    const got = await store.get();
    expect(got?.record).toEqual(record);
    // Each write returns the version it wrote: the leader's next renewal needs no read.
    expect(created).toMatch(/^\d+$/);
    expect(got?.version).toBe(created);
    const renewed = await store.update({ ...record, renewTime: t + 2_000 }, created);
    const after = await store.get();
    expect(after?.record.renewTime).toBe(t + 2_000);
    expect(after?.version).toBe(renewed);
    expect(renewed).not.toBe(created);
    // A write with the stale version loses: two candidates cannot both win.
    expect(isConflict(await store.update(record, got?.version ?? '').catch((e: unknown) => e))).toBe(true);
  });
});

// Issue #14: the operator process must not carry @kubernetes/client-node (+82 MiB RSS). The built CLI
// (`npm run build` first) is run as `meshwright operator --help` in a fresh node, whose module resolve
// hook and require cache record every client-node module loaded (client-node 2 is ESM, loaded through
// require(esm): both see it). `webhook --help`, which keeps client-node, shows the probe detects it.
describe('the operator process loads no @kubernetes/client-node module', () => {
  const probe = `
    const mod = require('node:module');
    let resolved = 0;
    mod.registerHooks({ resolve(spec, ctx, next) {
      const r = next(spec, ctx);
      if (r.url.includes('@kubernetes/client-node')) resolved++;
      return r;
    } });
    require(process.argv[1]).run(process.argv.slice(2)).then((code) => {
      const cached = Object.keys(require.cache).filter((k) => k.includes('@kubernetes/client-node')).length;
      process.stderr.write('PROBE ' + JSON.stringify({ code, resolved, cached }) + '\\n');
    });`;
  const run = (...argv: string[]) => {
    const out = spawnSync(
      process.execPath,
      ['-e', probe, join(__dirname, '../../dist/cli/main.js'), ...argv],
      {
        encoding: 'utf8',
      },
    );
    const line = /PROBE (.*)/.exec(out.stderr)?.[1];
    if (!line) throw new Error(`probe failed: ${out.stderr}`);
    return JSON.parse(line) as { code: number; resolved: number; cached: number };
  };

  it('meshwright operator loads none; the probe does see the webhook load it', () => {
    expect(run('operator', '--help')).toEqual({ code: 0, resolved: 0, cached: 0 });
    const webhook = run('webhook', '--help');
    expect(webhook.code).toBe(0);
    expect(webhook.resolved).toBeGreaterThan(100);
    expect(webhook.cached).toBeGreaterThan(0);
  });
});

// Exec credential plugins are left to client-node, imported on first use: a kubeconfig whose user runs a
// plugin printing the admin token (as an ExecCredential) reaches the apiserver through the lean client.
describe('lean client with an exec credential plugin', () => {
  it('authorises through client-node, loaded lazily', async () => {
    const admin = mergeKubeconfigs([
      { file: kubeconfigPath(), text: readFileSync(kubeconfigPath(), 'utf8') },
    ]);
    const token = connectionFromKubeconfig(admin)
      .authorization?.()
      ?.replace(/^Bearer /, '');
    expect(token).toBeTruthy();
    const cluster = [...admin.clusters.values()][0];
    const dir = mkdtempSync(join(tmpdir(), 'exec-kubeconfig-'));
    const plugin = join(dir, 'plugin.js');
    writeFileSync(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(token)} } }));`,
    );
    const file = join(dir, 'config');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'exec',
        clusters: [{ name: 'c', cluster: cluster.body }],
        users: [
          {
            name: 'e',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: process.execPath,
                args: [plugin],
                interactiveMode: 'Never',
              },
            },
          },
        ],
        contexts: [{ name: 'exec', context: { cluster: 'c', user: 'e', namespace: ns } }],
      }),
    );
    const conn = loadKubeConnection(file);
    expect(conn.authorization).toBeUndefined();
    expect(typeof conn.applyAuth).toBe('function');
    const c = new RawKubeClient(conn);
    const got = await c.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    expect(got?.metadata?.name).toBe(ns);
    c.http.close();
  });
});
