// The test rig itself: the local control plane schedules and runs pods on kwok nodes, and calls
// admission webhooks served on loopback with certificates from lib/certs.ts.
import { VersionApi, type V1Deployment } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readVersions, repoRoot } from '../../hack/cluster/binaries';
import { isAlive, isSameProcess, startProcess, stopProcess } from '../../hack/cluster/processes';
import { selfSignedServing } from '../../lib/certs';
import { errorMessage } from '../../lib/errors';
import {
  admissionApi,
  appsApi,
  clusterDir,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
  waitFor,
} from './support/cluster';

const versions = readVersions(repoRoot(__dirname));

/** A decimal-SI Kubernetes quantity as a number ('10k' -> 10000); NaN for anything else. */
function decimalQuantity(q: string | undefined): number {
  const m = /^(\d+)(k|M|G)?$/.exec(q ?? '');
  if (!m) return NaN;
  const scale: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? (scale[m[2]] ?? NaN) : 1);
}

describe('local control plane', () => {
  const namespaces: string[] = [];
  afterAll(async () => {
    for (const ns of namespaces) await deleteNamespace(ns);
  });

  it('has two Ready kwok nodes reporting the pinned kubelet version', async () => {
    const nodes = await coreApi().listNode({ labelSelector: 'type=kwok' });
    expect(nodes.items.map((n) => n.metadata?.name).sort()).toEqual(['kwok-node-0', 'kwok-node-1']);
    for (const node of nodes.items) {
      expect(node.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const kubelet = node.status?.nodeInfo?.kubeletVersion ?? '';
      expect(kubelet).toBe(versions.kube);
      const minor = Number(/^v1\.(\d+)\./.exec(kubelet)?.[1]);
      expect(minor).toBeGreaterThanOrEqual(33); // native sidecars are on by default from 1.33
      expect(decimalQuantity(node.status?.allocatable?.pods)).toBeGreaterThanOrEqual(1000);
    }
  });

  it('serves the pinned Kubernetes version', async () => {
    const info = await kubeConfig().makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toBe(versions.kube);
  });

  it('runs a Deployment to Available through the scheduler, controller-manager and kwok', async () => {
    const ns = await createTestNamespace('rig-deploy');
    namespaces.push(ns);
    const deployment: V1Deployment = {
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
        },
      },
    };
    await appsApi().createNamespacedDeployment({ namespace: ns, body: deployment });
    const ready = await waitFor(
      async () => {
        const d = await appsApi().readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.availableReplicas === 2 && d;
      },
      90_000,
      `Deployment ${ns}/web to have 2 available replicas`,
    );
    expect(ready.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = await coreApi().listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-[01]$/);
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
    }
  });

  it('writes an audit log at Metadata level', () => {
    const dir = clusterDir();
    if (dir === undefined)
      throw new Error(
        'MESHWRIGHT_TEST_CLUSTER_DIR is not set; this test needs the cluster globalSetup started',
      );
    const file = join(dir, 'logs', 'audit.log');
    expect(existsSync(file)).toBe(true);
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; objectRef?: { resource?: string } });
    expect(events.length).toBeGreaterThan(10);
    expect(new Set(events.map((e) => e.level))).toEqual(new Set(['Metadata']));
    expect(events.some((e) => e.objectRef?.resource === 'nodes')).toBe(true);
  });

  describe('mutating webhook on loopback', () => {
    let server: FastifyInstance | undefined;
    let webhookName: string | undefined;
    const seen: { uid: string; dryRun: boolean; name: string }[] = [];

    afterAll(async () => {
      if (webhookName) await admissionApi().deleteMutatingWebhookConfiguration({ name: webhookName });
      await server?.close();
    });

    it('is called by the apiserver and its JSON patch shows on the created object', async () => {
      const ns = await createTestNamespace('rig-webhook');
      namespaces.push(ns);
      const { ca, serving } = await selfSignedServing({
        commonName: 'rig-webhook',
        ipAddresses: ['127.0.0.1'],
        dnsNames: ['localhost'],
      });

      server = Fastify({ https: { key: serving.keyPem, cert: serving.certPem } });
      server.post('/mutate', async (req) => {
        const review = req.body as {
          request: { uid: string; dryRun?: boolean; object: { metadata: { name: string; labels?: object } } };
        };
        const { uid, dryRun, object } = review.request;
        seen.push({ uid, dryRun: dryRun === true, name: object.metadata.name });
        const patch = object.metadata.labels
          ? [{ op: 'add', path: '/metadata/labels/meshwright.test~1mutated', value: 'yes' }]
          : [{ op: 'add', path: '/metadata/labels', value: { 'meshwright.test/mutated': 'yes' } }];
        return {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid,
            allowed: true,
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          },
        };
      });
      await server.listen({ host: '127.0.0.1', port: 0 });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      expect(port).toBeGreaterThan(0);

      webhookName = uniqueName('rig-mutate');
      await admissionApi().createMutatingWebhookConfiguration({
        body: {
          metadata: { name: webhookName },
          webhooks: [
            {
              name: 'label.rig.meshwright.test',
              clientConfig: {
                url: `https://127.0.0.1:${port}/mutate`,
                caBundle: Buffer.from(ca.certPem).toString('base64'),
              },
              rules: [
                { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] },
              ],
              // Only this test's namespace: other suites share the cluster.
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
              sideEffects: 'None',
              failurePolicy: 'Fail',
              admissionReviewVersions: ['v1'],
              timeoutSeconds: 5,
            },
          ],
        },
      });

      // Registration reaches the apiserver's admission chain after a short delay: dry-run until it does.
      const core = coreApi();
      await waitFor(
        async () => {
          const cm = await core.createNamespacedConfigMap({
            namespace: ns,
            body: { metadata: { name: 'probe' } },
            dryRun: 'All',
          });
          return cm.metadata?.labels?.['meshwright.test/mutated'] === 'yes';
        },
        30_000,
        'the mutating webhook to take effect',
      );

      const created = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'real', labels: { keep: 'me' } }, data: { a: 'b' } },
      });
      expect(created.metadata?.labels).toEqual({ keep: 'me', 'meshwright.test/mutated': 'yes' });
      const stored = await core.readNamespacedConfigMap({ name: 'real', namespace: ns });
      expect(stored.metadata?.labels?.['meshwright.test/mutated']).toBe('yes');

      expect(seen.some((s) => s.dryRun && s.name === 'probe')).toBe(true);
      expect(seen.filter((s) => !s.dryRun).map((s) => s.name)).toEqual(['real']);
      expect(new Set(seen.map((s) => s.uid)).size).toBe(seen.length);
    });
  });
});

