// A gateways-only IstioOperator following a revision tag, on the local control plane: the real operator
// (in-process OperatorManager rendering ../shared/reference's 1.30.3 and 1.31.0-rc.0 charts with helm) and
// the real webhook (loopback, TLS). IstioOperators r30 (1.30.3) and r31 (1.31.0-rc.0), tag `prod` on r30, and
// IstioOperator `gw` annotated meshwright.io/revision-tag=prod with no revision of its own: it runs on r30's
// istiod and proxy; moving the tag to r31 is the only change, and the gateway Deployment (polled every
// 100 ms) rolls in place to r31's istiod and proxy, never with fewer than one available replica. The tag's
// Service (what istiod's tag watcher reads) selects r30's istiod, then, the same object, r31's; it goes with
// the tag.
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { OperatorManager } from '../../operator/controller/manager';
import { CanaryScene, IMAGE_30, IMAGE_31, watchAvailability } from './support/canary-cluster';
import { startInProcessOperator } from './support/canary-operators';
import { clusterDir, uniqueName, waitFor } from './support/cluster';

jest.setTimeout(300_000);

const suffix = uniqueName('x').slice(2);
const r30 = `g30-${suffix}`;
const r31 = `g31-${suffix}`;
const prod = `gwprod-${suffix}`;
const scene = new CanaryScene(prod);
const { admin } = scene;
const logDir = clusterDir() ? join(clusterDir()!, 'logs') : tmpdir();
let operator: OperatorManager | undefined;

const statusOf = (name: string) => scene.statusOf(name);
const tagRef = scene.tagRef;
const gateway = () => scene.gateway();
const caAddr = () => scene.gatewayCaAddr();
const controlPlane = (name: string, revision: string, tag: string) =>
  scene.iop(name, revision, tag, { base: false });
type Svc = KubernetesObject & { spec?: { selector?: Record<string, string> } };
const tagService = async () =>
  (await admin.get({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: scene.cpNs,
    name: `istiod-revision-tag-${prod}`,
  })) as Svc | undefined;
/** The tag Service's identity for istiod: its revision and tag labels, and whom it selects. */
const tagServiceView = (s: Svc | undefined) => ({
  rev: s?.metadata?.labels?.['istio.io/rev'],
  tag: s?.metadata?.labels?.['istio.io/tag'],
  selector: s?.spec?.selector,
});

beforeAll(async () => {
  await scene.setUp({
    name: 'meshwright-gwtag-test',
    cpPrefix: 'mw-gwtag',
    logStream: createWriteStream(join(logDir, `gwtag-${suffix}-webhook.log`)),
  });
  operator = await startInProcessOperator({
    kc: scene.kc,
    namespace: scene.cpNs,
    url: scene.url,
    identity: 'gwtag',
    logFile: join(logDir, `gwtag-${suffix}.log`),
  });
});

afterAll(async () => {
  await operator?.stop().catch(() => undefined);
  await scene.tearDown(['gw', 'r30', 'r31']);
});

describe('a gateways-only IstioOperator following a revision tag', () => {
  it('reports a missing tag by name and installs nothing', async () => {
    await admin.create(scene.gatewayIop('gw', { follow: prod }));
    const st = await waitFor(
      async () => (await statusOf('gw'))?.message && statusOf('gw'),
      30_000,
      'gw status',
    );
    expect(st).toMatchObject({
      status: 'ERROR',
      message: `IstioRevisionTag ${prod} does not exist; the gateways stay as they are`,
    });
    await expect(gateway()).rejects.toMatchObject({ code: 404 });
  });

  it('runs on the revision the tag serves: r30 istiod and the 1.30.3 proxy', async () => {
    await admin.create(controlPlane('r30', r30, '1.30.3'));
    await admin.create(controlPlane('r31', r31, '1.31.0-rc.0'));
    for (const n of ['r30', 'r31'])
      await waitFor(async () => (await statusOf(n))?.status === 'HEALTHY', 200_000, `${n} HEALTHY`, 1000);
    expect(await scene.createTag(r30)).toMatchObject({
      service: `${scene.cpNs}/istiod-revision-tag-${prod}`,
    });
    expect(tagServiceView(await tagService())).toEqual({
      rev: r30,
      tag: prod,
      selector: { app: 'istiod', 'istio.io/rev': r30 },
    });
    await waitFor(async () => (await statusOf('gw'))?.status === 'HEALTHY', 120_000, 'gw HEALTHY', 1000);
    expect((await statusOf('gw'))?.meshwright).toMatchObject({
      version: '1.30.3',
      followedTag: { tag: prod, revision: r30, istioOperator: `${scene.cpNs}/r30` },
    });
    expect(await caAddr()).toContain(`istiod-${r30}.`);
    expect((await gateway()).spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_30);
  });

  it('moves with the tag in place, never without an available gateway replica', async () => {
    const watcher = watchAvailability(gateway);
    const before = (await tagService())!;
    const moved = Date.now();
    await admin.mergePatch(tagRef, { spec: { revision: r31 } });
    await waitFor(
      async () =>
        (await caAddr())?.includes(`istiod-${r31}.`) && (await statusOf('gw'))?.status === 'HEALTHY',
      120_000,
      'gw HEALTHY on r31',
      500,
    );
    await scene.gatewayRolled();
    const { lowest, samples } = await watcher.stop();
    process.stdout.write(
      `tag move -> gateway rolled on ${r31}: ${Date.now() - moved} ms, ${samples} samples\n`,
    );
    expect(samples).toBeGreaterThan(5);
    expect(lowest).toBeGreaterThanOrEqual(1);
    const d = await gateway();
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
    expect((await statusOf('gw'))?.meshwright).toMatchObject({
      version: '1.31.0-rc.0',
      followedTag: { tag: prod, revision: r31, istioOperator: `${scene.cpNs}/r31` },
    });
    // The tag's Service moved with it: the same object, now naming and selecting r31.
    const after = await tagService();
    expect(after?.metadata?.uid).toBe(before.metadata?.uid);
    expect(tagServiceView(after)).toEqual({
      rev: r31,
      tag: prod,
      selector: { app: 'istiod', 'istio.io/rev': r31 },
    });
  });

  it('deleting the tag deletes its webhook and Service; the gateway stays where it runs', async () => {
    await admin.delete(tagRef);
    await waitFor(
      async () => (await tagService()) === undefined && (await admin.get(scene.tagWebhookRef)) === undefined,
      30_000,
      "tag's Service and webhook deleted",
      250,
    );
    await waitFor(async () => (await statusOf('gw'))?.status === 'ERROR', 30_000, 'gw reports the tag gone');
    expect((await gateway()).spec?.template?.spec?.containers?.[0]?.image).toBe(IMAGE_31);
  });
});