describe('control-plane process management', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rig-proc-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const pidAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  /** `state=S ppid=1 pgid=42` from /proc/<pid>/stat, for failure messages. */
  const procState = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return `pid ${pid} state=${state} ppid=${ppid} pgid=${pgid}`;
    } catch (err) {
      return `pid ${pid}: no /proc entry (${errorMessage(err)})`;
    }
  };

  it('stops a whole process group, children included', async () => {
    const childPidFile = join(tmp, 'child.pid');
    const p = startProcess(
      'group',
      '/bin/sh',
      // Written then renamed: the reader never sees the file empty or half written.
      ['-c', `sleep 300 & echo $! > ${childPidFile}.tmp && mv ${childPidFile}.tmp ${childPidFile}; wait`],
      join(tmp, 'group.log'),
    );
    // A pid is a positive integer; an empty read would be 0, which waitFor accepts and kill(0) signals
    // this whole test's group.
    const child = await waitFor(
      async () => {
        if (!existsSync(childPidFile)) return undefined;
        const pid = Number(readFileSync(childPidFile, 'utf8').trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
      },
      5_000,
      'the grandchild pid',
    );
    expect(isSameProcess(p)).toBe(true);
    expect(pidAlive(child)).toBe(true);
    expect(procState(child)).toContain(`pgid=${p.pid}`); // the premise: one group to signal
    const t0 = Date.now();
    await stopProcess(p, 5_000);
    expect(isAlive(p.pid)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(5_000); // went on SIGTERM, no SIGKILL needed
    // Gone means not running: the orphaned grandchild may stay a zombie until this machine's init
    // reaps it, which isAlive (zombie-aware, as the cluster manager judges processes) sees through.
    // The bound is generous because CI runs this beside the whole integration suite on 2 cores; the
    // description carries the grandchild's /proc state so a failure says what it was doing.
    try {
      await waitFor(
        async () => !isAlive(child),
        10_000,
        `the grandchild to be gone (group ${p.pid}; ${procState(child)})`,
      );
    } finally {
      if (pidAlive(child)) process.kill(child, 'SIGKILL');
    }
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const ready = join(tmp, 'stubborn.ready');
    const p = startProcess(
      'stubborn',
      '/bin/sh',
      ['-c', `trap "" TERM; touch ${ready}; while :; do sleep 1; done`],
      join(tmp, 'stubborn.log'),
    );
    await waitFor(async () => existsSync(ready), 5_000, 'the process to ignore SIGTERM');
    const t0 = Date.now();
    await stopProcess(p, 300);
    expect(isAlive(p.pid)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300); // survived SIGTERM for the grace period
  });

  it('never signals a pid that now runs another program', async () => {
    const p = startProcess('other', '/bin/sleep', ['300'], join(tmp, 'other.log'));
    const impostor = { ...p, command: '/usr/bin/not-sleep' };
    expect(isSameProcess(impostor)).toBe(false);
    await stopProcess(impostor, 100);
    expect(isAlive(p.pid)).toBe(true);
    await stopProcess(p, 2_000);
    expect(isAlive(p.pid)).toBe(false);
  });
});
